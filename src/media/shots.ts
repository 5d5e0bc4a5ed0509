/**
 * Shots and cues from one ffmpeg decoding pass: scene cuts (`scdet`), black stretches
 * (`blackdetect`), frozen stretches (`freezedetect`), and a picture-quality sample
 * (brightness from `signalstats`, blur from `blurdetect`) every SAMPLE_SECONDS, from
 * which each shot's representative frame is chosen (the sharpest frame that is not dark).
 * Each sample also leaves a tiny thumbnail (THUMB_WIDTH x THUMB_HEIGHT, RGB) from the
 * same pass: the shot's representative thumbnail is its appearance signature, and shots
 * whose signatures are close are one *scene* (the same picture shown again, e.g. the
 * two cameras of an interview cut back and forth), so the frame plan can give every
 * distinct scene a frame before it gives any scene a second one.
 *
 * Argument building, log parsing, scene grouping and the choice of frames are pure
 * functions (unit tested); `detectShots` is the thin runner.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg, ANALYSIS_LOG_BYTES } from './ffmpeg.ts';
import { ProcessError } from '../platform/process-runner.ts';
import {
  mergeParts,
  overlapFor,
  partCount,
  partRanges,
  type Interval,
  type PartRange,
  type PartResult,
} from './shot-parts.ts';
import { groupScenes } from './scenes.ts';
import { parseCuts, parseMetadataFrames, type Cut } from './shot-cuts.ts';

export { CUT_CONTEXT_SECONDS, frameRises, parseCuts, parseMetadataFrames, type Cut } from './shot-cuts.ts';

/** Width the pass scales to before the detectors: cuts, black and blur read the same at 320 px. */
export const ANALYSIS_WIDTH = 320;
/**
 * Area averaging for that downscale: the default bicubic costs more CPU than the detectors
 * together, and averaging keeps blur and black readings faithful where nearest-neighbour
 * would alias (figures: docs/decisions/0010-measured-choices.md).
 */
const SCALE_FLAGS = 'area';
/** One quality sample per this many seconds. */
export const SAMPLE_SECONDS = 0.5;
/**
 * The detectors look at a frame every DETECT_SECONDS at most (every 2nd frame at 24/25 and
 * at 30 fps, every 4th at 60; nothing is ever duplicated), and 0.06 lets through every
 * frame the decoder keeps when it skips non-reference ones at 30 fps (one in two, 0.067 s
 * apart). The filters run on one thread of their process, so at full rate they, not the
 * decoder, set the pace; at half rate the pass is markedly cheaper and finds the same cuts
 * (docs/decisions/0010-measured-choices.md). A cut is then reported at most one sampled frame late
 * (< 0.1 s), well inside the 0.5 s the shots are held to.
 */
export const DETECT_SECONDS = 0.06;
/**
 * The pass asks the decoder to skip non-reference frames (`-skip_frame noref`): pictures no
 * other picture is predicted from, so skipping them can never damage another; the
 * detectors simply see the reference frames. With x264's defaults (3 B-frames, pyramid)
 * that is every other frame, so decoding costs markedly less CPU for the same cuts (figures:
 * docs/decisions/0010-measured-choices.md) — CPU the parts of a long video (shot-parts.ts)
 * share the cores with. A cut that falls on a skipped frame is reported on
 * the next decoded one: a frame late with a pyramid, up to three (0.12 s at 25 fps) with
 * three non-reference B-frames in a row. Streams without B-frames decode in full.
 */
export const SKIP_FRAMES = 'noref';
/**
 * Each quality sample is also scaled down to this many pixels (area averaging: each cell
 * is the mean colour of a quarter of the picture's width and a third of its height) and
 * written raw: 36 bytes a sample. A layout of colours: film grain, compression and a
 * camera that comes back framed a little differently barely change it, two different
 * pictures do. Chosen on the shots evaluation's tuning video (bench/quality/shots.eval.ts)
 * over 16x9 and 2x2 thumbnails and colour histograms: with the threshold at half the
 * nearest distance between different photographs, it joined the most returns of a
 * photograph and no two photographs, at no measurable CPU cost (the comparison:
 * docs/decisions/0010-measured-choices.md).
 */
export const THUMB_WIDTH = 4;
export const THUMB_HEIGHT = 3;
const THUMB_BYTES = THUMB_WIDTH * THUMB_HEIGHT * 3;
/** Mean luma (0-255, limited range starts at 16) below which a frame counts as dark. */
export const DARK_LUMA = 40;

