/**
 * Quality of shots and of the frame plan (`npm run eval shots`): do the cuts land where
 * they are, is every distinct scene of a video looked at, and does the model then see
 * each scene's objects?
 *
 * Material: two videos built from real photographs (labels/shots.json), so the cut
 * times and the photograph every moment shows are known by construction. Each
 * photograph comes back three times, framed differently each time (as a camera coming
 * back to a scene), in an order that is not a cycle. The tuning video chooses the
 * scene-distance threshold; the held-out video (other photographs, order and shot
 * lengths, one scene cut to a new framing of itself) only reports.
 *
 * Measures, per split:
 * - cut precision and recall within CUT_TOLERANCE_SECONDS;
 * - scene grouping: pairs of shots of different photographs put in one scene (must be
 *   none: that scene would lose its frame), and the share of same-photograph pairs
 *   joined (fewer frames needed);
 * - scene coverage: the share of photographs that got a planned frame, with the
 *   product's default frame budget; beside it the coverage of the plan before scenes
 *   (the shots with the highest cut scores), for comparison;
 * - scene objects: for every photograph with a labelled object, was one of its labelled
 *   objects seen (score >= MIN_OBJECT_SCORE) in an analysed frame showing it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  detectShots,
  frameRises,
  shotPassArgs,
  DEFAULT_SHOT_OPTIONS,
  type Shot,
  type ShotOptions,
} from '../../src/media/shots.ts';
import { groupScenes, signatureDistance } from '../../src/media/scenes.ts';
import { planFrames } from '../../src/media/frame-plan.ts';
import { extractFramesInBatches } from '../../src/media/frames.ts';
import { ModelHost } from '../../src/media/vision/model-host.ts';
import { peopleFromFaces } from '../../src/domain/analysis/vision-summary.ts';
import type { DetectedObject } from '../../src/media/vision/vision.types.ts';
import { VISION_CALIBRATION } from '../../src/domain/analysis/calibration.ts';
import { cutTimes, makePhotoVideo, type PhotoShot } from '../../test/helpers/photos.ts';
import { metric, type CapabilityReport, type ChosenThreshold, type Metric, type Split } from './report.ts';

const LABELS = path.resolve(import.meta.dirname, 'labels/shots.json');
const CACHE = path.resolve(import.meta.dirname, '../../data/quality-shots');
/** A cut found within this of a known one is that cut (the issue's tolerance). */
const CUT_TOLERANCE_SECONDS = 0.5;
/** The product's defaults (src/config/env.schema.ts FRAME_COUNT, FRAME_MAX_COUNT). */
const FRAME_COUNT = 6;
const FRAME_MAX_COUNT = 20;
/** "Seen": the calibrated score the vision stage reports objects from. */
const MIN_OBJECT_SCORE = VISION_CALIBRATION.objectsMinScore.value;
const FACE_THRESHOLDS = {
  minScore: VISION_CALIBRATION.faceMinScore.value,
  minMeshScore: VISION_CALIBRATION.faceMinMeshScore.value,
};
/** A frame this early cannot start a shot (buildShots' shortest shot). */
const FIRST_CUT_SECONDS = 0.4;
const FRAME_WIDTH = 640;
/** As the user's videos and the vision benchmark's: 720p. */
const VIDEO_SIZE = { width: 1280, height: 720 };

interface Labels {
  source: string;
  photos: Record<string, { objects: string[]; note: string }>;
  videos: Array<{ name: string; split: Split; shots: PhotoShot[] }>;
  /** Real videos, their cuts labelled by looking (none: one shot). */
  clips: Array<{ file: string; split: Split; cuts: number[]; note: string }>;
}

/** Every true cut's rise (the highest within the tolerance) and every other frame's, for one video. */
interface Rises {
  split: Split;
  name: string;
  known: number[];
  cutRises: number[];
  /** Frames away from every true cut (and past FIRST_CUT_SECONDS), highest first. */
  otherRises: Array<{ seconds: number; rise: number; score: number }>;
}

