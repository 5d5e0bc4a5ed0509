/** Builds the real application (and optionally a real worker) on a per-file test database. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type AppConfig } from '../../src/config/config.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { buildApp, mediaSettings } from '../../src/http/app.ts';
import { AnalysisService } from '../../src/domain/analysis/analysis.service.ts';
import { ApiKeyService } from '../../src/domain/tenant/api-key.service.ts';
import { LocalFileStorage } from '../../src/storage/storage.ts';
import { createGuardedAgent } from '../../src/net/safe-download.ts';
import { startWorker, type WorkerHandle } from '../../src/queue/worker.ts';
import type { PipelineDeps } from '../../src/pipeline/stage.ts';
import { ProviderRegistry } from '../../src/providers/provider-registry.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { AppCache } from '../../src/cache/cache.ts';
import { startInvalidationListener } from '../../src/cache/invalidation.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { WebhookService } from '../../src/domain/webhook/webhook.service.ts';
import { createWebhookSender } from '../../src/net/webhook-sender.ts';
import { EventHub } from '../../src/events/event-hub.ts';
import { webhookLeaseSeconds } from '../../src/main/runtime.ts';

export interface TestApp {
  app: FastifyInstance;
  db: TestDatabase;
  config: AppConfig;
  storageRoot: string;
  analyses: AnalysisService;
  keys: ApiKeyService;
  pipeline: PipelineDeps;
  providers: ProviderRegistry;
  cache: AppCache;
  webhooks: WebhookService;
  hub: EventHub;
  tenantA: { key: string; tenant: string; keyId: string };
  tenantB: { key: string; tenant: string; keyId: string };
  logs: string[];
  logger: Logger;
  startWorker(overrides?: Partial<AppConfig['worker']> & { tenantMaxConcurrent?: number }): Promise<WorkerHandle>;
  close(): Promise<void>;
}

export async function createTestApp(
  env: Record<string, string> = {},
  /** Extra pipeline deps (e.g. the vision model host, which the caller creates and closes). */
  extra: Pick<PipelineDeps, 'vision'> = {},
): Promise<TestApp> {
  const db = await createTestDatabase({
    ...(env.DATABASE_POOL_MAX ? { poolMax: Number(env.DATABASE_POOL_MAX) } : {}),
    ...(env.DATABASE_CONNECT_TIMEOUT_MS ? { connectTimeoutMs: Number(env.DATABASE_CONNECT_TIMEOUT_MS) } : {}),
  });
  const storageRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-storage-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATABASE_URL: db.url,
    STORAGE_ROOT: storageRoot,
    DATA_DIR: storageRoot,
    WORKER_HEARTBEAT_INTERVAL_MS: '200',
    WORKER_STALE_AFTER_MS: '1500',
    WORKER_POLL_INTERVAL_MS: '100',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger(config.log.level, sink);
  const storage = new LocalFileStorage(storageRoot);
  const analyses = new AnalysisService(db.db, {
    maxJobAttempts: config.worker.maxAttempts,
    idempotencyTtlHours: config.auth.idempotencyTtlHours,
  });
  const keys = new ApiKeyService(db.db);
  const a = await keys.create('tenant-a', 'A');
  const b = await keys.create('tenant-b', 'B');
  const downloadAgent = createGuardedAgent({
    allowHosts: config.limits.downloadAllowHosts,
    timeoutMs: config.limits.downloadTimeoutMs,
  });
  const providers = new ProviderRegistry(config.providers, { backoff: { baseMs: 20, capMs: 100 } });
  const pipeline: PipelineDeps = { db: db.db, storage, config, downloadAgent, providers, ...extra };
  const workers: WorkerHandle[] = [];
  const metrics = new Metrics({
    db: db.db,
    pool: db.pool,
    storageRoot,
    breakers: () => providers.breakers.states(),
    staleAfterMs: config.worker.staleAfterMs,
  });
  pipeline.observeStage = (stage, seconds) => metrics.stageDuration.observe({ stage }, seconds);
  pipeline.observeStall = (stage) => metrics.stageStalls.inc({ stage });
  const cache = new AppCache({ redisUrl: config.cache.redisUrl });
  const listener = startInvalidationListener(db.url, cache, logger);
  await listener.ready;
  metrics.trackCache(cache);
  const webhookSender = createWebhookSender(config.webhooks);
  const webhooks = new WebhookService({
    db: db.db,
    checkAddress: webhookSender.checkAddress,
    send: webhookSender.send,
    rotationGraceSeconds: config.webhooks.rotationGraceSeconds,
    leaseSeconds: webhookLeaseSeconds(config.webhooks.timeoutMs),
  });
  const hub = new EventHub(db.url, logger).start();
  await hub.ready;
  const app = await buildApp({
    integrations: { webhooks, hub, heartbeatMs: config.events.heartbeatMs },
    metrics,
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    media: {
      db: db.db,
      analyses,
      keys,
      storage,
      ...mediaSettings(config),
      cache,
      rateLimit: config.rateLimit,
    },
    health: {
      db: db.db,
      workerExpected: () => workers.length > 0,
      staleAfterMs: config.worker.staleAfterMs,
      breakers: () => providers.breakers.states(),
      cache,
      databaseCircuit: () => db.breaker.status,
      storageRoot,
    },
  });
  await app.ready();
  return {
    app,
    db,
    config,
    storageRoot,
    analyses,
    keys,
    pipeline,
    providers,
    cache,
    webhooks,
    hub,
    tenantA: { key: a.key, tenant: 'tenant-a', keyId: a.row.id },
    tenantB: { key: b.key, tenant: 'tenant-b', keyId: b.row.id },
    logs,
    logger,
    async startWorker(overrides = {}) {
      const w = await startWorker(db.pool, pipeline, logger, {
        ...config.worker,
        backoff: { baseMs: 50, capMs: 200 },
        webhooks: {
          ...config.webhooks,
          connectionString: db.url,
          send: webhookSender.send,
          leaseSeconds: webhookLeaseSeconds(config.webhooks.timeoutMs),
        },
        ...overrides,
      });
      workers.push(w);
      return w;
    },
    async close() {
      for (const w of workers) await w.stop();
      await app.close();
      await listener.stop();
      await hub.stop();
      await webhookSender.close();
      await cache.close();
      await downloadAgent.close();
      await db.drop();
      await fs.rm(storageRoot, { recursive: true, force: true });
    },
  };
}

export function auth(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** Poll until `fn` returns a truthy value or the time runs out. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
