/**
 * The analysis lifecycle. Every mutation runs in one transaction with its audit row
 * and, where the analysis must be (re)processed, its job: the three commit together or
 * not at all. Status changes go through the transition table (guarded updates).
 */
import crypto from 'node:crypto';
import type { AnalysisUpdate } from '../../persistence/schema.ts';
import type { Db, Tx } from '../../persistence/database.ts';
import type { AnalysisStage } from '../../contract/analysis-stage.types.ts';
import { EVENT_CONTENT_KEYS } from './analysis-events.service.ts';
import type { NewAnalysis } from '../../persistence/analysis-insert.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import { AppError, errors } from '../errors.ts';
import { canonicalJson, promptHash, sha256Hex } from './fingerprint.ts';
import { SubmissionEstimator } from './estimate.ts';
import type { CreateAnalysisInput, IdempotencyContext, IdempotentRequest, SubmitOutcome } from './submission.types.ts';
import { TRANSITIONS, canTransition, type TransitionName } from './analysis.state.ts';
import { applyTransition, auditTransition } from './analysis.transition.ts';
import {
  MAX_RETRIES,
  type Actor,
  type Analysis,
  type AnalysisListItem,
  type Artifact,
  type MediaType,
  type ListFilter,
  type ListPage,
} from '../../contract/analysis.types.ts';

/** Idempotency keys are 1-255 visible ASCII characters. */
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface AnalysisServiceOptions {
  maxJobAttempts: number;
  idempotencyTtlHours: number;
  /** Files of a soft-deleted analysis stay this long before cleanup removes them. */
  deletedFilesGraceHours?: number;
}

/** The repositories the lifecycle reads and writes through (handed in by the composition root). */
export type AnalysisRepositories = Pick<
  Repositories,
  | 'analyses'
  | 'analysisInserts'
  | 'analysisStages'
  | 'archive'
  | 'audit'
  | 'events'
  | 'idempotency'
  | 'jobs'
  | 'latency'
  | 'mediaFiles'
>;

export class AnalysisService {
  private readonly db: Db;
  private readonly opts: AnalysisServiceOptions;
  private readonly estimator: SubmissionEstimator;

  private readonly repos: AnalysisRepositories;
  private readonly batcher: ReturnType<AnalysisRepositories['analysisInserts']['batcher']>;

  constructor(db: Db, repos: AnalysisRepositories, opts: AnalysisServiceOptions) {
    this.estimator = new SubmissionEstimator(db, repos);
    this.db = db;
    this.repos = repos;
    this.opts = opts;
    this.batcher = repos.analysisInserts.batcher(db, { maxAttempts: opts.maxJobAttempts });
  }

  /**
   * Insert the analysis, its upload record, its audit row and its job in one
   * transaction. With an idempotency context the stored response commits with them.
   */
  async create(input: CreateAnalysisInput, actor: Actor, idem?: IdempotencyContext): Promise<Analysis> {
    const id = input.id ?? crypto.randomUUID();
    const item: NewAnalysis = {
      id,
      correlationId: input.correlationId,
      prompt: input.prompt,
      promptHash: promptHash(input.prompt, input.config, {
        sha256: input.upload?.sha256 ?? null,
        url: input.sourceUrl,
      }),
      sourceUrl: input.sourceUrl,
      originalFilename: input.upload?.originalFilename ?? null,
      mediaType: input.mediaType,
      config: input.config,
      options: input.options,
      metadata: input.metadata,
      webhookUrl: input.webhookUrl ?? null,
      tenantId: input.tenantId,
      createdAt: input.createdAt ?? null,
      actor: { id: actor.id, ip: actor.ip, correlationId: actor.correlationId },
    };
    // The common case (a URL, no idempotency key) goes through the group-commit
    // batcher; uploads and idempotent requests add rows in one transaction around it.
    if (!input.upload && !idem) return this.batcher.insert(item);
    return this.db.transaction().execute(async (trx) => {
      const [analysis] = await this.repos.analysisInserts.insertWithJobs(trx, [item], this.opts.maxJobAttempts);
      if (input.upload) {
        const { originalFilename: _ignored, ...file } = input.upload;
        await this.repos.mediaFiles.upsert(trx, { ...file, analysisId: id });
      }
      if (idem) await this.repos.idempotency.complete(trx, input.tenantId, idem.key, 202, idem.render(analysis!));
      return analysis!;
    });
  }

