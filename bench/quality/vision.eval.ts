/**
 * Quality of the local vision findings (objects, faces, moderation) on real photographs
 * labelled by hand (labels/vision.json), each looked at twice: as the still itself, and as
 * the frame a video of it gives the vision stage (padded into 1280x720, encoded with x264,
 * extracted with the frames stage's own ffmpeg arguments at the source's size, which the
 * vision stage reads beside the 640-px frame).
 *
 * The models run once per picture with the adapter's low floors; every threshold is then
 * swept over the *tuning* split with the product's own decision functions (isFace,
 * moderationVerdict from src/domain/analysis/vision-summary.ts), and the chosen values are
 * reported on both splits. VISION_CALIBRATION must hold the values chosen here.
 *
 * Set VISION_EVAL_CACHE=<file> to keep the raw model outputs between runs (development only:
 * the cache is keyed by nothing but the file name).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  isFace,
  moderationVerdict,
  peopleFromFaces,
  type FaceThresholds,
} from '../../src/domain/analysis/vision-summary.ts';
import { framesAtArgs } from '../../src/media/ffmpeg.ts';
import { VisionModels } from '../../src/media/vision/vision-models.ts';
import { isTaskError, type PictureVision } from '../../src/media/vision/vision.types.ts';
import { metric, type CapabilityReport, type ChosenThreshold, type Metric, type Split } from './report.ts';

interface Item {
  id: string;
  file: string;
  at_seconds?: number;
  split: Split;
  objects: string[];
  also: string[];
  faces: number;
  faces_unsure: number;
  moderation: 'safe';
  what: string;
}

interface LabelFile {
  source: string;
  items: Item[];
}

type Variant = 'still' | 'video frame';
const VARIANTS: Variant[] = ['still', 'video frame'];
const SPLITS: Split[] = ['tuning', 'held-out'];

interface Row {
  item: Item;
  variant: Variant;
  vision: PictureVision;
  ms: number;
}

/** The pipeline's frame width (FRAME_WIDTH's default) and the video it is cut from. */
const FRAME_WIDTH = 640;
const VIDEO = { width: 1280, height: 720 };
/** Object precision the threshold must reach on tuning before recall is maximised. */
const OBJECT_PRECISION_TARGET = 0.9;
/** Face recall the issue asks for. */
const FACE_RECALL_TARGET = 0.9;
/** What the service used before this calibration (for the comparison rows): BlazeFace >= 0.4 alone, objects >= 0.3. */
const BEFORE = { face: { minScore: 0.4, minMeshScore: 0 }, objects: 0.3 };
/** The moderation thresholds the service runs with by default (MODERATION_*_PERCENT). */
const DEFAULT_MODERATION = { explicit: 0.7, suggestive: 0.8 };