/** One decode pass with the product's arguments, every sampled frame's score and rise. */
async function measureRises(split: Split, name: string, file: string, known: number[]): Promise<Rises> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-eval-rises-'));
  try {
    const files = {
      cuts: path.join(dir, 'cuts.txt'),
      samples: path.join(dir, 's.txt'),
      thumbs: path.join(dir, 't.rgb'),
    };
    execFileSync('ffmpeg', shotPassArgs(file, files, DEFAULT_SHOT_OPTIONS), { stdio: 'ignore' });
    const frames = frameRises(await fs.readFile(files.cuts, 'utf8'), VISION_CALIBRATION.cutRise.value);
    const near = (t: number, k: number) => Math.abs(t - k) <= CUT_TOLERANCE_SECONDS;
    return {
      split,
      name,
      known,
      cutRises: known.map((k) => Math.max(...frames.filter((f) => near(f.seconds, k)).map((f) => f.rise))),
      otherRises: frames
        .filter((f) => f.seconds >= FIRST_CUT_SECONDS && !known.some((k) => near(f.seconds, k)))
        .sort((a, b) => b.rise - a.rise),
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The cut rise, on tuning only: the geometric middle of the gap between the highest rise of
 * a frame that is no cut (fast motion, film grain) and the lowest rise of a true cut. scdet's
 * scores span two orders of magnitude (grain 0.4, fast motion 8.8, a hard cut 40), so the
 * middle is taken on their logarithm.
 */
function chooseCutRise(tuning: Rises[]): ChosenThreshold {
  const cuts = tuning.flatMap((r) => r.cutRises);
  const others = tuning.flatMap((r) => r.otherRises.map((o) => ({ ...o, name: r.name })));
  const lowestCut = Math.min(...cuts);
  const highest = others.reduce((a, b) => (b.rise > a.rise ? b : a));
  const chosen = Math.round(Math.sqrt(Math.max(highest.rise, 0.1) * lowestCut) * 10) / 10;
  return {
    key: 'vision.cutRise',
    chosen,
    criterion:
      'geometric middle between the highest rise of a frame that is no cut and the lowest rise of a true cut (tuning videos and clips)',
    figure:
      `tuning, ${tuning.length} videos (${cuts.length} cuts, ${others.length} other frames): ` +
      `cuts rise ${lowestCut.toFixed(1)}-${Math.max(...cuts).toFixed(1)}, other frames at most ${highest.rise.toFixed(1)} ` +
      `(${highest.name} at ${highest.seconds} s)`,
  };
}

interface VideoResult {
  split: Split;
  name: string;
  photos: string[];
  cuts: { known: number; found: number; matched: number; trueFound: number };
  shots: Shot[];
  /** The photograph each found shot shows (at its representative moment). */
  shotPhoto: string[];
  signatures: Array<Uint8Array | null>;
  file: string;
  samples: Awaited<ReturnType<typeof detectShots>>['samples'];
  photoAt: (seconds: number) => string;
}

const short = (file: string) => path.basename(file);

/** The built video of `v` (rebuilt every run: seconds, and the labels are then the only source of truth). */
async function buildVideo(v: Labels['videos'][number], i: number): Promise<string> {
  await fs.mkdir(CACHE, { recursive: true });
  const file = path.join(CACHE, `${v.split}-${i}.mp4`);
  makePhotoVideo(file, v.shots, VIDEO_SIZE);
  return file;
}

async function measureVideo(v: Labels['videos'][number], file: string, opts: ShotOptions): Promise<VideoResult> {
  const duration = v.shots.reduce((t, s) => t + s.seconds, 0);
  const known = cutTimes(v.shots);
  const photoAt = (seconds: number) => {
    let t = 0;
    for (const s of v.shots) if (seconds < (t += s.seconds)) return s.photo;
    return v.shots.at(-1)!.photo;
  };
  const found = await detectShots('ffmpeg', file, duration, { timeoutMs: 600_000 }, opts);
  const starts = found.shots.slice(1).map((s) => s.start);
  const near = (a: number, b: number) => Math.abs(a - b) <= CUT_TOLERANCE_SECONDS;
  return {
    split: v.split,
    name: v.name,
    photos: [...new Set(v.shots.map((s) => s.photo))],
    cuts: {
      known: known.length,
      found: starts.length,
      matched: known.filter((k) => starts.some((f) => near(f, k))).length,
      trueFound: starts.filter((f) => known.some((k) => near(f, k))).length,
    },
    shots: found.shots,
    shotPhoto: found.shots.map((s) => photoAt(s.keyframe_seconds)),
    signatures: found.signatures,
    file,
    samples: found.samples,
    photoAt,
  };
}

/** Signature distances between every two found shots, split by whether they show the same photograph. */
function pairDistances(r: VideoResult): { same: number[]; different: number[] } {
  const same: number[] = [];
  const different: number[] = [];
  for (let i = 0; i < r.shots.length; i++)
    for (let j = i + 1; j < r.shots.length; j++) {
      const a = r.signatures[i];
      const b = r.signatures[j];
      if (!a || !b) continue;
      (r.shotPhoto[i] === r.shotPhoto[j] ? same : different).push(signatureDistance(a, b));
    }
  return { same, different };
}

/**
 * The threshold, on tuning only: half the nearest distance between two shots of
 * different photographs. The costs are not alike: two scenes joined lose one of them its
 * frame, while a scene that comes back and is not recognised costs only a frame more
 * (a fraction of a second) — so the line keeps a margin of two below the nearest unlike
 * pair rather than sitting midway between like and unlike pairs.
 */
function chooseSceneDistance(tuning: VideoResult): ChosenThreshold {
  const { same, different } = pairDistances(tuning);
  const nearestDifferent = Math.min(...different);
  const chosen = Math.round((nearestDifferent / 2) * 1000) / 1000;
  const joined = same.filter((d) => d <= chosen).length;
  const shotsOf = tuning.photos.map((p) => tuning.shotPhoto.filter((x) => x === p).length);
  const framings =
    Math.min(...shotsOf) === Math.max(...shotsOf)
      ? String(shotsOf[0])
      : `${Math.min(...shotsOf)}-${Math.max(...shotsOf)}`;
  return {
    key: 'vision.sceneDistance',
    chosen,
    criterion: 'half the nearest distance between shots of different photographs (tuning video)',
    figure:
      `tuning photo video (${tuning.shots.length} shots, ${tuning.photos.length} photographs, ${framings} framings each): ` +
      `shots of different photographs at least ${nearestDifferent.toFixed(3)} apart; ` +
      `at half that, ${joined} of ${same.length} pairs of shots of one photograph are joined`,
  };
}

export async function evaluate(): Promise<CapabilityReport> {
  const started = performance.now();
  const labels = JSON.parse(await fs.readFile(LABELS, 'utf8')) as Labels;
  const files = await Promise.all(labels.videos.map((v, i) => buildVideo(v, i)));
  // Every frame's rise on every video, to choose the cut rise on tuning and show each cut's margin.
  const rises: Rises[] = [];
  for (const [i, v] of labels.videos.entries())
    rises.push(await measureRises(v.split, `${v.split} photo video`, files[i]!, cutTimes(v.shots)));
  for (const c of labels.clips) rises.push(await measureRises(c.split, path.basename(c.file), c.file, c.cuts));
  const cutRise = chooseCutRise(rises.filter((r) => r.split === 'tuning'));
  const shotOptions: ShotOptions = { ...DEFAULT_SHOT_OPTIONS, sceneThreshold: cutRise.chosen };
  const results: VideoResult[] = [];
  for (const [i, v] of labels.videos.entries()) results.push(await measureVideo(v, files[i]!, shotOptions));
  // The clips' cuts with the chosen rise.
  const clipCuts = new Map<Split, { known: number; found: number; matched: number; trueFound: number }>();
  const clipRows: string[][] = [];
  for (const c of labels.clips) {
    const duration = Number(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', c.file], {
        encoding: 'utf8',
      }).trim(),
    );
    const found = await detectShots('ffmpeg', c.file, duration, { timeoutMs: 600_000 }, shotOptions);
    const starts = found.shots.slice(1).map((s) => s.start);
    const near = (a: number, b: number) => Math.abs(a - b) <= CUT_TOLERANCE_SECONDS;
    const acc = clipCuts.get(c.split) ?? { known: 0, found: 0, matched: 0, trueFound: 0 };
    acc.known += c.cuts.length;
    acc.found += starts.length;
    acc.matched += c.cuts.filter((k) => starts.some((f) => near(f, k))).length;
    acc.trueFound += starts.filter((f) => c.cuts.some((k) => near(f, k))).length;
    clipCuts.set(c.split, acc);
    clipRows.push([
      c.split,
      `${path.basename(c.file)} — ${c.note}`,
      c.cuts.join(', ') || '—',
      starts.join(', ') || '—',
    ]);
  }
  const tuning = results.find((r) => r.split === 'tuning')!;
  const threshold = chooseSceneDistance(tuning);
  const inProduct = VISION_CALIBRATION.sceneDistance.value;
  const inProductRise = VISION_CALIBRATION.cutRise.value;

  const host = new ModelHost({ callTimeoutMs: 600_000, maxHeapMb: 1024 });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-eval-shots-'));
  const metrics: Metric[] = [];
  const table: string[][] = [
    [
      'split',
      'photograph',
      'labelled objects',
      'shots',
      'frames analysed',
      'seen there',
      'labelled objects: best score in those frames',
    ],
  ];
  const notes: string[] = [];
  try {
    await host.preload(['objects', 'faces']);
    for (const r of results) {
      const { split } = r;
      // The photo video's cuts and the real clips' together.
      const clips = clipCuts.get(split) ?? { known: 0, found: 0, matched: 0, trueFound: 0 };
      const found = r.cuts.found + clips.found;
      const known = r.cuts.known + clips.known;
      metrics.push(
        metric(split, 'cut_precision', (r.cuts.trueFound + clips.trueFound) / found, found, {
          text: '>= 0.95',
          ok: (v) => v >= 0.95,
        }),
        metric(split, 'cut_recall', (r.cuts.matched + clips.matched) / known, known, {
          text: '>= 0.95',
          ok: (v) => v >= 0.95,
        }),
        metric(split, 'cut_recall, photo video only', r.cuts.matched / r.cuts.known, r.cuts.known),
        metric(split, 'false cuts in real clips', clips.found - clips.trueFound, clips.found),
      );

      // Scenes with the threshold just chosen (the product's, once calibration.ts is updated).
      const scenes = groupScenes(r.signatures, threshold.chosen);
      let wrongJoins = 0;
      let differentPairs = 0;
      let sameJoined = 0;
      let samePairs = 0;
      for (let i = 0; i < r.shots.length; i++)
        for (let j = i + 1; j < r.shots.length; j++) {
          const together = scenes[i] === scenes[j];
          if (r.shotPhoto[i] === r.shotPhoto[j]) {
            samePairs++;
            if (together) sameJoined++;
          } else {
            differentPairs++;
            if (together) wrongJoins++;
          }
        }
      metrics.push(
        metric(split, 'scene_pairs_of_different_photographs_joined', wrongJoins, differentPairs, {
          text: '== 0',
          ok: (v) => v === 0,
        }),
        metric(split, 'scene_pairs_of_one_photograph_joined', sameJoined / samePairs, samePairs),
        metric(split, 'scenes_found_per_photograph', new Set(scenes).size / r.photos.length, r.photos.length),
      );

      const shots = r.shots.map((s, i) => ({ ...s, scene: scenes[i]! }));
      const plan = planFrames(shots, r.samples, FRAME_COUNT, FRAME_MAX_COUNT);
      const covered = new Set(plan.map((p) => r.photoAt(p.seconds)));
      const coverage = r.photos.filter((p) => covered.has(p)).length / r.photos.length;
      // The plan before scenes: one frame for each of the shots with the highest cut scores.
      const before = [...r.shots]
        .sort((a, b) => b.cut_score - a.cut_score || b.end - b.start - (a.end - a.start))
        .slice(0, FRAME_COUNT)
        .map((s) => r.photoAt(s.keyframe_seconds));
      metrics.push(
        metric(split, 'scene_coverage', coverage, r.photos.length, { text: '== 1', ok: (v) => v === 1 }),
        metric(
          split,
          'scene_coverage_before_scenes (highest cut scores)',
          r.photos.filter((p) => before.includes(p)).length / r.photos.length,
          r.photos.length,
        ),
        metric(split, 'frames_planned', plan.length, plan.length),
      );

      // Analyse the planned frames as the frames and vision stages do.
      // The vision stage reads each moment at the source's size (taken from the same decode).
      const moments = plan.map((p, i) => ({
        seconds: p.seconds,
        output: path.join(work, `${split}-${i}.jpg`),
        fullOutput: path.join(work, `${split}-${i}-full.jpg`),
      }));
      const written = await extractFramesInBatches('ffmpeg', r.file, moments, FRAME_WIDTH, { timeoutMs: 600_000 }, 2);
      const seenIn = new Map<
        string,
        { frames: number; labels: Set<string>; best: Map<string, number>; fromFace: boolean }
      >();
      for (const [i, m] of moments.entries()) {
        if (!written[i]) continue;
        const v = await host.analyze(m.fullOutput, ['objects', 'faces']);
        const photo = r.photoAt(m.seconds);
        const entry = seenIn.get(photo) ?? {
          frames: 0,
          labels: new Set<string>(),
          best: new Map<string, number>(),
          fromFace: false,
        };
        entry.frames++;
        if (Array.isArray(v.objects)) {
          const objects = v.objects as DetectedObject[];
          for (const o of objects) {
            if (o.score >= MIN_OBJECT_SCORE) entry.labels.add(o.label);
            entry.best.set(o.label, Math.max(entry.best.get(o.label) ?? 0, o.score));
          }
          // As the vision stage does: a confirmed face is a person where the detector counted none.
          const counted = objects.filter((o) => o.score >= MIN_OBJECT_SCORE);
          if (Array.isArray(v.faces) && peopleFromFaces(counted, v.faces, FACE_THRESHOLDS).length > 0) {
            entry.labels.add('person');
            entry.fromFace = true;
          }
        }
        seenIn.set(photo, entry);
      }
      // Classes reported (at the calibrated score) that the photograph's labels do not name.
      const unlabelled = r.photos.flatMap((p) =>
        [...(seenIn.get(p)?.labels ?? [])]
          .filter((l) => !labels.photos[p]!.objects.includes(l))
          .map((l) => `${l} on ${short(p)}`),
      );
      const reported = r.photos.reduce((n, p) => n + (seenIn.get(p)?.labels.size ?? 0), 0);
      const withObjects = r.photos.filter((p) => labels.photos[p]!.objects.length > 0);
      const seen = withObjects.filter((p) =>
        labels.photos[p]!.objects.some((o) => seenIn.get(p)?.labels.has(o) ?? false),
      );
      metrics.push(
        metric(split, 'scene_objects_seen', seen.length / withObjects.length, withObjects.length, {
          text: '== 1',
          ok: (v) => v === 1,
        }),
        metric(split, 'scene_objects_reported_that_labels_do_not_name', unlabelled.length, reported),
      );
      if (unlabelled.length)
        notes.push(`${split}: classes reported that the labels do not name: ${unlabelled.join(', ')}.`);
      for (const p of r.photos) {
        const e = seenIn.get(p);
        table.push([
          split,
          `${short(p)} — ${labels.photos[p]!.note}`,
          labels.photos[p]!.objects.join(', ') || '—',
          String(r.shotPhoto.filter((x) => x === p).length),
          String(e?.frames ?? 0),
          e
            ? [...e.labels].map((l) => (l === 'person' && e.fromFace ? 'person (from its face)' : l)).join(', ') || '—'
            : 'not analysed',
          labels.photos[p]!.objects.map((o) => {
            const b = e?.best.get(o);
            return b === undefined
              ? `${o}: none`
              : `${o} ${b}${b < MIN_OBJECT_SCORE ? ` (< ${MIN_OBJECT_SCORE})` : ''}`;
          }).join(', ') || '—',
        ]);
      }
      notes.push(
        `${split}: ${r.cuts.found} cuts found for ${r.cuts.known} known; ${new Set(scenes).size} scenes for ` +
          `${r.photos.length} photographs; ${plan.length} frames planned (FRAME_COUNT ${FRAME_COUNT}, ` +
          `FRAME_MAX_COUNT ${FRAME_MAX_COUNT}).`,
      );
    }
  } finally {
    await host.close();
    await fs.rm(work, { recursive: true, force: true });
  }
  const { same, different } = pairDistances(results.find((r) => r.split === 'held-out')!);
  notes.push(
    `Held-out signature distances (reported only): shots of one photograph ${Math.min(...same).toFixed(3)}-` +
      `${Math.max(...same).toFixed(3)}, of different photographs ${Math.min(...different).toFixed(3)}-` +
      `${Math.max(...different).toFixed(3)}; threshold ${threshold.chosen}.`,
    `Objects count as seen at score >= ${MIN_OBJECT_SCORE} (VISION_CALIBRATION.objectsMinScore, what the vision stage reports; before 2026-12-07 this evaluation counted 0.3), in the frame the vision stage reads (the moment at the source's size); as in the vision stage, a face BlazeFace and the face mesh confirm counts a person where the detector counted none ("from its face").`,
    `Cuts count within ${CUT_TOLERANCE_SECONDS} s. Cut rule: a frame whose scdet score rises at least ${cutRise.chosen} above the highest score of the second before it. ` +
      "Per video, every true cut's rise and the highest rises of the other frames: " +
      rises
        .map(
          (r) =>
            `${r.split} ${r.name}: cuts ${r.cutRises.map((x) => x.toFixed(1)).join(' ') || '—'}; ` +
            `others at most ${r.otherRises
              .slice(0, 3)
              .map((o) => `${o.rise.toFixed(1)} (${o.seconds} s, score ${o.score.toFixed(1)})`)
              .join(', ')}`,
        )
        .join('; ') +
      '.',
    'Real clips (cuts labelled by looking), cuts found with the chosen rise: ' +
      clipRows.map(([sp, clip, known, found]) => `${sp} ${clip}: labelled ${known}, found ${found}`).join('; ') +
      '.',
  );
  if (inProductRise !== cutRise.chosen)
    notes.push(`calibration.ts has cutRise ${inProductRise}; this run chose ${cutRise.chosen}: update it.`);
  if (inProduct !== threshold.chosen)
    notes.push(`calibration.ts has sceneDistance ${inProduct}; this run chose ${threshold.chosen}: update it.`);
  return {
    capability: 'shots',
    date: new Date().toISOString(),
    datasets: [
      ...labels.videos.map((v) => ({
        name: v.name,
        source: 'built from labelled photographs (labels/shots.json): python3-skimage, opencv-doc',
        split: v.split,
        size: v.shots.length,
      })),
      ...(['tuning', 'held-out'] as const).map((split) => {
        const clips = labels.clips.filter((c) => c.split === split);
        return {
          name: `real clips, cuts labelled by looking: ${clips.map((c) => path.basename(c.file)).join(', ')} (size: their shots)`,
          source: 'python3-imageio (a python3-skimage dependency), opencv-doc',
          split,
          size: clips.reduce((n, c) => n + c.cuts.length + 1, 0),
        };
      }),
    ],
    metrics,
    thresholds: [threshold, cutRise],
    table,
    notes,
    ms: Math.round(performance.now() - started),
  };
}
