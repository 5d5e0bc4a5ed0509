/**
 * The frame plan: which moments of a video the frames stage takes for the later stages
 * (vision, OCR, the contact sheet) to look at, from the shots and their scenes. Pure.
 */
import { bestMoment, SAMPLE_SECONDS, type Sample, type Shot } from './shots.ts';

export interface PlannedFrame {
  seconds: number;
  shot: number;
}

/**
 * The frames the later stages look at: every distinct scene first, then more where there
 * is the most to see.
 *
 * The budget is `count` frames, grown to the number of scenes but not past `maxCount`.
 * Each scene gets one frame, at the representative moment of its longest shot; when
 * there are more scenes than frames, the scenes with the most screen time get them.
 * Frames left over go one at a time to the scene with the most screen time per frame,
 * within it to the shot with the most time per frame (a shot not yet looked at before a
 * second frame of one that was; between equals, the one farthest from the frames already
 * planned), and a shot with k frames is cut into k slices, each frame the best sample of
 * its slice. With no cuts this is uniform spacing of `count` frames.
 */
export function planFrames(shots: Shot[], samples: Sample[], count: number, maxCount = count): PlannedFrame[] {
  if (count < 1 || shots.length === 0) return [];
  if (shots.length === 1) {
    // No cuts: uniform spacing, each frame in the middle of its slice.
    const { start, end } = shots[0]!;
    return Array.from({ length: count }, (_, i) => ({
      seconds: round3(start + ((end - start) * (i + 0.5)) / count),
      shot: 0,
    }));
  }
  const length = (s: Shot) => s.end - s.start;
  const scenes = new Map<number, { time: number; shots: Shot[]; frames: number }>();
  for (const s of shots) {
    const scene = scenes.get(s.scene) ?? { time: 0, shots: [], frames: 0 };
    scene.time += length(s);
    scene.shots.push(s);
    scenes.set(s.scene, scene);
  }
  // Most screen time first; a Map keeps first appearance for ties (the sort is stable).
  const ranked = [...scenes.values()].sort((a, b) => b.time - a.time);
  const budget = Math.max(count, Math.min(ranked.length, maxCount));
  const slots = new Map<number, number>();
  const planned: number[] = [];
  const give = (scene: (typeof ranked)[number], shot: Shot) => {
    slots.set(shot.index, (slots.get(shot.index) ?? 0) + 1);
    scene.frames++;
    planned.push((shot.start + shot.end) / 2);
  };
  for (const scene of ranked.slice(0, budget))
    give(
      scene,
      scene.shots.reduce((a, b) => (length(b) > length(a) ? b : a)),
    );
  for (let spare = budget - Math.min(budget, ranked.length); spare > 0; spare--) {
    const scene = ranked.reduce((a, b) => (b.time / (b.frames + 1) > a.time / (a.frames + 1) ? b : a));
    const share = (s: Shot) => length(s) / ((slots.get(s.index) ?? 0) + 1);
    const away = (s: Shot) => Math.min(...planned.map((t) => Math.abs((s.start + s.end) / 2 - t)));
    give(
      scene,
      scene.shots.reduce((a, b) =>
        share(b) > share(a) + EPSILON || (Math.abs(share(b) - share(a)) <= EPSILON && away(b) > away(a)) ? b : a,
      ),
    );
  }
  const frames: PlannedFrame[] = [];
  for (const s of shots) {
    const k = slots.get(s.index) ?? 0;
    if (k === 1) frames.push({ seconds: s.keyframe_seconds, shot: s.index });
    else {
      const len = length(s) / k;
      for (let j = 0; j < k; j++)
        frames.push({ seconds: bestMoment(samples, s.start + j * len, s.start + (j + 1) * len), shot: s.index });
    }
  }
  return frames;
}

/**
 * More moments for faces (people recognition), beside the planned frames: someone on
 * screen for part of a shot is seen only if a frame falls while they are there. Each shot
 * is cut into slices of at most `everySeconds`; a slice that holds no planned frame gets
 * one moment, the sharpest, least dark sample of the middle half of the slice. When that asks
 * for more than `max`, the slices widen evenly until it does not; with more shots
 * lacking a frame than `max`, the moments are spread evenly over the video. Time order.
 *
 * A frozen stretch (the shots pass's freezedetect: the picture does not change) needs one
 * look: nobody can come on screen while nothing changes. A slice whose middle half lies in
 * a frozen stretch already looked at (by a planned frame or an earlier moment) gets none.
 * Nor does a moment whose picture is a near copy (`nearCopy` of the samples' thumbnails)
 * of one already looked at in the same shot: a still under film grain or compression
 * drift, which freezedetect does not take for frozen, shows the same faces again.
 */
