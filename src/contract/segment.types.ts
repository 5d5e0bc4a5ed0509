/** The shapes of media_segments rows going in (NewSegment) and coming out of the segment repository's reads. */

export const SEGMENT_KINDS = ['transcript', 'ocr', 'document', 'image_text', 'shot', 'object', 'person'] as const;
export type SegmentKind = (typeof SEGMENT_KINDS)[number];

export interface NewSegment {
  analysisId: string;
  tenantId: string;
  kind: SegmentKind;
  startSeconds: number | null;
  endSeconds: number | null;
  page: number | null;
  text: string;
  embedding: Buffer;
  code: Buffer;
  /** The embedding's magnitude bits (vector-codec.ts magnitudeCode). */
  magnitude: Buffer;
  keyframe: string | null;
  /**
   * The words full-text search may match, when fewer than `text`'s: a local transcript
   * window without the words the engine was unsure of (stored as `sure_tsv`). Absent: all of `text`.
   */
  sure?: string | null;
}

/** Narrowing of a search to some analyses. */
export interface SearchFilters {
  mediaType?: string | undefined;
  status?: string | undefined;
  dateFrom?: Date | undefined;
  dateTo?: Date | undefined;
}

/** Whether any filter is set (the search then reads its candidates through the analyses). */
export function isFiltered(f: SearchFilters): boolean {
  return Boolean(f.mediaType || f.status || f.dateFrom || f.dateTo);
}

export interface RankedSegment {
  id: number;
  analysisId: string;
  rank: number;
}

export interface SegmentVector {
  id: number;
  analysisId: string;
  embedding: Buffer;
}

export interface SegmentDetail {
  id: number;
  analysisId: string;
  kind: SegmentKind;
  startSeconds: number | null;
  endSeconds: number | null;
  page: number | null;
  text: string;
  /** For search hits: the keyframe's artifact id; for an analysis' own segments: its storage path. */
  keyframe: string | null;
}

export interface AnalysisBrief {
  id: string;
  mediaType: string;
  status: string;
  createdAt: Date;
  resultSummary: string | null;
  originalFilename: string | null;
}
