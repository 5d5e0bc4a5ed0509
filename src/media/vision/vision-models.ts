/**
 * The on-CPU models, loaded once per thread that hosts them (the model-host worker
 * thread; never the HTTP thread): `@vladmandic/human` for COCO objects (CenterNet) and
 * faces (BlazeFace), `nsfwjs` (MobileNetV2) for moderation, all on the tfjs WebAssembly
 * backend with the .wasm binaries and the weights read from node_modules.
 *
 * Each capability loads on first use; a load failure is remembered and reported for
 * that capability only, so the others keep working.
 */
import sharp from 'sharp';
import { contentArea } from './content-area.ts';
import { isFace } from './face-rule.ts';
import { describeFace, type FaceresModel } from './face-description.ts';
import { skinShare } from './skin-share.ts';
import {
  loadHuman,
  loadModeration,
  message,
  MODERATION_SIDE,
  startTfjs,
  type Human,
  type LoadState,
  type NsfwModel,
  type Tf,
  type VisionModelOptions,
} from './vision-loaders.ts';
import type {
  AnalyzeOptions,
  Box,
  DetectedFace,
  DetectedObject,
  ModerationScores,
  PictureVision,
  SkinShare,
  VisionTask,
  VisionTaskError,
} from './vision.types.ts';

/** Longest side given to the detectors: CenterNet works at 512 px, BlazeFace at 256 px. */
export const DEFAULT_MAX_SIDE = 800;

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const roundBox = (b: Box): Box => [round(b[0]), round(b[1]), round(b[2]), round(b[3])];

/**
 * Variance of the 4-neighbour Laplacian of the grey pixels inside `box` (fractions of the
 * picture): the usual measure of focus; a blurred face has little high-frequency detail.
 */