  /**
   * Create, honouring an `Idempotency-Key` when one is given: the key is claimed first
   * (committed on its own, so a concurrent duplicate sees it), completed in the create's
   * transaction, and released when the create fails so the client can try again.
   */
  async submit(input: CreateAnalysisInput, actor: Actor, idem?: IdempotentRequest): Promise<SubmitOutcome> {
    if (!idem) return { kind: 'created', analysis: await this.create(input, actor) };
    if (!IDEMPOTENCY_KEY_PATTERN.test(idem.key))
      throw errors.invalidParameter('Idempotency-Key', 'must be 1-255 visible ASCII characters');
    const requestHash = sha256Hex(canonicalJson(idem.fingerprint));
    const ttlHours = this.opts.idempotencyTtlHours;
    const existing = await this.repos.idempotency.claim(this.db, input.tenantId, idem.key, requestHash, ttlHours);
    if (existing) {
      if (existing.state === 'in_progress')
        throw new AppError(
          'IDEMPOTENCY_IN_PROGRESS',
          'The first request with this Idempotency-Key is still being processed',
          { headers: { 'retry-after': '1' } },
        );
      if (existing.requestHash !== requestHash)
        throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
      return { kind: 'replayed', status: existing.responseStatus ?? 202, body: existing.responseBody ?? {} };
    }
    try {
      const analysis = await this.create(input, actor, { key: idem.key, requestHash, render: idem.render });
      return { kind: 'created', analysis };
    } catch (err) {
      await this.repos.idempotency.release(this.db, input.tenantId, idem.key).catch(() => undefined);
      throw err;
    }
  }

  /** The live files of an analysis its tenant may see (404/410 as for `get`). */
  async artifacts(id: string, tenantId: string): Promise<{ analysis: Analysis; artifacts: Artifact[] }> {
    const analysis = await this.get(id, tenantId);
    const rows = await this.repos.mediaFiles.listForAnalysis(this.db, analysis.id);
    const artifacts = rows.map((f) => ({
      id: f.id,
      area: f.area,
      relativePath: f.relative_path,
      mimeType: f.mime_type,
      sizeBytes: Number(f.size_bytes),
      sha256: f.sha256,
      createdAt: f.created_at,
      expiresAt: f.expires_at,
    }));
    return { analysis, artifacts };
  }

  /** One artifact of an analysis; ARTIFACT_NOT_FOUND when it is not one of its live files. */
  async artifact(id: string, tenantId: string, artifactId: string): Promise<Artifact> {
    const { analysis, artifacts } = await this.artifacts(id, tenantId);
    const found = artifacts.find((f) => f.id === artifactId);
    if (!found) throw new AppError('ARTIFACT_NOT_FOUND', `No artifact ${artifactId} for analysis ${analysis.id}`);
    return found;
  }

  /** Wait for creates still being written (a client may have gone away mid-request). */
  async drain(): Promise<void> {
    await this.batcher.drain();
  }

  /**
   * The analysis as its tenant sees it, live or archived (`archivedAt` set): 404 when
   * unknown or another tenant's, 410 when deleted.
   */
  /** The submission's estimate in seconds (see estimate.ts). */
  estimate(mediaType: MediaType, sizeBytes: number | null): Promise<number> {
    return this.estimator.estimate(mediaType, sizeBytes);
  }

  async get(id: string, tenantId: string): Promise<Analysis> {
    const a = await this.repos.archive.findLiveOrArchived(this.db, id, tenantId);
    if (!a) throw errors.analysisNotFound(id);
    if (a.status === 'deleted') throw errors.analysisGone(id);
    return a;
  }

  /** `get` and `stages` in one database round trip (the status read). */
  async getWithStages(id: string, tenantId: string): Promise<{ analysis: Analysis; stages: AnalysisStage[] }> {
    const found = await this.repos.archive.findLiveOrArchivedWithStages(this.db, id, tenantId);
    if (!found) throw errors.analysisNotFound(id);
    if (found.analysis.status === 'deleted') throw errors.analysisGone(id);
    return found;
  }

  /** Each stage's status for the analysis's current attempt, in pipeline order. */
  async stages(id: string): Promise<AnalysisStage[]> {
    return this.repos.analysisStages.list(this.db, id);
  }

