/**
 * Makes an analysis searchable: its segment drafts are embedded in batches (in the
 * embedding worker thread) and stored with their int8 vector and sign code, replacing
 * any earlier ones of the same analysis.
 */
import type { NewSegment } from '../../contract/segment.types.ts';
import { magnitudeCode, quantizeInt8, signCode } from '../../nlp/vector-codec.ts';
import type { Embedder } from '../../nlp/embedder.ts';
import type { Db } from '../../persistence/database.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import { finalizeDrafts, type SegmentDraft } from './segment-drafts.ts';

export interface IndexedSegments {
  stored: number;
  /** Drafts beyond MAX_SEGMENTS_PER_ANALYSIS that were not stored. */
  dropped: number;
  byKind: Record<string, number>;
}

export async function indexSegments(
  db: Db,
  repos: Pick<Repositories, 'segments'>,
  embedder: Embedder,
  analysis: { id: string; tenantId: string },
  drafts: SegmentDraft[],
  signal?: AbortSignal,
): Promise<IndexedSegments> {
  const { drafts: clean, dropped } = finalizeDrafts(drafts);
  // A transcript window is embedded by the words the engine was sure of, as it is matched by them.
  const vectors = await embedder.embed(
    clean.map((d) => d.sure ?? d.text),
    signal,
  );
  const rows: NewSegment[] = clean.map((d, i) => {
    const embedding = quantizeInt8(vectors[i]!);
    return {
      analysisId: analysis.id,
      tenantId: analysis.tenantId,
      kind: d.kind,
      startSeconds: d.start,
      endSeconds: d.end,
      page: d.page,
      text: d.text,
      embedding,
      code: signCode(vectors[i]!),
      magnitude: magnitudeCode(embedding),
      keyframe: d.keyframe,
      sure: d.sure ?? null,
    };
  });
  const stored = await repos.segments.replaceForAnalysis(db, analysis.id, rows);
  const byKind: Record<string, number> = {};
  for (const d of clean) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  return { stored, dropped, byKind };
}