const LABELS = path.resolve(import.meta.dirname, 'labels/vision.json');
const ffmpeg = (args: string[]) => execFileSync('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** The still for an item (a video's frame at its own size), and its 16:9 video frame. */
function pictures(item: Item, dir: string): Record<Variant, string> {
  let still = item.file;
  if (item.at_seconds !== undefined) {
    still = path.join(dir, `${item.id}.png`);
    ffmpeg([
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-ss',
      String(item.at_seconds),
      '-i',
      item.file,
      '-frames:v',
      '1',
      still,
    ]);
  }
  const video = path.join(dir, `${item.id}.mp4`);
  ffmpeg([
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-loop',
    '1',
    '-t',
    '1',
    '-i',
    still,
    '-vf',
    `scale=${VIDEO.width}:${VIDEO.height}:force_original_aspect_ratio=decrease,` +
      `pad=${VIDEO.width}:${VIDEO.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    video,
  ]);
  // The frames stage takes the moment at FRAME_WIDTH and, from the same decode, at the
  // source's size; the vision stage reads the latter.
  const frame = path.join(dir, `${item.id}-frame.jpg`);
  const full = path.join(dir, `${item.id}-frame-full.jpg`);
  ffmpeg(framesAtArgs(video, [{ seconds: 0.5, output: frame, fullOutput: full }], FRAME_WIDTH));
  return { still, 'video frame': full };
}

async function collect(items: Item[]): Promise<Row[]> {
  const cache = process.env.VISION_EVAL_CACHE;
  if (cache && fs.existsSync(cache)) {
    const raw = JSON.parse(fs.readFileSync(cache, 'utf8')) as Array<Omit<Row, 'item'> & { id: string }>;
    const byId = new Map(items.map((i) => [i.id, i]));
    return raw.map((r) => ({ ...r, item: byId.get(r.id)! }));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ma-vision-eval-'));
  const models = new VisionModels();
  const rows: Row[] = [];
  try {
    await models.preload(['objects', 'faces', 'moderation']);
    for (const item of items) {
      const pics = pictures(item, dir);
      for (const variant of VARIANTS) {
        const started = performance.now();
        const vision = await models.analyze(pics[variant], ['objects', 'faces', 'moderation']);
        rows.push({ item, variant, vision, ms: Math.round(performance.now() - started) });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (cache) fs.writeFileSync(cache, JSON.stringify(rows.map(({ item, ...r }) => ({ id: item.id, ...r }))));
  return rows;
}

const objectsOf = (r: Row) => (Array.isArray(r.vision.objects) ? r.vision.objects : []);
const facesOf = (r: Row) => (Array.isArray(r.vision.faces) ? r.vision.faces : []);

/** Objects as (picture, class) pairs: found, right, expected. */
function objectCounts(rows: Row[], minScore: number, faceT: FaceThresholds | null) {
  let found = 0;
  let right = 0;
  let expected = 0;
  let hit = 0;
  for (const r of rows) {
    const counted = objectsOf(r).filter((o) => o.score >= minScore);
    const classes = new Set(counted.map((o) => o.label));
    // As the vision stage does: a confirmed face is a person where the detector counted none.
    if (faceT && peopleFromFaces(counted, facesOf(r), faceT).length > 0) classes.add('person');
    const allowed = new Set([...r.item.objects, ...r.item.also]);
    for (const c of classes) {
      if (r.item.also.includes(c) && !r.item.objects.includes(c)) continue; // neither right nor wrong
      found++;
      if (allowed.has(c)) right++;
    }
    expected += r.item.objects.length;
    hit += r.item.objects.filter((c) => classes.has(c)).length;
  }
  return {
    found,
    right,
    expected,
    hit,
    precision: found ? right / found : null,
    recall: expected ? hit / expected : null,
  };
}

/** Faces by count per picture: found beyond labelled + unsure are false, labelled not found are missed. */
function faceCounts(rows: Row[], t: FaceThresholds) {
  let falseFaces = 0;
  let expected = 0;
  let hit = 0;
  let objectPictures = 0;
  let objectPicturesWithFaces = 0;
  for (const r of rows) {
    const n = facesOf(r).filter((f) => isFace(f, t)).length;
    falseFaces += Math.max(0, n - r.item.faces - r.item.faces_unsure);
    expected += r.item.faces;
    hit += Math.min(n, r.item.faces);
    // A photograph of objects: no person in it at all.
    if (!r.item.objects.includes('person') && !r.item.also.includes('person')) {
      objectPictures++;
      if (n > 0) objectPicturesWithFaces++;
    }
  }
  return {
    falseFaces,
    expected,
    hit,
    precision: hit + falseFaces ? hit / (hit + falseFaces) : null,
    recall: expected ? hit / expected : null,
    objectPictures,
    objectPicturesWithFaces,
  };
}

/** Pictures of people, and all pictures, whose moderation verdict is not safe (all are ordinary). */
function moderationCounts(rows: Row[], t: { explicit: number; suggestive: number; suggestiveSkin: number }) {
  let flagged = 0;
  let peopleFlagged = 0;
  let people = 0;
  const which: string[] = [];
  for (const r of rows) {
    const scores = r.vision.moderation;
    if (!scores || isTaskError(scores)) continue;
    const d = moderationVerdict([{ seconds: 0, scores, skin: r.vision.skin ?? null }], t);
    const isPeople = r.item.objects.includes('person');
    if (isPeople) people++;
    if (d.verdict !== 'safe') {
      flagged++;
      if (isPeople) peopleFlagged++;
      which.push(`${r.item.id} (${r.variant}): ${d.verdict}, ${d.basis}`);
    }
  }
  return { flagged, peopleFlagged, people, which };
}

const hundredths = (from: number, to: number) =>
  Array.from({ length: Math.round((to - from) * 100) + 1 }, (_, i) => Math.round((from + i / 100) * 100) / 100);
const r2 = (n: number) => Math.round(n * 100) / 100;
const r3 = (n: number | null) => (n === null ? '–' : n.toFixed(3));

/**
 * The middle of the values that give no false face and the best recall on tuning: the
 * threshold sits as far as the tuning data allows from both a false face and a missed one.
 */
function middleOfFeasible(values: number[], score: (v: number) => { falseFaces: number; recall: number | null }) {
  const scored = values.map((v) => ({ v, ...score(v) }));
  const clean = scored.filter((s) => s.falseFaces === 0);
  const best = Math.max(...clean.map((s) => s.recall ?? 0));
  const feasible = clean.filter((s) => (s.recall ?? 0) === best);
  const lo = feasible[0]!.v;
  const hi = feasible.at(-1)!.v;
  return { value: r2((lo + hi) / 2), lo, hi, recall: best };
}

export async function evaluate(): Promise<CapabilityReport> {
  const started = performance.now();
  const labels = JSON.parse(fs.readFileSync(LABELS, 'utf8')) as LabelFile;
  const rows = await collect(labels.items);
  const tuning = rows.filter((r) => r.item.split === 'tuning');
  const split = (s: Split, v?: Variant) => rows.filter((r) => r.item.split === s && (!v || r.variant === v));
  const n = (s: Split) => labels.items.filter((i) => i.split === s).length;

  // Faces: BlazeFace's score first (mesh ignored), then the mesh's score at that box score.
  const box = middleOfFeasible(hundredths(0.3, 0.99), (v) => faceCounts(tuning, { minScore: v, minMeshScore: 0 }));
  const mesh = middleOfFeasible(hundredths(0, 0.99), (v) =>
    faceCounts(tuning, { minScore: box.value, minMeshScore: v }),
  );
  const faceT: FaceThresholds = { minScore: box.value, minMeshScore: mesh.value };

  // Objects: the lowest score at which tuning precision reaches the target (most recall for that precision).
  const objectGrid = hundredths(0.2, 0.9).map((t) => ({ t, ...objectCounts(tuning, t, faceT) }));
  const reaching = objectGrid.find((g) => (g.precision ?? 0) >= OBJECT_PRECISION_TARGET);
  const objectPick =
    reaching ?? objectGrid.reduce((a, b) => ((b.precision ?? 0) > (a.precision ?? 0) ? b : a), objectGrid[0]!);
  const objectsMin = objectPick.t;

  // Moderation: the skin share clothed people reach in tuning (the colour rule's floor on clothing).
  const clothed = tuning
    .filter((r) => r.item.objects.includes('person') && r.vision.skin?.region === 'people')
    .map((r) => ({ id: `${r.item.id} (${r.variant})`, share: r.vision.skin!.share }));
  const mostClothed = clothed.reduce((a, b) => (b.share > a.share ? b : a), clothed[0]!);
  const skinGate = r2(Math.floor(mostClothed.share * 100) / 100 + 0.01);
  const gated = { ...DEFAULT_MODERATION, suggestiveSkin: skinGate };
  const classOnly = { ...DEFAULT_MODERATION, suggestiveSkin: 0 };

  const objectTuning = objectCounts(tuning, objectsMin, faceT);
  const faceTuning = faceCounts(tuning, faceT);
  const thresholds: ChosenThreshold[] = [
    {
      key: 'vision.objectsMinScore',
      chosen: objectsMin,
      criterion: `lowest CenterNet score with object precision >= ${OBJECT_PRECISION_TARGET} on tuning (scores 0.20-0.90 swept)`,
      figure: `tuning, ${n('tuning')} photographs as stills and 16:9 video frames: object precision ${r3(objectTuning.precision)}, recall ${r3(objectTuning.recall)} (${objectTuning.hit}/${objectTuning.expected} labelled objects)`,
    },
    {
      key: 'vision.faceMinScore',
      chosen: faceT.minScore,
      criterion: `middle of the BlazeFace scores (${box.lo}-${box.hi}) that give no false face and the best face recall on tuning`,
      figure: `tuning, ${n('tuning')} photographs as stills and video frames: no false face from ${box.lo} to ${box.hi}, face recall ${r3(box.recall)} (${faceTuning.expected} labelled faces)`,
    },
    {
      key: 'vision.faceMinMeshScore',
      chosen: faceT.minMeshScore,
      criterion: `middle of the face-mesh scores (${mesh.lo}-${mesh.hi}) that, at BlazeFace ${faceT.minScore}, give no false face and the best face recall on tuning`,
      figure: `tuning, ${n('tuning')} photographs as stills and video frames: no false face from ${mesh.lo} to ${mesh.hi} at BlazeFace ${faceT.minScore}, face recall ${r3(mesh.recall)}`,
    },
    {
      key: 'vision.moderationSuggestiveSkin',
      chosen: skinGate,
      criterion:
        'just above the highest bare-skin share of clothed people on tuning (below it the colour rule cannot tell skin from clothing); no suggestive material exists to bound it from above',
      figure: `tuning, ${clothed.length} pictures of clothed people: skin share at most ${mostClothed.share} (${mostClothed.id})`,
    },
  ];

  const metrics: Metric[] = [];
  const table: string[][] = [
    ['split', 'picture', 'as', 'objects found (score)', 'faces (BlazeFace/mesh, px)', 'moderation'],
  ];
  for (const s of SPLITS)
    for (const v of VARIANTS) {
      const these = split(s, v);
      const o = objectCounts(these, objectsMin, faceT);
      const f = faceCounts(these, faceT);
      const mGated = moderationCounts(these, gated);
      const mClass = moderationCounts(these, classOnly);
      const tag = `(${v})`;
      metrics.push(
        metric(s, `object precision ${tag}`, o.precision, o.found),
        metric(s, `object recall ${tag}`, o.recall, o.expected),
        metric(s, `face precision ${tag}`, f.precision, f.hit + f.falseFaces),
        metric(s, `face recall ${tag}`, f.recall, f.expected, {
          text: `>= ${FACE_RECALL_TARGET}`,
          ok: (x) => x >= FACE_RECALL_TARGET,
        }),
        metric(s, `photographs of objects with a face ${tag}`, f.objectPicturesWithFaces, f.objectPictures, {
          text: '== 0',
          ok: (x) => x === 0,
        }),
        metric(s, `people pictures called suggestive/explicit ${tag}`, mGated.peopleFlagged, mGated.people, {
          text: '== 0',
          ok: (x) => x === 0,
        }),
        metric(s, `pictures called suggestive/explicit ${tag}`, mGated.flagged, these.length, {
          text: '== 0',
          ok: (x) => x === 0,
        }),
        metric(s, `pictures called suggestive/explicit by the class alone ${tag}`, mClass.flagged, these.length),
      );
      const oBefore = objectCounts(these, BEFORE.objects, null);
      const fBefore = faceCounts(these, BEFORE.face);
      metrics.push(
        metric(s, `before: object precision at ${BEFORE.objects} ${tag}`, oBefore.precision, oBefore.found),
        metric(s, `before: object recall at ${BEFORE.objects} ${tag}`, oBefore.recall, oBefore.expected),
        metric(
          s,
          `before: face recall, BlazeFace >= ${BEFORE.face.minScore} alone ${tag}`,
          fBefore.recall,
          fBefore.expected,
        ),
        metric(
          s,
          `before: photographs of objects with a face, BlazeFace >= ${BEFORE.face.minScore} alone ${tag}`,
          fBefore.objectPicturesWithFaces,
          fBefore.objectPictures,
        ),
      );
      for (const r of these) {
        const scores = r.vision.moderation && !isTaskError(r.vision.moderation) ? r.vision.moderation : null;
        const d = scores ? moderationVerdict([{ seconds: 0, scores, skin: r.vision.skin ?? null }], gated) : null;
        table.push([
          s,
          r.item.id,
          v,
          objectsOf(r)
            .filter((x) => x.score >= objectsMin)
            .map((x) => `${x.label} ${x.score}`)
            .join(', ') || '–',
          `${facesOf(r).filter((x) => isFace(x, faceT)).length} of ${r.item.faces}${r.item.faces_unsure ? `+${r.item.faces_unsure}?` : ''}: ` +
            (facesOf(r)
              .map((x) => `${x.score}/${x.mesh_score ?? '–'} ${x.px}px${isFace(x, faceT) ? '' : ' ✗'}`)
              .join(', ') || '–'),
          scores
            ? `${d!.verdict}: Sexy ${scores.Sexy}, Porn+Hentai ${r2(scores.Porn + scores.Hentai)}, skin ${r.vision.skin ? `${r.vision.skin.share} (${r.vision.skin.region})` : 'grey'}`
            : '–',
        ]);
      }
    }

  const all = (v: Variant) => rows.filter((r) => r.variant === v);
  const ms = (v: Variant) => {
    const t = all(v)
      .map((r) => r.ms)
      .sort((a, b) => a - b);
    return t[Math.floor(t.length / 2)]!;
  };
  /** The highest score of a class over every picture, and where. */
  const maxScore = (k: 'Sexy' | 'explicit') =>
    rows.reduce(
      (best, r) => {
        const m = r.vision.moderation;
        const v = !m || isTaskError(m) ? 0 : k === 'Sexy' ? m.Sexy : m.Porn + m.Hentai;
        return v > best.v ? { v: r2(v), at: `${r.item.id}, ${r.variant}` } : best;
      },
      { v: 0, at: '' },
    );
  // Every face BlazeFace alone would have counted on a photograph without people, and what stops it now.
  const falseAlone = rows
    .filter((r) => !r.item.objects.includes('person') && !r.item.also.includes('person'))
    .flatMap((r) =>
      facesOf(r)
        .filter((f) => isFace(f, BEFORE.face))
        .map(
          (f) =>
            `${r.item.id} (${r.variant}) ${f.score}/${f.mesh_score ?? '–'}: ${
              isFace(f, faceT)
                ? 'STILL COUNTED'
                : [
                    f.score < faceT.minScore ? 'the BlazeFace score' : '',
                    (f.mesh_score ?? 0) < faceT.minMeshScore ? 'the face mesh' : '',
                  ]
                    .filter(Boolean)
                    .map((why, i) => (i === 0 ? `stopped by ${why}` : why))
                    .join(' and ')
            }`,
        ),
    );
  // Every labelled face the chosen thresholds miss, with its scores and size.
  const missed = rows.flatMap((r) => {
    const counted = facesOf(r).filter((f) => isFace(f, faceT));
    if (counted.length >= r.item.faces) return [];
    const best = facesOf(r)
      .filter((f) => !isFace(f, faceT))
      .map((f) => `${f.score}/${f.mesh_score ?? '–'} ${f.px}px`);
    return [`${r.item.id} (${r.item.split}, ${r.variant}): ${best.length ? best.join(', ') : 'no candidate'}`];
  });
  const classOnlyFlags = moderationCounts(rows, classOnly).which;
  const gatedFlags = moderationCounts(rows, gated).which;
  const notes = [
    `Labels: ${labels.source}`,
    "Each photograph is measured twice: as the still, and as the frame a 1280x720 video of it gives the vision stage (padded to 16:9, x264, extracted as JPEG with the frames stage's ffmpeg arguments at the source's size, 1280 px, which the vision stage reads; until 2026-12-07 it read the 640-px frame, where a 32-px face failed the face mesh). A video's still is its frame at its own size.",
    `Objects are scored as (picture, class) pairs: a class the labels name must be found; a class they list as "also" (present but minor) is neither right nor wrong; any other class is a false positive. Chosen: score >= ${objectsMin}. As in the vision stage, a confirmed face (the face thresholds below) counts a person where the detector counted none (since 2026-12-07).`,
    `Faces count when BlazeFace scores the box >= ${faceT.minScore} AND the face mesh scores the crop >= ${faceT.minMeshScore}. Labelled faces are at least ~20 px tall in the original with the face visible; smaller, blurred, profile or cut faces are "unsure" (tolerated, not required). Faces BlazeFace alone (>= ${BEFORE.face.minScore}) finds on photographs without people: ${falseAlone.length ? falseAlone.join('; ') : 'none'}. Labelled faces missed (BlazeFace/mesh, height): ${missed.length ? missed.join('; ') : 'none'}.`,
    `Moderation: "suggestive" now needs nsfwjs Sexy >= MODERATION_SUGGESTIVE_PERCENT (default 80) AND bare skin on at least ${skinGate} of the people's pixels (skin by the Peer/Kovač RGB rule inside the person boxes; the whole picture when no person is found; not measured on grey pictures, where the class alone decides). By the class alone: ${classOnlyFlags.length ? classOnlyFlags.join('; ') : 'none'}. With the skin test: ${gatedFlags.length ? gatedFlags.join('; ') : 'none'}.`,
    `Highest scores on these ordinary pictures: Sexy ${maxScore('Sexy').v} (${maxScore('Sexy').at}), Porn + Hentai ${maxScore('explicit').v} (${maxScore('explicit').at}; explicit at >= ${DEFAULT_MODERATION.explicit}). The explicit threshold and the Sexy threshold stay operator settings (MODERATION_EXPLICIT_PERCENT, MODERATION_SUGGESTIVE_PERCENT): they cannot be calibrated here.`,
    'Suggestive/explicit RECALL IS NOT MEASURED: no such material is labelled or may ship with the project. The skin test can only make "suggestive" rarer; how many suggestive pictures it lets through as safe is unknown. Grey pictures keep the class-only rule.',
    `Time per picture (in-thread, objects + faces with the mesh + moderation with the skin share), median: still ${ms('still')} ms, video frame ${ms('video frame')} ms.`,
  ];
  return {
    capability: 'vision',
    date: new Date().toISOString(),
    datasets: SPLITS.map((s) => ({
      name: 'labelled photographs (objects, faces, moderation), each as still and as 16:9 video frame',
      source: 'python3-skimage, opencv-doc, python-matplotlib-data (paths in bench/quality/labels/vision.json)',
      split: s,
      size: n(s),
    })),
    metrics,
    thresholds,
    table,
    notes,
    ms: Math.round(performance.now() - started),
  };
}