export interface ShotOptions {
  /**
   * How far (scdet's 0-100 scale) a frame's score must rise above the highest score of
   * the CUT_CONTEXT_SECONDS before it to start a new shot (calibrated: VISION_CALIBRATION.cutRise).
   */
  sceneThreshold: number;
  /** Shortest black stretch reported, seconds. */
  minBlackSeconds: number;
  /** Shortest frozen stretch reported, seconds. */
  minFreezeSeconds: number;
  /**
   * Shots whose signatures are at most this far apart (`signatureDistance`, 0-1) are one
   * scene. A calibrated threshold the caller passes in; without it every shot is its own scene.
   */
  sceneDistance?: number;
}

/** The service passes its own (config.vision.sceneThreshold); this one equals the calibrated value (a test checks). */
export const DEFAULT_SHOT_OPTIONS: ShotOptions = {
  sceneThreshold: 8,
  minBlackSeconds: 0.5,
  minFreezeSeconds: 2,
};

/** Where one pass writes what it finds. */
export interface PassFiles {
  /** Every sampled frame's scdet score (metadata print). */
  cuts: string;
  /** Every quality sample's signalstats and blur (metadata print). */
  samples: string;
  /** Every quality sample's thumbnail, raw RGB, one after another in the samples' order. */
  thumbs: string;
}

/**
 * Decoding threads of each part's process when the pass runs in `parts` processes on `cores`
 * cores: the cores shared out (one each when there are as many parts as cores), so the
 * processes do not contend with decoding thread pools sized for the whole machine; ffmpeg's
 * own choice for a single pass (null), whose filters leave the other cores to the decoder.
 * Threads never change the decoded pictures, so the same cuts are found (the CPU saved:
 * docs/decisions/0010-measured-choices.md).
 */
export function partThreads(parts: number, cores: number): number | null {
  return parts > 1 ? Math.max(1, Math.floor(cores / parts)) : null;
}

/**
 * One decode pass; writes cut frames, quality samples and the samples' thumbnails to `files`.
 * With `range`, the pass reads only that part of the video (from `readFrom`, up to `to`),
 * its times counted from `readFrom` (shot-parts.ts); with `threads`, the decoder uses that many.
 */
export function shotPassArgs(
  input: string,
  files: PassFiles,
  opts: ShotOptions,
  range?: PartRange,
  threads?: number | null,
): string[] {
  const seek = range && range.readFrom > 0 ? ['-ss', String(range.readFrom)] : [];
  const length = range && Number.isFinite(range.to) ? ['-t', String(round3(range.to - range.readFrom))] : [];
  const esc = (p: string) => p.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/:/g, '\\:');
  const filters = [
    `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,${DETECT_SECONDS})'`,
    `scale=${ANALYSIS_WIDTH}:-2:flags=${SCALE_FLAGS}`,
    `scdet=threshold=${opts.sceneThreshold}`,
    // Every frame's scd score is printed; cuts are read from them (parseCuts), not from scdet's own threshold.
    `metadata=mode=print:file='${esc(files.cuts)}'`,
    `blackdetect=d=${opts.minBlackSeconds}:pix_th=0.10`,
    `freezedetect=n=-60dB:d=${opts.minFreezeSeconds}`,
    `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,${SAMPLE_SECONDS})'`,
    'signalstats',
    'blurdetect',
    `metadata=mode=print:file='${esc(files.samples)}'`,
    // The samples go on, shrunk to thumbnails, to the pass's one output.
    `scale=${THUMB_WIDTH}:${THUMB_HEIGHT}:flags=area`,
    'format=rgb24',
  ];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'info',
    '-protocol_whitelist',
    'file,pipe',
    '-skip_frame',
    SKIP_FRAMES,
    ...(threads ? ['-threads', String(threads)] : []),
    ...seek,
    ...length,
    '-i',
    input,
    '-map',
    '0:v:0',
    '-an',
    '-vf',
    filters.join(','),
    // One thumbnail per sample, never repeated or dropped to fill a frame rate.
    '-fps_mode',
    'passthrough',
    '-f',
    'rawvideo',
    '-y',
    files.thumbs,
  ];
}

export interface Sample {
  seconds: number;
  luma: number | null;
  blur: number | null;
  /** THUMB_WIDTH x THUMB_HEIGHT RGB (none when the pass's thumbnails did not pair up with the samples). */
  thumb?: Uint8Array;
}

