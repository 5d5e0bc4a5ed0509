/**
 * Reading the analysis event log (the table the live streams resume from). The event
 * hub delivers new events as they commit; this is where a stream catches up.
 */
import type { Db } from '../../persistence/database.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import type { AnalysisEvent } from '../../contract/webhook.types.ts';
import type { Analysis } from '../../contract/analysis.types.ts';
import { errors } from '../errors.ts';

/**
 * What an event may carry of an analysis's content (not its lifecycle): the summary and
 * error messages (which can quote the media, its file name or URL). Deleting an analysis
 * removes these from its events, and a live `deleted` event never carries them.
 */
export const EVENT_CONTENT_KEYS = ['summary', 'error_message'] as const;

/** An event's data without its content keys, marked as redacted. */
export function redactEventData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data, redacted: true };
  for (const k of EVENT_CONTENT_KEYS) delete out[k];
  return out;
}

/** Whose events: one analysis's, or (without `analysisId`) the whole tenant's. */
export interface EventScope {
  tenantId: string;
  analysisId?: string | undefined;
}

/** What reading events goes through. */
export type EventRepositories = Pick<Repositories, 'events' | 'archive'>;

export class AnalysisEventService {
  private readonly db: Db;
  private readonly repos: EventRepositories;

  constructor(db: Db, repos: EventRepositories) {
    this.db = db;
    this.repos = repos;
  }

  /**
   * The analysis a stream is about, deleted and archived ones included (a stream reports
   * the deletion; an archived one its final state): 404 when unknown.
   */
  async analysis(id: string, tenantId: string): Promise<Analysis> {
    const a = await this.repos.archive.findLiveOrArchived(this.db, id, tenantId);
    if (!a) throw errors.analysisNotFound(id);
    return a;
  }

  /** Events after `afterId`, oldest first, at most `limit`. */
  async after(scope: EventScope, afterId: number, limit: number): Promise<AnalysisEvent[]> {
    return this.repos.events.listAfter(this.db, scope, afterId, limit);
  }

  /** The newest event id of an analysis (0 when it has none). */
  async latestId(analysisId: string): Promise<number> {
    return this.repos.events.latestId(this.db, analysisId);
  }

  /** The newest event id of a tenant (0 when it has none). */
  async latestTenantId(tenantId: string): Promise<number> {
    return this.repos.events.latestTenantId(this.db, tenantId);
  }
}
