/**
 * The on-CPU models, loaded once per thread that hosts them (the model-host worker
 * thread; never the HTTP thread): `@vladmandic/human` for COCO objects (CenterNet) and
 * faces (BlazeFace), `nsfwjs` (MobileNetV2) for moderation, all on the tfjs WebAssembly
 * backend with the .wasm binaries and the weights read from node_modules.
 *
 * Each capability loads on first use; a load failure is remembered and reported for
 * that capability only, so the others keep working.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { readBundledModelArtifacts, registerFileLoader } from './tfjs-file-io.ts';
import type {
  Box,
  DetectedFace,
  DetectedObject,
  ModerationScores,
  PictureVision,
  VisionTask,
  VisionTaskError,
} from './vision.types.ts';

const require = createRequire(import.meta.url);

export interface VisionModelOptions {
  /** Folder with human's model.json files; default: the package's own `models/`. */
  humanModelsDir?: string | undefined;
  /** `MobileNetV2` (bundled in nsfwjs) or a file:// URL of a tfjs model.json. */
  moderationModel?: string | undefined;
  /** Longest side the pictures are scaled to before detection. */
  maxSide?: number | undefined;
  /** Detections below these scores are dropped. */
  minObjectScore?: number | undefined;
  minFaceScore?: number | undefined;
  /** Sharp's decoder limit; the probe has already refused larger images. */
  maxInputPixels?: number | undefined;
}

/** Longest side given to the detectors: CenterNet works at 512 px, BlazeFace at 256 px. */
export const DEFAULT_MAX_SIDE = 800;
/** The moderation model bundled in nsfwjs (the default of MODERATION_MODEL). */
export const BUNDLED_MODERATION_MODEL = 'MobileNetV2';
/** nsfwjs's MobileNetV2 input size. */
const MODERATION_SIDE = 224;

interface Tensor {
  dispose(): void;
}
interface Tf {
  tensor(values: Int32Array, shape: number[], dtype: 'int32'): Tensor;
  io: Parameters<typeof registerFileLoader>[0];
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}
interface HumanResult {
  face: Array<{ score: number; boxScore?: number; boxRaw: Box }>;
  object: Array<{ label: string; score: number; boxRaw: Box }>;
  error: string | null;
  performance: Record<string, number>;
}
interface Human {
  load(): Promise<void>;
  detect(input: Tensor, config?: unknown): Promise<HumanResult>;
  models: { models: Record<string, { inputs?: unknown[] } | null | undefined> };
}
interface NsfwModel {
  classify(img: Tensor, topk?: number): Promise<Array<{ className: string; probability: number }>>;
}

