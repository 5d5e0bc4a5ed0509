/**
 * Prometheus metrics (prom-client) on a registry of our own. Label values are bounded:
 * routes are Fastify's route patterns (never raw URLs; unmatched requests are
 * "unmatched"), statuses are numbers, stages and providers come from fixed lists.
 * Gauges that need the database (analyses by status, queue depth and age, worker
 * heartbeats, pool connections) are read at scrape time through the collectors the
 * composition root hands in: observability imports nothing of persistence.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { ANALYSIS_STATUSES } from '../contract/analysis.types.ts';
import { BREAKER_STATES } from '../resilience/circuit-breaker.ts';

/** Read at scrape time; each may reject (the gauge then reads 0). */
export interface MetricsSources {
  /** Analyses per status, all tenants. */
  analysesByStatus: () => Promise<ReadonlyArray<{ status: string; n: number }>>;
  /** Jobs runnable now and the age of the oldest. */
  runnableJobs: () => Promise<{ depth: number; oldestAgeSeconds: number }>;
  /** Worker processes with a fresh heartbeat. */
  liveWorkers: () => Promise<number>;
  /** The database pool's connection counts. */
  pool: () => { total: number; idle: number; waiting: number };
  storageRoot: string;
  breakers: () => Record<string, { state: string }>;
}

export class Metrics {
  readonly registry = new client.Registry();
  readonly httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  readonly stageDuration: client.Histogram<'stage'>;
  readonly stageStalls: client.Counter<'stage'>;
  readonly connectionsClosed: client.Counter<'reason'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // prom-client's default set names some gauges *_total, which promtool's linter rejects;
    // the process facts that matter are exported here instead.
    new client.Gauge({
      name: 'media_analysis_process_resident_memory_bytes',
      help: 'Resident memory of this process',
      registers,
      collect() {
        this.set(process.memoryUsage().rss);
      },
    });
    new client.Gauge({
      name: 'media_analysis_process_heap_used_bytes',
      help: 'V8 heap in use',
      registers,
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    this.httpDuration = new client.Histogram({
      name: 'media_analysis_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.stageDuration = new client.Histogram({
      name: 'media_analysis_stage_duration_seconds',
      help: 'Pipeline stage duration',
      labelNames: ['stage'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.stageStalls = new client.Counter({
      name: 'media_analysis_stage_stalls_total',
      help: 'Stages flagged stalled: running far past the duration learned from past runs',
      labelNames: ['stage'],
      registers,
    });
    this.connectionsClosed = new client.Counter({
      name: 'media_analysis_http_connections_closed_total',
      help: 'Connections closed for sending too slowly (request/headers timeout, stalled body)',
      labelNames: ['reason'],
      registers,
    });
    new client.Gauge({
      name: 'media_analysis_analyses',
      help: 'Analyses by status (all tenants)',
      labelNames: ['status'],
      registers,
      async collect() {
        const rows = await sources.analysesByStatus().catch(() => []);
        for (const s of ANALYSIS_STATUSES) this.set({ status: s }, rows.find((x) => x.status === s)?.n ?? 0);
      },
    });
    const queue = queueSnapshot(sources);
    new client.Gauge({
      name: 'media_analysis_queue_jobs',
      help: 'Jobs waiting in the queue (runnable now)',
      registers,
      async collect() {
        this.set((await queue()).depth);
      },
    });
    new client.Gauge({
      name: 'media_analysis_queue_oldest_job_age_seconds',
      help: 'Age of the oldest runnable job',
      registers,
      async collect() {
        this.set((await queue()).oldestAge);
      },
    });
    new client.Gauge({
      name: 'media_analysis_worker_heartbeats',
      help: 'Worker processes with a fresh heartbeat',
      registers,
      async collect() {
        this.set(await sources.liveWorkers().catch(() => 0));
      },
    });
    new client.Gauge({
      name: 'media_analysis_db_pool_connections',
      help: 'PostgreSQL pool connections by state',
      labelNames: ['state'],
      registers,
      collect() {
        const p = sources.pool();
        this.set({ state: 'in_use' }, p.total - p.idle);
        this.set({ state: 'idle' }, p.idle);
        this.set({ state: 'waiting' }, p.waiting);
      },
    });
    new client.Gauge({
      name: 'media_analysis_breaker_state',
      help: 'Provider circuit breaker state (1 for the current state)',
      labelNames: ['breaker', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [name, b] of Object.entries(sources.breakers())) {
          for (const s of BREAKER_STATES) this.set({ breaker: name, state: s }, b.state === s ? 1 : 0);
        }
      },
    });
    new client.Gauge({
      name: 'media_analysis_storage_disk_usage_ratio',
      help: 'Used fraction of the filesystem holding the storage root',
      registers,
      async collect() {
        const st = await fs.statfs(sources.storageRoot).catch(() => null);
        if (st) this.set(1 - st.bavail / st.blocks);
      },
    });
  }

  /** Cache hits and misses (and Redis errors), read from the cache's counters at scrape time. */
  trackCache(cache: { stats: { hits: number; misses: number; errors: number } }): void {
    new client.Counter({
      name: 'media_analysis_cache_requests_total',
      help: 'Cache lookups by result',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ result: 'hit' }, cache.stats.hits);
        this.inc({ result: 'miss' }, cache.stats.misses);
        this.inc({ result: 'error' }, cache.stats.errors);
      },
    });
  }

  /**
   * Record every request's duration under its route pattern, and serve GET /metrics.
   * /metrics is internal (it shows every tenant's counts): with a token, it needs
   * `Authorization: Bearer <token>` and answers 401 without it.
   */
  instrument(app: FastifyInstance, token?: string): void {
    // A callback hook: no promise per request for a synchronous observation.
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.httpDuration.observe(
        { method: request.method, route, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (token !== undefined && !bearerMatches(request.headers.authorization, token))
        throw new AppError('UNAUTHORIZED', 'GET /metrics needs the metrics bearer token');
      reply.header('content-type', this.registry.contentType);
      return this.registry.metrics();
    });
  }
}

/** Constant-time comparison of an Authorization header with `Bearer <token>`. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && crypto.timingSafeEqual(given, wanted);
}

/** Queue depth and oldest-job age, read once per scrape for both gauges. */
function queueSnapshot(sources: MetricsSources): () => Promise<{ depth: number; oldestAge: number }> {
  let cached: { at: number; value: Promise<{ depth: number; oldestAge: number }> } | null = null;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > 1000) {
      cached = {
        at: now,
        value: sources
          .runnableJobs()
          .then((r) => ({ depth: r.depth, oldestAge: r.oldestAgeSeconds }))
          .catch(() => ({ depth: 0, oldestAge: 0 })),
      };
    }
    return cached.value;
  };
}
