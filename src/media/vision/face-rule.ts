/** Which face candidates count as faces: one rule for the model host (what faceres describes) and the vision stage. */

/** What a face candidate must pass to count as a face (see VISION_CALIBRATION). */
export interface FaceThresholds {
  /** BlazeFace's box score. */
  minScore: number;
  /** The face mesh's score for the same crop (the second opinion). */
  minMeshScore: number;
}

/**
 * A face candidate counts when both models agree: BlazeFace alone sees faces in a
 * motorcycle's gauges and a cat's face, which the face mesh scores near 0. A candidate
 * without a mesh score (the mesh did not run) has no second opinion and does not count.
 */
export function isFace(f: { score: number; mesh_score: number | null }, t: FaceThresholds): boolean {
  return f.score >= t.minScore && f.mesh_score !== null && f.mesh_score >= t.minMeshScore;
}