/** The folder of the tfjs .wasm binaries, as the file:// URL prefix tfjs wants. */
function wasmDirUrl(): string {
  return pathToFileURL(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/')).href;
}

/** Rows/columns darker than this (0-255) at the edges count as bars. */
const BAR_LUMA = 24;
/** Bars are only cropped when the picture left is at least this share of each side. */
const MIN_CONTENT_SHARE = 0.3;

/** The region inside black bars (the whole picture when there are none). */
async function contentArea(
  input: Sharp,
  width: number,
  height: number,
): Promise<{ left: number; top: number; width: number; height: number }> {
  const whole = { left: 0, top: 0, width, height };
  const probe = 128;
  const { data, info } = await input
    .clone()
    .resize(probe, probe, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rowMax = (y: number) => Math.max(...data.subarray(y * info.width, (y + 1) * info.width));
  const colMax = (x: number) => {
    let m = 0;
    for (let y = 0; y < info.height; y++) m = Math.max(m, data[y * info.width + x]!);
    return m;
  };
  let top = 0;
  while (top < info.height && rowMax(top) < BAR_LUMA) top++;
  let bottom = info.height - 1;
  while (bottom > top && rowMax(bottom) < BAR_LUMA) bottom--;
  let left = 0;
  while (left < info.width && colMax(left) < BAR_LUMA) left++;
  let right = info.width - 1;
  while (right > left && colMax(right) < BAR_LUMA) right--;
  const w = right - left + 1;
  const h = bottom - top + 1;
  if (w < info.width * MIN_CONTENT_SHARE || h < info.height * MIN_CONTENT_SHARE) return whole;
  if (w === info.width && h === info.height) return whole;
  const sx = width / info.width;
  const sy = height / info.height;
  const area = {
    left: Math.floor(left * sx),
    top: Math.floor(top * sy),
    width: Math.ceil(w * sx),
    height: Math.ceil(h * sy),
  };
  area.width = Math.min(area.width, width - area.left);
  area.height = Math.min(area.height, height - area.top);
  return area;
}

type LoadState<T> = { ok: true; value: T } | { ok: false; error: VisionTaskError };

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const roundBox = (b: Box): Box => [round(b[0]), round(b[1]), round(b[2]), round(b[3])];
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

export class VisionModels {
  private readonly opts: VisionModelOptions;
  private tf: Promise<Tf> | null = null;
  private human: Promise<LoadState<Human>> | null = null;
  private nsfw: Promise<LoadState<NsfwModel>> | null = null;
  /** Milliseconds each model took to load (for the benchmark and the logs). */
  readonly loadMs: Record<string, number> = {};

  constructor(opts: VisionModelOptions = {}) {
    this.opts = opts;
  }

  /** tfjs on the WebAssembly backend, its .wasm files read from node_modules (once per thread). */
  private tfjs(): Promise<Tf> {
    this.tf ??= (async () => {
      const tf = require('@tensorflow/tfjs-core') as Tf;
      registerFileLoader(tf.io);
      const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string, fetch?: boolean): void };
      wasm.setWasmPaths(wasmDirUrl(), false);
      if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start');
      await tf.ready();
      return tf;
    })();
    return this.tf;
  }

  /** Human with faces and objects only (no mesh, body, hands, gestures). */
  private loadHuman(): Promise<LoadState<Human>> {
    this.human ??= (async (): Promise<LoadState<Human>> => {
      const started = performance.now();
      try {
        await this.tfjs();
        const modelsDir =
          this.opts.humanModelsDir ?? path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
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
            detector: { rotation: false, maxDetected: 50, minConfidence: this.opts.minFaceScore ?? 0.4, skipFrames: 0 },
            mesh: { enabled: false },
            iris: { enabled: false },
            emotion: { enabled: false },
            description: { enabled: false },
            antispoof: { enabled: false },
            liveness: { enabled: false },
          },
          body: { enabled: false },
          hand: { enabled: false },
          gesture: { enabled: false },
          segmentation: { enabled: false },
          object: { enabled: true, minConfidence: this.opts.minObjectScore ?? 0.3, maxDetected: 30, skipFrames: 0 },
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
        const missing = ['blazeface', 'centernet'].filter((m) => !usable(m));
        if (missing.length === 2) throw new Error(`models did not load from ${modelsDir}: ${missing.join(', ')}`);
        this.loadMs.human = Math.round(performance.now() - started);
        if (missing.length > 0) {
          // One of the two loaded: keep it, report the other per task (see detect()).
          return { ok: true, value: Object.assign(human, { missing }) };
        }
        return { ok: true, value: human };
      } catch (err) {
        return { ok: false, error: { code: 'MODEL_LOAD_FAILED', message: `vision models: ${message(err)}` } };
      }
    })();
    return this.human;
  }

  private loadModeration(): Promise<LoadState<NsfwModel>> {
    this.nsfw ??= (async (): Promise<LoadState<NsfwModel>> => {
      const started = performance.now();
      try {
        await this.tfjs();
        const nsfwjs = require('nsfwjs') as {
          load(model: string | { load(): Promise<unknown> }, opts?: { size?: number }): Promise<NsfwModel>;
        };
        const wanted = this.opts.moderationModel ?? BUNDLED_MODERATION_MODEL;
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
          this.loadMs.moderation = Math.round(performance.now() - started);
          return { ok: true, value: loaded };
        } finally {
          console.info = info;
          console.warn = warn;
        }
      } catch (err) {
        return { ok: false, error: { code: 'MODEL_LOAD_FAILED', message: `moderation model: ${message(err)}` } };
      }
    })();
    return this.nsfw;
  }

  /**
   * Load what `tasks` need now (at worker start) and run them once on a blank picture:
   * the wasm kernels compile on their first run, which would otherwise slow the first frame.
   */
  async preload(tasks: readonly VisionTask[]): Promise<void> {
    if (tasks.includes('objects') || tasks.includes('faces')) await this.loadHuman();
    if (tasks.includes('moderation')) await this.loadModeration();
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    await this.analyze(blank, tasks);
  }

  /** Run the asked capabilities on one picture (file or bytes). Never throws for a model's failure. */
  async analyze(file: string | Buffer, tasks: readonly VisionTask[]): Promise<PictureVision> {
    const ms: PictureVision['ms'] = {};
    let started = performance.now();
    const maxSide = this.opts.maxSide ?? DEFAULT_MAX_SIDE;
    const input = sharp(file, { limitInputPixels: this.opts.maxInputPixels ?? false }).rotate();
    const meta = await input.metadata();
    const width = meta.autoOrient?.width ?? meta.width ?? 0;
    const height = meta.autoOrient?.height ?? meta.height ?? 0;
    const scale = Math.min(1, maxSide / Math.max(width, height, 1));
    const scaled = scale < 1 ? { width: Math.round(width * scale), height: Math.round(height * scale) } : null;
    // Letterbox/pillarbox bars hurt CenterNet (a padded portrait scored 0.23 for its person,
    // 0.6 without bars): detect on the picture inside the bars, and map boxes back.
    const content = await contentArea(input, width, height);
    const pixels = await input
      .clone()
      .extract(content)
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const toPicture = (b: Box): Box =>
      roundBox([
        (content.left + b[0] * content.width) / width,
        (content.top + b[1] * content.height) / height,
        (b[2] * content.width) / width,
        (b[3] * content.height) / height,
      ]);
    ms.decode = Math.round(performance.now() - started);
    const out: PictureVision = { width, height, scaled_to: scaled, ms };
    const tf = await this.tfjs();

    const wantObjects = tasks.includes('objects');
    const wantFaces = tasks.includes('faces');
    if (wantObjects || wantFaces) {
      const loaded = await this.loadHuman();
      if (!loaded.ok) {
        if (wantObjects) out.objects = { error: loaded.error };
        if (wantFaces) out.faces = { error: loaded.error };
      } else {
        const human = loaded.value;
        const missing = (human as Human & { missing?: string[] }).missing ?? [];
        const runObjects = wantObjects && !missing.includes('centernet');
        const runFaces = wantFaces && !missing.includes('blazeface');
        const notLoaded = (model: string): { error: VisionTaskError } => ({
          error: { code: 'MODEL_LOAD_FAILED', message: `${model} did not load` },
        });
        if (wantObjects && !runObjects) out.objects = notLoaded('centernet');
        if (wantFaces && !runFaces) out.faces = notLoaded('blazeface');
        if (runObjects || runFaces) {
          const { data, info } = pixels;
          const tensor = tf.tensor(new Int32Array(data), [1, info.height, info.width, 3], 'int32');
          started = performance.now();
          try {
            const r = await human.detect(tensor, { face: { enabled: runFaces }, object: { enabled: runObjects } });
            if (r.error) throw new Error(r.error);
            if (runObjects) {
              out.objects = r.object.map((o): DetectedObject => ({
                label: o.label,
                score: round(o.score, 2),
                box: toPicture(o.boxRaw),
              }));
              ms.objects = r.performance.object ?? Math.round(performance.now() - started);
            }
            if (runFaces) {
              out.faces = r.face.map((f): DetectedFace => ({
                score: round(f.boxScore ?? f.score, 2),
                box: toPicture(f.boxRaw),
              }));
              ms.faces = r.performance.face ?? Math.round(performance.now() - started);
            }
          } catch (err) {
            const error: VisionTaskError = { code: 'MODEL_FAILED', message: `vision models: ${message(err)}` };
            if (runObjects) out.objects = { error };
            if (runFaces) out.faces = { error };
          } finally {
            tensor.dispose();
          }
        }
      }
    }

    if (tasks.includes('moderation')) {
      const loaded = await this.loadModeration();
      if (!loaded.ok) out.moderation = { error: loaded.error };
      else {
        started = performance.now();
        const { data, info } = await input
          .clone()
          .resize(MODERATION_SIDE, MODERATION_SIDE, { fit: 'fill' })
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer({ resolveWithObject: true });
        const tensor = tf.tensor(new Int32Array(data), [info.height, info.width, 3], 'int32');
        try {
          const classes = await loaded.value.classify(tensor, 5);
          const scores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 } as ModerationScores;
          for (const c of classes) {
            if (c.className in scores) scores[c.className as keyof ModerationScores] = round(c.probability);
          }
          out.moderation = scores;
        } catch (err) {
          out.moderation = { error: { code: 'MODEL_FAILED', message: `moderation model: ${message(err)}` } };
        } finally {
          tensor.dispose();
        }
        ms.moderation = Math.round(performance.now() - started);
      }
    }
    return out;
  }
}
