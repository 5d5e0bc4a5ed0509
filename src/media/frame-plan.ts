/**
 * The frame plan: which moments of a video the frames stage takes for the later stages
 * (vision, OCR, the contact sheet) to look at, from the shots and their scenes. Pure.
 */
import { bestMoment, type Sample, type Shot } from './shots.ts';

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

/** Shares closer than this (seconds per frame) are equal. */
const EPSILON = 1e-9;

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
