/**
 * The context one stage runs with: the analysis's shared state (reads and writes go
 * through to it, so stages running side by side see each other's outputs), with the
 * stage's own abort signal and a logger that names the stage.
 */
import type { StageContext } from './stage.ts';
import type { StageName } from '../contract/analysis-stage.types.ts';

/** The context a stage sees: shared state, its own signal and logger. */
export function stageView(shared: StageContext, signal: AbortSignal, stage: StageName): StageContext {
  const log = shared.log.child({ stage });
  return {
    get analysis() {
      return shared.analysis;
    },
    set analysis(v) {
      shared.analysis = v;
    },
    get source() {
      return shared.source;
    },
    set source(v) {
      shared.source = v;
    },
    get media() {
      return shared.media;
    },
    set media(v) {
      shared.media = v;
    },
    get frames() {
      return shared.frames;
    },
    set frames(v) {
      shared.frames = v;
    },
    get faceFrames() {
      return shared.faceFrames;
    },
    set faceFrames(v) {
      shared.faceFrames = v;
    },
    get pictureFaces() {
      return shared.pictureFaces;
    },
    set pictureFaces(v) {
      shared.pictureFaces = v;
    },
    get shots() {
      return shared.shots;
    },
    set shots(v) {
      shared.shots = v;
    },
    get timings() {
      return shared.timings;
    },
    set timings(v) {
      shared.timings = v;
    },
    get failedStages() {
      return shared.failedStages;
    },
    set failedStages(v) {
      shared.failedStages = v;
    },
    results: shared.results,
    deps: shared.deps,
    signal,
    log,
  };
}
