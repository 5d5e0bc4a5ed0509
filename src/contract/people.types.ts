/**
 * People vocabulary (docs/people.md):
 * - face description: faceres's 1024-number vector for one face; two faces of one person
 *   point the same way (compared by cosine similarity).
 * - appearance: one person on screen through consecutive sampled frames of one shot (a
 *   start–end), or once in a photograph; it keeps the description, box and thumbnail of
 *   its best frame. The API calls an appearance a "face" where one is removed from a person.
 * - person: the appearances of one tenant judged to show the same human, grouped as
 *   analyses complete; conservative — a wrong merge is worse than a split.
 */

/** A new appearance to store (built by the pipeline's people stage). */
export interface NewAppearance {
  tenantId: string;
  personId: string;
  analysisId: string;
  startSeconds: number | null;
  endSeconds: number | null;
  page: number | null;
  shot: number | null;
  frames: number;
  box: [number, number, number, number];
  /** Height of the best frame's face in pixels (what the gate and the choice of best frame read). */
  quality: number;
  /** Unit-length float32 description, little endian (4096 bytes). */
  vector: Buffer;
  /** The int8 sketch the fast path scans (256 bytes). */
  sketch: Buffer;
  thumbnailFileId: string | null;
}

/** A stored appearance as the API shows it. */
export interface Appearance {
  id: string;
  personId: string;
  analysisId: string;
  startSeconds: number | null;
  endSeconds: number | null;
  page: number | null;
  shot: number | null;
  frames: number;
  box: number[];
  /** Height of its best face in pixels of the picture the detector saw. */
  quality: number;
  thumbnailFileId: string | null;
  createdAt: Date;
}

export interface Person {
  id: string;
  tenantId: string;
  name: string | null;
  faceCount: number;
  analysisIds: string[];
  /** The best appearance's thumbnail: its analysis and media file. */
  thumbnail: { analysisId: string; fileId: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A tenant's sketches, end to end, for the in-memory fast path. */
export interface SketchPage {
  ids: string[];
  /** ids.length × 256 int8 values. */
  sketches: Buffer;
}
