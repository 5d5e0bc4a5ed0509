/**
 * Pure decisions of people recognition: which faces are worth describing (the quality
 * gate) and how described faces over a video's frames become appearances — one person on
 * screen through consecutive sampled frames of one shot is one appearance (start–end),
 * not one per frame.
 */
import { PEOPLE_CALIBRATION } from '../analysis/calibration.ts';
import { cosine } from './face-vector.ts';

/** What the quality gate reads of a face: the limits a face must stay within to be described. */
export interface QualityGate {
  /** Face height in pixels of the picture the detector saw (at most DEFAULT_MAX_SIDE on its longer side). */
  readonly minFacePx: number;
  /** Head turn from the camera (face mesh pose), in degrees either way. */
  readonly maxYawDegrees: number;
  readonly maxPitchDegrees: number;
  /** Variance of the Laplacian of the face's grey pixels (media/vision laplacianVariance). */
  readonly minSharpness: number;
}

/**
 * The quality gate a face must pass (after the calibrated detection thresholds) to be
 * described and grouped: a description from a small, turned or blurred face is unreliable,
 * and a wrong description risks a wrong merge. Size and sharpness are calibrated
 * (PEOPLE_CALIBRATION, bench/quality/people.eval.ts: chosen on the tuning split with small
 * and blurred copies of the labelled photographs); the head-turn limits are guards, not
 * fitted — there is no labelled turned material.
 */
export const QUALITY_GATE: QualityGate = {
  minFacePx: PEOPLE_CALIBRATION.minFacePx.value,
  maxYawDegrees: 35,
  maxPitchDegrees: 30,
  minSharpness: PEOPLE_CALIBRATION.minSharpness.value,
};

export type GateVerdict = 'ok' | 'small' | 'turned' | 'blurred';

export function qualityGate(
  f: {
    px: number;
    yaw: number | null;
    pitch: number | null;
    sharpness: number;
  },
  gate: QualityGate = QUALITY_GATE,
): GateVerdict {
  if (f.px < gate.minFacePx) return 'small';
  if (Math.abs(f.yaw ?? 0) > gate.maxYawDegrees || Math.abs(f.pitch ?? 0) > gate.maxPitchDegrees) return 'turned';
  if (f.sharpness < gate.minSharpness) return 'blurred';
  return 'ok';
}

/** One described face that passed the gate, on one picture. */
export interface DescribedFace {
  /** Index of the picture (frame) in time order. */
  picture: number;
  seconds: number;
  shot: number | null;
  box: [number, number, number, number];
  px: number;
  score: number;
  /** Unit-length description. */
  vector: Float32Array;
}

export interface AppearanceDraft {
  shot: number | null;
  startSeconds: number;
  endSeconds: number;
  /** Frames it was seen on. */
  frames: number;
  /** Its best face (largest, then most confident): the description, box and thumbnail kept. */
  best: DescribedFace;
  /** Every face of it, in time order. */
  faces: DescribedFace[];
}

/** A shot and the pictures (frame indices) sampled in it, in time order. */
export interface ShotFrames {
  index: number;
  start: number;
  end: number;
  pictures: number[];
}

/**
 * Within one shot (no cut between two sampled moments) a face that stays where it was is
 * the same person's even when its description drifts: faceres scores two frames of one
 * talking-head video 0.742–0.788 (bench/results/quality.md, people: "frames of one
 * scene"), far below the same-person threshold across the library. A face on the next
 * sampled moment of the shot, at most maxGapSeconds later, continues a track when its box
 * overlaps the track's last box by at least minOverlap (intersection over union) and its
 * description is at least minSimilarity alike; elsewhere in the frame it needs `sameAt`.
 * minSimilarity guards against someone else taking the same place: it sits between the
 * closest different people in modern colour photographs (0.65, docs/people.md) and the
 * lowest same-scene pair (0.742). Two small faces of a 1927 group photograph reach 0.89,
 * so the guard is not proof; these are guards, not fitted values: the evaluation has no
 * labelled video of two people changing places within a shot.
 */
export const TRACKING = { minOverlap: 0.4, minSimilarity: 0.7, maxGapSeconds: 10 } as const;

/** Intersection over union of two [x, y, w, h] boxes (0 when they do not touch). */
export function overlap(a: readonly number[], b: readonly number[]): number {
  const [ax, ay, aw, ah] = a as [number, number, number, number];
  const [bx, by, bw, bh] = b as [number, number, number, number];
  const w = Math.min(ax + aw, bx + bw) - Math.max(ax, bx);
  const h = Math.min(ay + ah, by + bh) - Math.max(ay, by);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (aw * ah + bw * bh - inter);
}