export function planFaceMoments(
  shots: Shot[],
  samples: Sample[],
  planned: ReadonlyArray<{ seconds: number }>,
  everySeconds: number,
  max: number,
  frozen: ReadonlyArray<{ start: number; end: number }> = [],
): PlannedFrame[] {
  if (max < 1 || !(everySeconds > 0) || shots.length === 0) return [];
  const still = stillStretches(frozen, shots);
  const stretchAt = (t: number) => still.findIndex((f) => f.start <= t && t <= f.end);
  const moments = (cadence: number): PlannedFrame[] => {
    const out: PlannedFrame[] = [];
    const looked = new Set(planned.map((p) => stretchAt(p.seconds)).filter((i) => i >= 0));
    for (const s of shots) {
      // The thumbnails of the pictures looked at in this shot so far.
      const seen = planned.flatMap((p) =>
        p.seconds >= s.start && p.seconds < s.end ? thumbsAt(samples, p.seconds) : [],
      );
      const k = Math.max(1, Math.ceil((s.end - s.start) / cadence - EPSILON));
      const len = (s.end - s.start) / k;
      for (let j = 0; j < k; j++) {
        const from = s.start + j * len;
        const to = j === k - 1 ? s.end : from + len;
        if (planned.some((p) => p.seconds >= from && p.seconds < to)) continue;
        // The sharpest, least dark sample near the slice's middle (not at its edge: the
        // moments stay about a cadence apart, so nobody on screen that long is missed).
        const mid = (from + to) / 2;
        const at = stretchAt(mid - len / 4);
        if (at >= 0 && at === stretchAt(mid + len / 4) && looked.has(at)) continue;
        const seconds = bestMoment(samples, mid - len / 4, mid + len / 4);
        const thumb = thumbsAt(samples, seconds);
        if (thumb.length > 0 && seen.some((t) => nearCopy(t, thumb[0]!))) continue;
        seen.push(...thumb);
        out.push({ seconds, shot: s.index });
        if (stretchAt(seconds) >= 0) looked.add(stretchAt(seconds));
      }
    }
    return out;
  };
  let cadence = everySeconds;
  let out = moments(cadence);
  for (let widen = 0; out.length > max && widen < 32; widen++) {
    cadence *= Math.max(1.05, out.length / max);
    out = moments(cadence);
  }
  // More shots without a frame than the budget (many short shots): spread it over the whole video.
  return out.length <= max
    ? out
    : Array.from({ length: max }, (_, i) => out[Math.floor(((i + 0.5) * out.length) / max)]!);
}

/**
 * Frozen stretches joined where one ends as the next begins inside a shot: an encoded
 * still "changes" a little at every keyframe (freezedetect then reports 2-s pieces of one
 * picture), while a change to another picture is a cut, where stretches stay apart.
 */
function stillStretches(
  frozen: ReadonlyArray<{ start: number; end: number }>,
  shots: readonly Shot[],
): Array<{ start: number; end: number }> {
  const cuts = shots.slice(1).map((s) => s.start);
  const out: Array<{ start: number; end: number }> = [];
  for (const f of [...frozen].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    const touching = last !== undefined && f.start - last.end <= TOUCH_SECONDS;
    if (touching && !cuts.some((c) => c >= last.end - TOUCH_SECONDS && c <= f.start + TOUCH_SECONDS))
      last.end = Math.max(last.end, f.end);
    else out.push({ start: f.start, end: f.end });
  }
  return out;
}

/**
 * Two thumbnails (4x3 cells, each the mean colour of its part of the picture) show the
 * same picture when no cell moved by more than NEAR_COPY_LEVELS in any colour. A guard
 * from measurements, not a fitted value: an unchanged still under film grain and H.264
 * drifts by at most 3 levels (six photographs, 10-s shots, bench/helpers photoShot); the
 * astronaut's portrait laid over a still, with its face at the people quality gate's
 * smallest size (about 60 px at 720p), moves a cell by 7 to 32. A smaller change in every
 * cell (a small figure far off on a background of its own colours) is taken for a copy.
 */
export const NEAR_COPY_LEVELS = 4;

export function nearCopy(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > NEAR_COPY_LEVELS) return false;
  return true;
}

/** The thumbnail of the sample nearest `seconds` (none farther than half a sample away): [] or [thumb]. */
function thumbsAt(samples: readonly Sample[], seconds: number): Uint8Array[] {
  let best: Sample | null = null;
  for (const s of samples)
    if (s.thumb && Math.abs(s.seconds - seconds) <= SAMPLE_SECONDS / 2 + EPSILON)
      if (!best || Math.abs(s.seconds - seconds) < Math.abs(best.seconds - seconds)) best = s;
  return best?.thumb ? [best.thumb] : [];
}

/** Frozen stretches this close are one (a frame or two at 25 fps). */
const TOUCH_SECONDS = 0.1;

/** Shares closer than this (seconds per frame) are equal. */
const EPSILON = 1e-9;

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
