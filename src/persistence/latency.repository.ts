/**
 * What recent analyses of one media type took: the median wall time, and the median per
 * megabyte of source, over the latest completed runs (the estimate shown at submit).
 */
import { sql } from 'kysely';
import type { Db } from './database.ts';

/** Runs the medians are taken over. */
export const LATENCY_WINDOW_RUNS = 200;

export interface LatencyStats {
  runs: number;
  medianMs: number | null;
  /** Median of latency / max(1, size in MB) over runs whose uploaded source size is known. */
  medianMsPerMb: number | null;
}

export const latencyRepository = {
  async recent(db: Db, mediaType: string): Promise<LatencyStats> {
    const r = await sql<{ runs: number; median_ms: number | null; median_ms_per_mb: number | null }>`
      SELECT count(*)::int AS runs,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latest.latency_ms) AS median_ms,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latest.latency_ms / greatest(f.size_bytes / 1e6, 1))
               FILTER (WHERE f.size_bytes IS NOT NULL) AS median_ms_per_mb
      FROM (
        SELECT id, latency_ms FROM media_analysis_requests
        WHERE status = 'completed' AND media_type = ${mediaType} AND latency_ms IS NOT NULL
        ORDER BY created_at DESC
        LIMIT ${LATENCY_WINDOW_RUNS}
      ) latest
      LEFT JOIN LATERAL (
        SELECT size_bytes FROM media_files WHERE analysis_id = latest.id AND area = 'uploads' LIMIT 1
      ) f ON true`.execute(db);
    const row = r.rows[0];
    return {
      runs: row?.runs ?? 0,
      medianMs: row?.median_ms == null ? null : Number(row.median_ms),
      medianMsPerMb: row?.median_ms_per_mb == null ? null : Number(row.median_ms_per_mb),
    };
  },
};
