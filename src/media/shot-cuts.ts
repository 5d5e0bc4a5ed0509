/**
 * Cuts from the shots pass's per-frame scdet scores: a frame starts a new shot when its
 * score rises far enough above the second before it. Pure functions (unit tested in
 * shots.test.ts); media/shots.ts runs the pass.
 */

/**
 * A frame starts a new shot when its scdet score rises this far above the highest score
 * of the frames in the CUT_CONTEXT_SECONDS before it (`frameRises`), not when the score
 * alone is high: a camera or a subject moving fast keeps scores high for a while (a
 * cockatoo coming at a phone reaches 8.8, above a picture cut to a reframing of itself),
 * while a cut is a lone rise over what came just before.
 */
export const CUT_CONTEXT_SECONDS = 1;

export interface Cut {
  seconds: number;
  /** scdet's score: how different the new picture is from the one before (0-100). */
  score: number;
}

/** Frames printed by the `metadata` filter: `frame:N pts:P pts_time:T` then `key=value` lines. */
export function parseMetadataFrames(text: string): Array<{ seconds: number; values: Record<string, string> }> {
  const frames: Array<{ seconds: number; values: Record<string, string> }> = [];
  for (const line of text.split('\n')) {
    const head = /^frame:\d+\s+pts:\S+\s+pts_time:(-?[\d.]+)/.exec(line);
    if (head) {
      frames.push({ seconds: Number(head[1]), values: {} });
      continue;
    }
    const kv = /^([\w.]+)=(.*)$/.exec(line.trim());
    if (kv && frames.length > 0) frames.at(-1)!.values[kv[1]!] = kv[2]!;
  }
  return frames;
}

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Every sampled frame's scdet score, how far it rises above the highest score of the
 * CUT_CONTEXT_SECONDS before it, and whether it is a cut (a rise of at least `minRise`).
 * Frames that were cuts are left out of the context of the frames after them: a short
 * shot (a second of black) still has its own cut.
 */
export function frameRises(
  text: string,
  minRise: number,
): Array<{ seconds: number; score: number; rise: number; cut: boolean }> {
  const frames = parseMetadataFrames(text).map((f) => ({
    seconds: f.seconds,
    score: num(f.values['lavfi.scd.score']) ?? 0,
  }));
  const out: Array<{ seconds: number; score: number; rise: number; cut: boolean }> = [];
  for (const [i, f] of frames.entries()) {
    let before = 0;
    for (let j = i - 1; j >= 0 && frames[j]!.seconds >= f.seconds - CUT_CONTEXT_SECONDS; j--)
      if (!out[j]!.cut) before = Math.max(before, frames[j]!.score);
    const rise = f.score - before;
    out.push({
      seconds: round3(f.seconds),
      score: round3(f.score),
      rise: round3(rise),
      cut: f.seconds > 0 && rise >= minRise,
    });
  }
  return out;
}

/** The cuts: frames (after the first) whose score rises at least `minRise` above the second before them. */
export function parseCuts(text: string, minRise: number): Cut[] {
  return frameRises(text, minRise)
    .filter((f) => f.cut)
    .map((f) => ({ seconds: f.seconds, score: f.score }));
}