/**
 * Tracks faces through the sampled frames of each shot: a face continues the track of
 * the previous frame whose last face it resembles most, when at least `sameAt` (the
 * calibrated same-person similarity) — or, in the same place (TRACKING), at least
 * TRACKING.minSimilarity — and no closer face of its own frame claimed that track;
 * otherwise it starts a new one. A track ends on the first frame without it.
 * A track that runs to the shot's first (last) sampled frame starts (ends) with the shot.
 * Pictures without a shot (an image) each give their own appearances.
 */
export function buildAppearances(
  faces: readonly DescribedFace[],
  shots: readonly ShotFrames[],
  sameAt: number,
): AppearanceDraft[] {
  const byShot = new Map<string, DescribedFace[]>();
  for (const f of faces) {
    const key = f.shot === null ? `picture:${f.picture}` : `shot:${f.shot}`;
    const list = byShot.get(key) ?? [];
    list.push(f);
    byShot.set(key, list);
  }
  const out: AppearanceDraft[] = [];
  for (const list of byShot.values()) {
    const first = list[0]!;
    const shot = first.shot === null ? undefined : shots.find((s) => s.index === first.shot);
    // Every sampled frame of the shot, with or without faces: a frame without the person ends their track.
    const pictures = [...new Set([...(shot?.pictures ?? []), ...list.map((f) => f.picture)])].sort((a, b) => a - b);
    const open: AppearanceDraft[] = [];
    let previous: number | null = null;
    for (const picture of pictures) {
      const here = list.filter((f) => f.picture === picture);
      // Only tracks seen on the previous sampled frame continue (consecutive frames).
      const alive = previous === null ? [] : open.filter((t) => t.faces.at(-1)!.picture === previous);
      const pairs: Array<{ face: DescribedFace; track: AppearanceDraft; similarity: number }> = [];
      for (const face of here)
        for (const track of alive) {
          const last = track.faces.at(-1)!;
          const similarity = cosine(face.vector, last.vector);
          const inPlace =
            similarity >= TRACKING.minSimilarity &&
            face.seconds - last.seconds <= TRACKING.maxGapSeconds &&
            overlap(face.box, last.box) >= TRACKING.minOverlap;
          if (similarity >= sameAt || inPlace) pairs.push({ face, track, similarity });
        }
      pairs.sort((a, b) => b.similarity - a.similarity);
      const usedFaces = new Set<DescribedFace>();
      const usedTracks = new Set<AppearanceDraft>();
      for (const p of pairs) {
        if (usedFaces.has(p.face) || usedTracks.has(p.track)) continue;
        usedFaces.add(p.face);
        usedTracks.add(p.track);
        p.track.faces.push(p.face);
      }
      for (const face of here)
        if (!usedFaces.has(face)) {
          const track: AppearanceDraft = {
            shot: face.shot,
            startSeconds: face.seconds,
            endSeconds: face.seconds,
            frames: 0,
            best: face,
            faces: [face],
          };
          open.push(track);
        }
      previous = picture;
    }
    for (const track of open) {
      const firstFace = track.faces[0]!;
      const lastFace = track.faces.at(-1)!;
      track.frames = track.faces.length;
      track.best = track.faces.reduce((a, b) => (b.px > a.px || (b.px === a.px && b.score > a.score) ? b : a));
      track.startSeconds = firstFace.seconds;
      track.endSeconds = lastFace.seconds;
      if (shot) {
        if (firstFace.picture === pictures[0]) track.startSeconds = Math.min(firstFace.seconds, shot.start);
        if (lastFace.picture === pictures.at(-1)) track.endSeconds = Math.max(lastFace.seconds, shot.end);
      }
      out.push(track);
    }
  }
  return out.sort((a, b) => a.startSeconds - b.startSeconds || a.best.box[0] - b.best.box[0]);
}

/**
 * Whether two appearances of one analysis overlap in time (then they show different
 * people). Appearances without a time (a photograph, a document's pictures) overlap when
 * they are on one picture: the same face on two pages of a report is one person's.
 */
export function overlaps(
  a: { startSeconds: number | null; endSeconds: number | null; picture?: number },
  b: { startSeconds: number | null; endSeconds: number | null; picture?: number },
): boolean {
  if (a.startSeconds === null || b.startSeconds === null)
    return a.startSeconds === b.startSeconds && a.picture === b.picture;
  return a.startSeconds <= (b.endSeconds ?? b.startSeconds) && b.startSeconds <= (a.endSeconds ?? a.startSeconds);
}
