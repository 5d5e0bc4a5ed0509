/**
 * The stage graph, pure: checks a stage list and works out what each stage waits for.
 * Rules (checked at startup, so a bad list never reaches a job):
 * - names are unique, and each section is produced by exactly one stage;
 * - every section a stage needs or uses is produced by a stage declared before it, so
 *   the declared order is also a valid one-at-a-time order (the sequential baseline);
 * - a `final` stage comes after every non-final one.
 */
import type { Stage } from './stage.ts';
import type { StageName } from '../contract/analysis-stage.types.ts';
import type { SectionName } from './results.types.ts';

export interface StageGraph {
  stages: readonly Stage[];
  /** Stage name → the names of the stages it waits for. */
  waitsFor: ReadonlyMap<StageName, readonly StageName[]>;
  /** Section → the stage that produces it. */
  producerOf: ReadonlyMap<SectionName, StageName>;
}

export class StageGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageGraphError';
  }
}

export function buildStageGraph(stages: readonly Stage[]): StageGraph {
  const producerOf = new Map<SectionName, StageName>();
  const seen = new Set<StageName>();
  const waitsFor = new Map<StageName, StageName[]>();
  let finalSeen = false;
  for (const stage of stages) {
    if (seen.has(stage.name)) throw new StageGraphError(`Stage ${stage.name} is declared twice`);
    if (finalSeen && !stage.final)
      throw new StageGraphError(`Stage ${stage.name} is declared after a final stage; final stages come last`);
    const before = [...seen];
    const waits = new Set<StageName>();
    for (const section of [...stage.needs, ...(stage.uses ?? [])]) {
      const producer = producerOf.get(section);
      if (!producer)
        throw new StageGraphError(`Stage ${stage.name} needs ${section}, which no stage declared before it produces`);
      waits.add(producer);
    }
    if (stage.final) for (const name of before) waits.add(name);
    for (const section of stage.produces) {
      const other = producerOf.get(section);
      if (other) throw new StageGraphError(`Section ${section} is produced by both ${other} and ${stage.name}`);
      producerOf.set(section, stage.name);
    }
    seen.add(stage.name);
    finalSeen ||= stage.final === true;
    waitsFor.set(stage.name, [...waits]);
  }
  return { stages, waitsFor, producerOf };
}

/**
 * Stages grouped by depth (the longest chain of waits before them): stages in one level
 * can run side by side. Used for the diagram of docs/pipeline.md and the logs, not for scheduling.
 */
export function stageLevels(graph: StageGraph): string[][] {
  const depth = new Map<string, number>();
  for (const stage of graph.stages) {
    const waits = graph.waitsFor.get(stage.name) ?? [];
    depth.set(stage.name, waits.length === 0 ? 0 : 1 + Math.max(...waits.map((w) => depth.get(w) ?? 0)));
  }
  const levels: string[][] = [];
  for (const [name, d] of depth) (levels[d] ??= []).push(name);
  return levels;
}