  /** History; with `includeArchived` merged with the archive (archived rows carry `archivedAt`). */
  async list(filter: ListFilter, page: ListPage): Promise<{ items: AnalysisListItem[]; total: number }> {
    const withArchive = filter.includeArchived === true;
    const [items, live, archived] = await Promise.all([
      withArchive
        ? this.repos.archive.listWithArchived(this.db, filter, page)
        : this.repos.analyses.list(this.db, filter, page),
      this.repos.analyses.count(this.db, filter),
      withArchive ? this.repos.archive.count(this.db, filter) : 0,
    ]);
    return { items, total: live + archived };
  }

  /** In a user move's transaction: an archived analysis goes back live first (results too). */
  private async restoreIfArchived(trx: Tx, current: Analysis): Promise<void> {
    if (current.archivedAt && !(await this.repos.archive.restore(trx, current.id)))
      throw new AppError('CONCURRENT_MODIFICATION', `Analysis ${current.id} changed concurrently; try again`);
  }

  /** failed|cancelled → pending, retry_count + 1 (at most MAX_RETRIES), with a new job; restored first when archived. */
  async retry(id: string, tenantId: string, actor: Actor): Promise<Analysis> {
    const current = await this.get(id, tenantId);
    // A completed analysis with a failed optional stage (partial) may run again, e.g. once
    // the missing speech engine is installed; a fully completed one may not.
    const name: TransitionName = current.status === 'completed' ? 'retry_partial' : 'retry';
    const partial = current.results?.partial === true;
    if (!canTransition(current.status, name) || (name === 'retry_partial' && !partial))
      throw errors.invalidTransition(current.status, 'pending');
    if (current.retryCount >= MAX_RETRIES)
      throw new AppError('RETRY_LIMIT_REACHED', `Analysis ${id} was retried ${MAX_RETRIES} times already`);
    return this.db.transaction().execute(async (trx) => {
      await this.restoreIfArchived(trx, current);
      const jobId = await this.repos.jobs.enqueueProcessAnalysis(
        trx,
        { analysisId: id, correlationId: actor.correlationId ?? current.correlationId },
        { maxAttempts: this.opts.maxJobAttempts },
      );
      const next = await this.repos.analyses.transition(
        trx,
        id,
        TRANSITIONS[name],
        {
          retry_count: current.retryCount + 1,
          progress: 0,
          error_code: null,
          error_message: null,
          results: null,
          started_at: null,
          completed_at: null,
          latency_ms: null,
          job_id: jobId,
        },
        current.version,
      );
      if (!next) throw new AppError('CONCURRENT_MODIFICATION', `Analysis ${id} changed while retrying; try again`);
      await auditTransition(this.repos, trx, current, next, 'retry', actor);
      return next;
    });
  }

  async cancel(id: string, tenantId: string, actor: Actor): Promise<Analysis> {
    return this.userTransition(id, tenantId, 'cancel', actor, { completed_at: new Date() });
  }

  /**
   * Soft delete: status deleted, deleted_at set, files due for cleanup, waiting job removed.
   * An archived analysis is restored and deleted like a live one (410 afterwards, audited;
   * the archive takes it back, deleted, after ARCHIVE_AFTER_DAYS).
   */
  async delete(id: string, tenantId: string, actor: Actor): Promise<Analysis> {
    return this.userTransition(id, tenantId, 'delete', actor, { deleted_at: new Date() }, async (trx) => {
      await this.repos.mediaFiles.expireForAnalysis(trx, id, this.opts.deletedFilesGraceHours ?? 0);
      // After the transition, so the `deleted` event its trigger wrote is redacted as well.
      await this.repos.events.redactForAnalysis(trx, id, EVENT_CONTENT_KEYS);
    });
  }

  private async userTransition(
    id: string,
    tenantId: string,
    name: TransitionName,
    actor: Actor,
    patch: AnalysisUpdate,
    extra?: (trx: Tx) => Promise<void>,
  ): Promise<Analysis> {
    const current = await this.get(id, tenantId);
    if (!canTransition(current.status, name)) {
      throw errors.invalidTransition(current.status, name === 'delete' ? 'deleted' : 'cancelled');
    }
    return this.db.transaction().execute(async (trx) => {
      await this.restoreIfArchived(trx, current);
      const next = await applyTransition(this.repos, trx, current, name, patch, actor);
      if (!next) throw new AppError('CONCURRENT_MODIFICATION', `Analysis ${id} changed concurrently; try again`);
      await this.repos.jobs.removeAnalysisJob(trx, id);
      if (extra) await extra(trx);
      return next;
    });
  }
}
