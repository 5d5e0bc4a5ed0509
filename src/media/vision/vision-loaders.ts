/**
 * Loading the on-CPU models for the thread that hosts them: tfjs on the WebAssembly
 * backend (the .wasm binaries and the weights read from node_modules), `@vladmandic/human`
 * and `nsfwjs`. A load failure comes back as a value, for that capability only.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBundledModelArtifacts, registerFileLoader } from './tfjs-file-io.ts';
import type { TfOps } from './face-description.ts';
import type { Box, VisionTaskError } from './vision.types.ts';

const require = createRequire(import.meta.url);

export interface VisionModelOptions {
  /** Folder with human's model.json files; default: the package's own `models/`. */
  humanModelsDir?: string | undefined;
  /** `MobileNetV2` (bundled in nsfwjs) or a file:// URL of a tfjs model.json. */
  moderationModel?: string | undefined;
  /** Longest side the pictures are scaled to before detection. */
  maxSide?: number | undefined;
  /**
   * Floors below which the detectors drop a candidate (default OBJECT_FLOOR, FACE_FLOOR).
   * They are low on purpose: which detections count is decided by the caller's calibrated
   * thresholds, and the evaluation needs to see what lies below them.
   */
  minObjectScore?: number | undefined;
  minFaceScore?: number | undefined;
  /** Sharp's decoder limit; the probe has already refused larger images. */
  maxInputPixels?: number | undefined;
  /**
   * Load `faceres` (the face description model) with the face models, so that faces can be
   * described (`analyze(…, { describeFaces: true })`). Off when face recognition is off.
   */
  describeFaces?: boolean | undefined;
}

/** Default floor of CenterNet's object scores (the calibrated thresholds sit above it). */
const OBJECT_FLOOR = 0.2;
/** Default floor of BlazeFace's box scores (the calibrated thresholds sit above it). */
const FACE_FLOOR = 0.3;

/** The moderation model bundled in nsfwjs (the default of MODERATION_MODEL). */
export const BUNDLED_MODERATION_MODEL = 'MobileNetV2';
/** nsfwjs's MobileNetV2 input size. */
export const MODERATION_SIDE = 224;

export interface Tensor {
  dispose(): void;
}
export interface Tf extends TfOps {
  tensor(values: Int32Array, shape: number[], dtype: 'int32'): Tensor;
  io: Parameters<typeof registerFileLoader>[0];
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}
export interface HumanResult {
  face: Array<{
    score: number;
    boxScore?: number;
    faceScore?: number;
    boxRaw: Box;
    /** faceres's 1024-number description (with `face.description` enabled). */
    embedding?: number[];
    /** Head pose in radians, from the face mesh. */
    rotation?: { angle: { roll: number; yaw: number; pitch: number } } | null;
    /** The mesh's aligned crop of the face (with `face.detector.return`); the caller disposes it. */
    tensor?: Tensor | null;
  }>;
  object: Array<{ label: string; score: number; boxRaw: Box }>;
  error: string | null;
  performance: Record<string, number>;
}
export interface Human {
  load(): Promise<void>;
  detect(input: Tensor, config?: unknown): Promise<HumanResult>;
  models: { models: Record<string, { inputs?: unknown[] } | null | undefined> };
}
export interface NsfwModel {
  classify(img: Tensor, topk?: number): Promise<Array<{ className: string; probability: number }>>;
}

/** The folder of the tfjs .wasm binaries, as the file:// URL prefix tfjs wants. */
function wasmDirUrl(): string {
  return pathToFileURL(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/')).href;
}

export type LoadState<T> = { ok: true; value: T } | { ok: false; error: VisionTaskError };

export const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

/** tfjs on the WebAssembly backend, its .wasm files read from node_modules (once per thread). */
export async function startTfjs(): Promise<Tf> {
  const tf = require('@tensorflow/tfjs-core') as Tf;
  registerFileLoader(tf.io);
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string, fetch?: boolean): void };
  wasm.setWasmPaths(wasmDirUrl(), false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start');
  await tf.ready();
  return tf;
}