export type { Interval } from './shot-parts.ts';

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export function parseSamples(text: string): Sample[] {
  return parseMetadataFrames(text).map((f) => ({
    seconds: round3(f.seconds),
    luma: num(f.values['lavfi.signalstats.YAVG']),
    blur: num(f.values['lavfi.blur']),
  }));
}

/** black_start/black_end pairs and freeze_start/freeze_end pairs from the pass's log. */
export function parseCues(log: string, durationSeconds: number): { black: Interval[]; frozen: Interval[] } {
  const black: Interval[] = [];
  for (const m of log.matchAll(/black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)/g))
    black.push({ start: round3(Number(m[1])), end: round3(Number(m[2])) });
  const frozen: Interval[] = [];
  let start: number | null = null;
  for (const line of log.split('\n')) {
    const s = /freeze_start:\s*([\d.]+)/.exec(line);
    if (s) start = Number(s[1]);
    const e = /freeze_end:\s*([\d.]+)/.exec(line);
    if (e && start !== null) {
      frozen.push({ start: round3(start), end: round3(Number(e[1])) });
      start = null;
    }
  }
  if (start !== null) frozen.push({ start: round3(start), end: round3(durationSeconds) });
  return { black, frozen };
}

/** Each sample's thumbnail from the raw file, in order: `THUMB_BYTES` each; a partial tail is dropped. */
export function parseThumbs(raw: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at + THUMB_BYTES <= raw.length; at += THUMB_BYTES) out.push(raw.slice(at, at + THUMB_BYTES));
  return out;
}

/**
 * The samples with their thumbnails: paired in order, since both come from the same
 * frames of one filter chain. Counts that differ (a pass cut short) pair nothing: a
 * misplaced thumbnail would be worse than none.
 */
export function withThumbs(samples: Sample[], thumbs: Uint8Array[]): Sample[] {
  if (thumbs.length !== samples.length) return samples;
  return samples.map((s, i) => ({ ...s, thumb: thumbs[i]! }));
}

export interface Shot {
  index: number;
  start: number;
  end: number;
  /** The score of the cut that opened the shot (100 for the first shot). */
  cut_score: number;
  /** The sharpest, least dark sampled moment of the shot. */
  keyframe_seconds: number;
  /**
   * The scene the shot shows: shots with the same number look alike (`groupScenes`).
   * Numbered by first appearance; without signatures each shot is its own scene.
   */
  scene: number;
}

/** How good a sample is as a still: not dark first, then sharp (blurdetect: lower is sharper). */
export function sampleQuality(s: Sample): number {
  const light = s.luma === null ? 0.5 : Math.min(1, Math.max(0, (s.luma - 16) / (DARK_LUMA + 20 - 16)));
  const sharp = s.blur === null ? 0.5 : 1 / (1 + s.blur);
  return light * 2 + sharp;
}

/** The best sample inside [start, end), or the middle when no sample falls there. */
export function bestMoment(samples: Sample[], start: number, end: number): number {
  let best: Sample | null = null;
  for (const s of samples) {
    if (s.seconds < start || s.seconds >= end) continue;
    if (!best || sampleQuality(s) > sampleQuality(best)) best = s;
  }
  return best ? best.seconds : round3((start + end) / 2);
}

/**
 * Shots from the cuts. Cuts closer than `minShotSeconds` to the previous one (flashes,
 * fast pans) are merged into it.
 */
export function buildShots(cuts: Cut[], samples: Sample[], durationSeconds: number, minShotSeconds = 0.4): Shot[] {
  const starts: Cut[] = [{ seconds: 0, score: 100 }];
  for (const c of [...cuts].sort((a, b) => a.seconds - b.seconds)) {
    if (c.seconds - starts.at(-1)!.seconds >= minShotSeconds && durationSeconds - c.seconds >= minShotSeconds / 2)
      starts.push(c);
  }
  return starts.map((c, i) => {
    const end = i + 1 < starts.length ? starts[i + 1]!.seconds : round3(durationSeconds);
    return {
      index: i,
      start: c.seconds,
      end,
      cut_score: c.score,
      keyframe_seconds: bestMoment(samples, c.seconds, end),
      scene: i,
    };
  });
}

/**
 * A shot's appearance signature: the thumbnail of its representative moment (what the
 * frames stage will take for it), or of its first sample with one; null when none.
 */
export function shotSignatures(shots: Shot[], samples: Sample[]): Array<Uint8Array | null> {
  return shots.map((shot) => {
    let first: Uint8Array | null = null;
    for (const s of samples) {
      if (s.seconds < shot.start || s.seconds >= shot.end || !s.thumb) continue;
      if (s.seconds === shot.keyframe_seconds) return s.thumb;
      first ??= s.thumb;
    }
    return first;
  });
}