export function laplacianVariance(rgb: Buffer, width: number, height: number, box: Box): number {
  const x0 = Math.max(0, Math.floor(box[0] * width));
  const y0 = Math.max(0, Math.floor(box[1] * height));
  const x1 = Math.min(width, Math.ceil((box[0] + box[2]) * width));
  const y1 = Math.min(height, Math.ceil((box[1] + box[3]) * height));
  const grey = (x: number, y: number) => {
    const i = (y * width + x) * 3;
    return 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!;
  };
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = y0 + 1; y < y1 - 1; y++) {
    for (let x = x0 + 1; x < x1 - 1; x++) {
      const lap = grey(x - 1, y) + grey(x + 1, y) + grey(x, y - 1) + grey(x, y + 1) - 4 * grey(x, y);
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  return n === 0 ? 0 : sumSq / n - (sum / n) ** 2;
}

/** A face's scores as the vision stage reports them (BlazeFace's box score, the mesh's score), rounded. */
function faceScores(f: { boxScore?: number; score: number; faceScore?: number }): {
  score: number;
  mesh_score: number | null;
} {
  return {
    score: round(f.boxScore ?? f.score, 2),
    mesh_score: typeof f.faceScore === 'number' ? round(f.faceScore, 2) : null,
  };
}
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
    this.tf ??= startTfjs();
    return this.tf;
  }

  /** Human with objects, faces and the face mesh (no body, hands, gestures). */
  private loadHuman(): Promise<LoadState<Human>> {
    this.human ??= loadHuman(this.opts, this.loadMs, () => this.tfjs());
    return this.human;
  }

  private loadModeration(): Promise<LoadState<NsfwModel>> {
    this.nsfw ??= loadModeration(this.opts, this.loadMs, () => this.tfjs());
    return this.nsfw;
  }

  /**
   * Load what `tasks` need now (at worker start) and run them once on a blank picture:
   * the wasm kernels compile on their first run, which would otherwise slow the first frame.
   */
  async preload(tasks: readonly VisionTask[]): Promise<void> {
    if (tasks.length > 0) await this.loadHuman();
    if (tasks.includes('moderation')) await this.loadModeration();
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    await this.analyze(blank, tasks);
  }

  /** Run the asked capabilities on one picture (file or bytes). Never throws for a model's failure. */
  async analyze(
    file: string | Buffer,
    tasks: readonly VisionTask[],
    options: AnalyzeOptions = {},
  ): Promise<PictureVision> {
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
    const wantModeration = tasks.includes('moderation');
    // Moderation's context is the skin inside person boxes: it needs the object detector too.
    const needObjects = wantObjects || wantModeration;
    let people: Box[] | null = null;
    if (needObjects || wantFaces) {
      const loaded = await this.loadHuman();
      if (!loaded.ok) {
        if (wantObjects) out.objects = { error: loaded.error };
        if (wantFaces) out.faces = { error: loaded.error };
      } else {
        const human = loaded.value;
        const missing = (human as Human & { missing?: string[] }).missing ?? [];
        const runObjects = needObjects && !missing.includes('centernet');
        // Without the mesh human drops every candidate: faces need both models.
        const runFaces = wantFaces && !missing.includes('blazeface') && !missing.includes('facemesh');
        const describe =
          runFaces &&
          options.describeFaces === true &&
          this.opts.describeFaces === true &&
          !missing.includes('faceres');
        const notLoaded = (model: string): { error: VisionTaskError } => ({
          error: { code: 'MODEL_LOAD_FAILED', message: `${model} did not load` },
        });
        if (wantObjects && !runObjects) out.objects = notLoaded('centernet');
        if (wantFaces && !runFaces) out.faces = notLoaded(missing.includes('blazeface') ? 'blazeface' : 'facemesh');
        if (runObjects || runFaces) {
          const { data, info } = pixels;
          const tensor = tf.tensor(new Int32Array(data), [1, info.height, info.width, 3], 'int32');
          started = performance.now();
          // With thresholds to describe by, human returns each candidate's crop instead and
          // faceres runs here on the confirmed ones only (face-description.ts). Every call sets
          // both: human keeps a call's settings for the next.
          const only = describe ? options.describeOnly : undefined;
          let r: Awaited<ReturnType<Human['detect']>> | undefined;
          try {
            r = await human.detect(tensor, {
              face: {
                enabled: runFaces,
                description: { enabled: describe && !only },
                detector: { return: only !== undefined },
              },
              object: { enabled: runObjects },
            });
            if (r.error) throw new Error(r.error);
            if (only) {
              const at = performance.now();
              const faceres = human.models.models.faceres as unknown as FaceresModel;
              // The faces the vision stage will confirm (isFace on the scores it reports).
              for (const f of r.face)
                if (f.tensor && isFace(faceScores(f), only)) f.embedding = await describeFace(tf, faceres, f.tensor);
              ms.describe = Math.round(performance.now() - at);
            }
            if (runObjects) {
              people = r.object.filter((o) => o.label === 'person').map((o) => o.boxRaw);
              if (wantObjects) {
                out.objects = r.object.map((o): DetectedObject => ({
                  label: o.label,
                  score: round(o.score, 2),
                  box: toPicture(o.boxRaw),
                }));
                ms.objects = r.performance.object ?? Math.round(performance.now() - started);
              }
            }
            if (runFaces) {
              out.faces = r.face.map((f): DetectedFace => {
                const face: DetectedFace = {
                  ...faceScores(f),
                  box: toPicture(f.boxRaw),
                  px: Math.round(f.boxRaw[3] * pixels.info.height),
                };
                if (describe && f.embedding && f.embedding.length > 0) {
                  const angle = f.rotation?.angle;
                  const degrees = (rad: number | undefined) =>
                    typeof rad === 'number' && Number.isFinite(rad) ? round((rad * 180) / Math.PI, 1) : null;
                  face.description = {
                    vector: f.embedding.map((v) => round(v, 5)),
                    yaw: degrees(angle?.yaw),
                    pitch: degrees(angle?.pitch),
                    sharpness: round(
                      laplacianVariance(pixels.data, pixels.info.width, pixels.info.height, f.boxRaw),
                      1,
                    ),
                  };
                }
                return face;
              });
              ms.faces = r.performance.face ?? Math.round(performance.now() - started);
            }
          } catch (err) {
            const error: VisionTaskError = { code: 'MODEL_FAILED', message: `vision models: ${message(err)}` };
            if (runObjects && wantObjects) out.objects = { error };
            if (runFaces) out.faces = { error };
          } finally {
            tensor.dispose();
            for (const f of r?.face ?? []) f.tensor?.dispose();
          }
        }
      }
    }

    if (wantModeration) {
      // Inside the person boxes when the detector found people, else over the whole picture.
      const skin: SkinShare | null = skinShare(pixels.data, pixels.info.width, pixels.info.height, people ?? []);
      out.skin = skin;
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
