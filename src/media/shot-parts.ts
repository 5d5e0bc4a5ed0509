/**
 * The shots pass over a long video in parts, one ffmpeg process per core. The detectors'
 * filter chain runs on one thread of its process, so a single pass is held to one core's
 * pace however many the decoder could use; cut in time, the parts run side by side.
 *
 * Part i covers [from, to) of the video but starts reading OVERLAP_SECONDS earlier, so
 * that what needs frames before a boundary to be seen is seen whole by the part after it:
 * a cut right at the boundary (scdet compares each frame with the one before), and black
 * or frozen stretches shorter than the overlap. Each part's times are shifted back to the
 * video's; every cut and quality sample is kept from the one part that covers its time;
 * black and frozen stretches reported by two parts (one running across a boundary: the
 * part before closes it at the boundary, the part after reads it again from its overlap)
 * overlap and are joined. Stretches that only touch stay apart: a freeze ends on the
 * frame that changed, where the next still's freeze begins.
 *
 * Pure functions (unit tested); `detectShots` in shots.ts runs the processes.
 */
/** A stretch of the video, seconds. */
export interface Interval {
  start: number;
  end: number;
}

/** Anything found at a moment (a cut, a quality sample). */
interface Timed {
  seconds: number;
}

/** At least this much is read again before each boundary (see `overlapFor`). */
export const OVERLAP_SECONDS = 3;

/** Longer than the longest stretch a detector must see whole (frozen: 2 s, black: 0.5 s by default). */
export function overlapFor(minStretchSeconds: number): number {
  return Math.max(OVERLAP_SECONDS, Math.ceil(minStretchSeconds) + 1);
}
/** A video shorter than this runs as one pass (start-up and the overlap would eat the gain). */
export const SPLIT_MIN_SECONDS = 60;
/** Parts no shorter than this. */
const MIN_PART_SECONDS = 30;

export interface PartRange {
  /** Where the part's own times begin (its results before this belong to the part before). */
  from: number;
  /** Where they end (exclusive): the next part's `from`; the last part's is Infinity (it reads to the end). */
  to: number;
  /** Where the part starts reading: `from` less the overlap (0 for the first part). */
  readFrom: number;
}

/** How many parts for a video of `durationSeconds` on `cores` cores. */
export function partCount(durationSeconds: number, cores: number): number {
  if (!(durationSeconds >= SPLIT_MIN_SECONDS)) return 1;
  return Math.max(1, Math.min(cores, 4, Math.floor(durationSeconds / MIN_PART_SECONDS)));
}

/** Equal parts of [0, duration), each read from `overlap` seconds before its own time. */
export function partRanges(durationSeconds: number, parts: number, overlap = OVERLAP_SECONDS): PartRange[] {
  const n = Math.max(1, Math.floor(parts));
  return Array.from({ length: n }, (_, i) => {
    const from = i === 0 ? 0 : round3((durationSeconds * i) / n);
    const to = i === n - 1 ? Number.POSITIVE_INFINITY : round3((durationSeconds * (i + 1)) / n);
    return { from, to, readFrom: i === 0 ? 0 : Math.max(0, round3(from - overlap)) };
  });
}

export interface PartResult<C extends Timed = Timed, S extends Timed = Timed> {
  range: PartRange;
  /** Times as the part's process reported them: seconds from `range.readFrom`. */
  cuts: C[];
  samples: S[];
  black: Interval[];
  frozen: Interval[];
}

/** One result in the video's times. */
export function mergeParts<C extends Timed, S extends Timed>(
  parts: Array<PartResult<C, S>>,
): { cuts: C[]; samples: S[]; black: Interval[]; frozen: Interval[] } {
  const cuts: C[] = [];
  const samples: S[] = [];
  const black: Interval[] = [];
  const frozen: Interval[] = [];
  for (const p of parts) {
    const at = (s: number) => round3(s + p.range.readFrom);
    const own = (s: number) => s >= p.range.from && s < p.range.to;
    for (const c of p.cuts) if (own(at(c.seconds))) cuts.push({ ...c, seconds: at(c.seconds) });
    for (const s of p.samples) if (own(at(s.seconds))) samples.push({ ...s, seconds: at(s.seconds) });
    for (const b of p.black) black.push({ start: at(b.start), end: at(b.end) });
    for (const f of p.frozen) frozen.push({ start: at(f.start), end: at(f.end) });
  }
  // One part: its stretches as reported.
  const join = parts.length > 1 ? joinIntervals : (x: Interval[]) => x;
  return {
    cuts: cuts.sort((a, b) => a.seconds - b.seconds),
    samples: samples.sort((a, b) => a.seconds - b.seconds),
    black: join(black),
    frozen: join(frozen),
  };
}

/** Intervals that overlap joined, in order (ones that only touch stay apart). */
export function joinIntervals(intervals: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last && i.start < last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