/**
 * Human with faces and objects only (no body, hands, gestures). The face mesh runs on each
 * BlazeFace candidate as a second opinion: BlazeFace alone finds "faces" in the spokes and
 * gauges of a motorcycle; the mesh scores those crops low. `keepInvalid` keeps the
 * candidates the mesh rejects (with its score) so the caller decides, and measures.
 */
export async function loadHuman(
  opts: VisionModelOptions,
  loadMs: Record<string, number>,
  tfjs: () => Promise<Tf>,
): Promise<LoadState<Human>> {
  const started = performance.now();
  try {
    await tfjs();
    const modelsDir =
      opts.humanModelsDir ?? path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
    // The package's exports map hides its wasm build; load it by path next to the main build.
    const humanWasm = path.join(path.dirname(require.resolve('@vladmandic/human')), 'human.node-wasm.js');
    const { Human } = require(humanWasm) as {
      Human: new (config: unknown) => Human;
    };
    const human = new Human({
      backend: 'wasm',
      wasmPath: wasmDirUrl(),
      wasmPlatformFetch: false,
      modelBasePath: pathToFileURL(path.join(modelsDir, '/')).href,
      debug: false,
      async: false,
      warmup: 'none',
      // Every frame is a new picture: no result caching between calls.
      cacheSensitivity: 0,
      filter: { enabled: false },
      face: {
        enabled: true,
        detector: { rotation: false, maxDetected: 50, minConfidence: opts.minFaceScore ?? FACE_FLOOR, skipFrames: 0 },
        mesh: { enabled: true, keepInvalid: true },
        iris: { enabled: false },
        emotion: { enabled: false },
        // faceres runs on the mesh's crop of each candidate, only when a call asks for it.
        description: { enabled: opts.describeFaces === true, minConfidence: 0, skipFrames: 0 },
        antispoof: { enabled: false },
        liveness: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
      object: { enabled: true, minConfidence: opts.minObjectScore ?? OBJECT_FLOOR, maxDetected: 30, skipFrames: 0 },
    });
    await human.load();
    // Human logs a model that failed to load and keeps an empty shell of it; a usable
    // model has its graph's inputs (the getter throws on a shell).
    const usable = (name: string) => {
      try {
        return (human.models.models[name]?.inputs?.length ?? 0) > 0;
      } catch {
        return false;
      }
    };
    const wanted = ['blazeface', 'centernet', 'facemesh', ...(opts.describeFaces === true ? ['faceres'] : [])];
    const missing = wanted.filter((m) => !usable(m));
    if (missing.includes('blazeface') && missing.includes('centernet'))
      throw new Error(`models did not load from ${modelsDir}: ${missing.join(', ')}`);
    loadMs.human = Math.round(performance.now() - started);
    if (missing.length > 0) {
      // Some loaded: keep them, report the missing ones per task (see VisionModels.analyze()).
      return { ok: true, value: Object.assign(human, { missing }) };
    }
    return { ok: true, value: human };
  } catch (err) {
    return { ok: false, error: { code: 'MODEL_LOAD_FAILED', message: `vision models: ${message(err)}` } };
  }
}

export async function loadModeration(
  opts: VisionModelOptions,
  loadMs: Record<string, number>,
  tfjs: () => Promise<Tf>,
): Promise<LoadState<NsfwModel>> {
  const started = performance.now();
  try {
    await tfjs();
    const nsfwjs = require('nsfwjs') as {
      load(model: string | { load(): Promise<unknown> }, opts?: { size?: number }): Promise<NsfwModel>;
    };
    const wanted = opts.moderationModel ?? BUNDLED_MODERATION_MODEL;
    const model =
      wanted === BUNDLED_MODERATION_MODEL
        ? {
            load: async () =>
              readBundledModelArtifacts(
                path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2'),
              ),
          }
        : wanted;
    // nsfwjs and tfjs announce themselves on the console; a worker's logs are ours.
    const { info, warn } = console;
    console.info = console.warn = () => {};
    try {
      const loaded = await nsfwjs.load(model, { size: MODERATION_SIDE });
      loadMs.moderation = Math.round(performance.now() - started);
      return { ok: true, value: loaded };
    } finally {
      console.info = info;
      console.warn = warn;
    }
  } catch (err) {
    return { ok: false, error: { code: 'MODEL_LOAD_FAILED', message: `moderation model: ${message(err)}` } };
  }
}