export interface ShotAnalysis {
  shots: Shot[];
  /** Each shot's appearance signature (`shotSignatures`), by shot index. */
  signatures: Array<Uint8Array | null>;
  /** How many distinct scenes the shots show. */
  scenes: number;
  cuts: Cut[];
  /** With their thumbnails: the face moments' plan compares them (frame-plan.ts). */
  samples: Sample[];
  black: Interval[];
  frozen: Interval[];
  pass_ms: number;
}

/**
 * Run the pass over a video and read shots, cues and samples: one process, or for a long
 * video one per core over consecutive parts (shot-parts.ts; `run.parts` overrides the count).
 */
export async function detectShots(
  ffmpegPath: string,
  input: string,
  durationSeconds: number,
  run: { timeoutMs: number; signal?: AbortSignal | undefined; parts?: number },
  opts: ShotOptions = DEFAULT_SHOT_OPTIONS,
): Promise<ShotAnalysis> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-shots-'));
  const started = performance.now();
  const cores = os.availableParallelism();
  const ranges = partRanges(
    durationSeconds,
    run.parts ?? partCount(durationSeconds, cores),
    overlapFor(Math.max(opts.minFreezeSeconds, opts.minBlackSeconds)),
  );
  const threads = partThreads(ranges.length, cores);
  // One part failing stops the others; all are waited for before the folder goes.
  const stop = new AbortController();
  const signal = run.signal ? AbortSignal.any([run.signal, stop.signal]) : stop.signal;
  try {
    const settled = await Promise.allSettled(
      ranges.map((range, i) =>
        runPart(
          ffmpegPath,
          input,
          path.join(dir, String(i)),
          range,
          durationSeconds,
          { ...run, signal, threads },
          opts,
        ).catch((err: unknown) => {
          stop.abort();
          throw err;
        }),
      ),
    );
    const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // The cause, not a part that was stopped because of it (unless the whole run was stopped).
    const stopped = (e: unknown) => e instanceof ProcessError && e.reason === 'aborted';
    if (failed.length > 0) throw (failed.find((r) => !stopped(r.reason)) ?? failed[0]!).reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<PartResult<Cut, Sample>>).value);
    const { cuts, samples, black, frozen } = mergeParts(results);
    const duration = durationSeconds > 0 ? durationSeconds : (samples.at(-1)?.seconds ?? 0) + SAMPLE_SECONDS;
    const built = buildShots(cuts, samples, duration);
    const signatures = shotSignatures(built, samples);
    const scenes =
      opts.sceneDistance === undefined ? built.map((s) => s.index) : groupScenes(signatures, opts.sceneDistance);
    return {
      shots: built.map((s, i) => ({ ...s, scene: scenes[i]! })),
      signatures,
      scenes: new Set(scenes).size,
      cuts,
      samples,
      black,
      frozen,
      pass_ms: Math.round(performance.now() - started),
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** One process over one part; times as it reports them (from the part's `readFrom`). */
async function runPart(
  ffmpegPath: string,
  input: string,
  prefix: string,
  range: PartRange,
  durationSeconds: number,
  run: { timeoutMs: number; signal: AbortSignal; threads: number | null },
  opts: ShotOptions,
): Promise<PartResult<Cut, Sample>> {
  const files: PassFiles = {
    cuts: `${prefix}-cuts.txt`,
    samples: `${prefix}-samples.txt`,
    thumbs: `${prefix}-thumbs.rgb`,
  };
  const log = await runFfmpeg(ffmpegPath, shotPassArgs(input, files, opts, range, run.threads), {
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    keepLogBytes: ANALYSIS_LOG_BYTES,
  });
  const read = (f: string) => fs.readFile(f, 'utf8').catch(() => '');
  const cuts = parseCuts(await read(files.cuts), opts.sceneThreshold);
  const thumbs = parseThumbs(await fs.readFile(files.thumbs).catch(() => new Uint8Array(0)));
  const samples = withThumbs(parseSamples(await read(files.samples)), thumbs);
  // A stretch still frozen when the part ends runs to the part's end (the next part continues it).
  const end = Number.isFinite(range.to) ? range.to : durationSeconds;
  const length = end > range.readFrom ? end - range.readFrom : (samples.at(-1)?.seconds ?? 0) + SAMPLE_SECONDS;
  return { range, cuts, samples, ...parseCues(log, length) };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
