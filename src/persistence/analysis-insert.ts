/**
 * Creating analyses: each analysis row, its queue job and its audit row are written by
 * ONE statement (data-modifying CTEs around graphile-worker's `add_jobs`), so the three
 * commit together or not at all.
 *
 * Under load, concurrent creates are grouped into one statement (group commit): while
 * up to `maxInFlight` statements run, new requests wait in a queue and the next
 * statement takes up to `maxBatch` of them (two in flight served the most creates; the
 * figures are in docs/decisions/0010-measured-choices.md). At low load a request goes out
 * alone at once, so batching adds no latency. Why: graphile-worker's `add_job` sends a
 * NOTIFY per call and NOTIFY serialises commits, which caps single-job creates, while
 * `add_jobs` amortises it over the batch. If a batch fails, its requests are retried one
 * by one so only a bad request fails.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, AnalysisRow } from './schema.ts';
import { toAnalysis } from './analysis.repository.ts';
import type { Analysis } from '../contract/analysis.types.ts';
import { TASK, analysisJobKey } from './job.repository.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface NewAnalysis {
  id: string;
  correlationId: string;
  prompt: string;
  promptHash: string;
  sourceUrl: string | null;
  originalFilename: string | null;
  mediaType: string;
  config: Record<string, unknown>;
  options: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** The request's own callback URL (checked by the caller), or null. */
  webhookUrl?: string | null;
  tenantId: string;
  createdAt: Date | null;
  actor: { id: string; ip: string | null; correlationId: string | null };
}

/** Insert analyses with their jobs and audit rows in one statement; rows come back in input order. */
export async function insertAnalysesWithJobs(
  db: Executor,
  items: readonly NewAnalysis[],
  maxAttempts: number,
): Promise<Analysis[]> {
  const input = items.map((a, ord) => ({
    ord,
    id: a.id,
    correlation_id: a.correlationId,
    prompt: a.prompt,
    prompt_hash: a.promptHash,
    source_url: a.sourceUrl,
    original_filename: a.originalFilename,
    media_type: a.mediaType,
    analysis_config: a.config,
    analysis_options: a.options,
    metadata: a.metadata,
    webhook_url: a.webhookUrl ?? null,
    tenant_id: a.tenantId,
    created_at: a.createdAt?.toISOString() ?? null,
    job_key: analysisJobKey(a.id),
    actor_id: a.actor.id,
    actor_ip: a.actor.ip,
    actor_correlation_id: a.actor.correlationId,
  }));
  const r = await sql<AnalysisRow & { ord: number }>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb) AS x(
        ord int, id uuid, correlation_id text, prompt text, prompt_hash text, source_url text, original_filename text,
        media_type text, analysis_config jsonb, analysis_options jsonb, metadata jsonb, webhook_url text,
        tenant_id text, created_at timestamptz, job_key text, actor_id text, actor_ip inet, actor_correlation_id text)
    ),
    jobs AS (
      SELECT j.id AS job_id, j.key AS job_key
      FROM graphile_worker.add_jobs(ARRAY(
        SELECT ROW(${TASK.processAnalysis}::text, json_build_object('analysisId', i.id, 'correlationId', i.correlation_id),
                   NULL, NULL, ${maxAttempts}::int, i.job_key, NULL, NULL)::graphile_worker.job_spec
        FROM input i ORDER BY i.ord)) j
    ),
    ins AS (
      INSERT INTO media_analysis_requests
        (id, correlation_id, prompt, prompt_hash, source_url, original_filename, media_type, status,
         analysis_config, analysis_options, metadata, webhook_url, tenant_id, job_id, created_at, updated_at)
      SELECT i.id, i.correlation_id, i.prompt, i.prompt_hash, i.source_url, i.original_filename, i.media_type, 'pending',
             i.analysis_config, i.analysis_options, i.metadata, i.webhook_url, i.tenant_id, jobs.job_id,
             coalesce(i.created_at, now()), coalesce(i.created_at, now())
      FROM input i JOIN jobs ON jobs.job_key = i.job_key
      -- One lock order for the per-tenant counter rows the insert trigger updates.
      ORDER BY i.tenant_id, i.ord
      RETURNING *
    ),
    audit AS (
      INSERT INTO audit_log (table_name, record_id, action, new_values, performed_by, ip_address, correlation_id)
      SELECT 'media_analysis_requests', ins.id::text, 'create',
             jsonb_build_object('status', ins.status, 'media_type', ins.media_type, 'source_url', ins.source_url, 'job_id', ins.job_id),
             i.actor_id, i.actor_ip, i.actor_correlation_id
      FROM ins JOIN input i ON i.id = ins.id
    )
    SELECT ins.*, i.ord FROM ins JOIN input i ON i.id = ins.id ORDER BY i.ord`.execute(db);
  if (r.rows.length !== items.length)
    throw new Error(`expected ${items.length} inserted analyses, got ${r.rows.length}`);
  return r.rows.map(({ ord: _ord, ...row }) => toAnalysis(row as AnalysisRow));
}

interface Waiting {
  item: NewAnalysis;
  resolve: (a: Analysis) => void;
  reject: (err: unknown) => void;
}

export class AnalysisInsertBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  private readonly db: Kysely<Database>;
  private readonly maxAttempts: number;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Batch sizes seen, for tests and diagnostics. */
  readonly stats = { statements: 0, rows: 0, largestBatch: 0 };

  constructor(db: Kysely<Database>, opts: { maxAttempts: number; maxBatch?: number; maxInFlight?: number }) {
    this.db = db;
    this.maxAttempts = opts.maxAttempts;
    this.maxBatch = opts.maxBatch ?? 64;
    this.maxInFlight = opts.maxInFlight ?? 2;
  }

  insert(item: NewAnalysis): Promise<Analysis> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once nothing is queued or in flight (used at shutdown, before the pool closes). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    this.stats.statements++;
    this.stats.rows += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    try {
      const rows = await insertAnalysesWithJobs(
        this.db,
        batch.map((w) => w.item),
        this.maxAttempts,
      );
      batch.forEach((w, i) => w.resolve(rows[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One bad request must not fail its neighbours: retry each on its own.
      await Promise.all(
        batch.map((w) =>
          insertAnalysesWithJobs(this.db, [w.item], this.maxAttempts).then(
            (rows) => w.resolve(rows[0]!),
            (e: unknown) => w.reject(e),
          ),
        ),
      );
    }
  }
}
