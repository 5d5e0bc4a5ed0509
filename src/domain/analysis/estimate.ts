/**
 * The processing estimate shown on submission, learned from this installation's own
 * completed runs (persistence/latency.repository.ts), with a fixed default per type
 * until there are enough of them.
 */
import { LRUCache } from 'lru-cache';
import type { Db } from '../../persistence/database.ts';
import type { LatencyStats } from '../../persistence/latency.repository.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import type { MediaType } from '../../contract/analysis.types.ts';

/** The estimate before any run of a media type has completed here (seconds). */
const DEFAULT_ESTIMATE_SECONDS: Record<MediaType, number> = {
  video: 60,
  audio: 30,
  document: 15,
  image: 10,
  unknown: 30,
};
/** Completed runs of a type needed before their medians replace the default. */
const MIN_RUNS_FOR_ESTIMATE = 5;

/**
 * The processing estimate shown on submission, in seconds: from the latest completed
 * runs of the same media type on this installation — their median time per megabyte of
 * source times this upload's size, or their median time when the size is not known yet
 * (a URL) — and a fixed default per type until there are enough runs.
 */
export function estimateSeconds(mediaType: MediaType, sizeBytes: number | null, stats?: LatencyStats): number {
  if (!stats || stats.runs < MIN_RUNS_FOR_ESTIMATE || stats.medianMs === null)
    return DEFAULT_ESTIMATE_SECONDS[mediaType];
  const ms =
    sizeBytes !== null && stats.medianMsPerMb !== null
      ? stats.medianMsPerMb * Math.max(1, sizeBytes / 1e6)
      : stats.medianMs;
  return Math.max(1, Math.round(ms / 1000));
}

/** How long one media type's latency medians are reused before they are read again. */
const LATENCY_STATS_TTL_MS = 60_000;

/** Reads the latency medians of a media type at most once a minute per process. */
export class SubmissionEstimator {
  private readonly db: Db;
  private readonly repos: Pick<Repositories, 'latency'>;
  private readonly latency = new LRUCache<string, LatencyStats>({ max: 16, ttl: LATENCY_STATS_TTL_MS });

  constructor(db: Db, repos: Pick<Repositories, 'latency'>) {
    this.db = db;
    this.repos = repos;
  }

  async estimate(mediaType: MediaType, sizeBytes: number | null): Promise<number> {
    let stats = this.latency.get(mediaType);
    if (!stats) {
      stats = await this.repos.latency.recent(this.db, mediaType);
      this.latency.set(mediaType, stats);
    }
    return estimateSeconds(mediaType, sizeBytes, stats);
  }
}
