/**
 * Builds the real application (and optionally real workers) on a per-file test
 * database, through the same `createRuntime` as `src/main`: tests change settings
 * through the environment the runtime reads, never by wiring the app themselves.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type AppConfig } from '../../src/config/config.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { createRuntime, type Runtime } from '../../src/main/runtime.ts';
import type { AnalysisService } from '../../src/domain/analysis/analysis.service.ts';
import type { ApiKeyService } from '../../src/domain/tenant/api-key.service.ts';
import type { WorkerHandle, WorkerOptions } from '../../src/queue/worker.ts';
import type { PipelineDeps } from '../../src/pipeline/stage.ts';
import type { ProviderRegistry } from '../../src/providers/provider-registry.ts';
import type { AppCache } from '../../src/cache/cache.ts';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import type { WebhookService } from '../../src/domain/webhook/webhook.service.ts';
import type { EventHub } from '../../src/events/event-hub.ts';
import { cloneTestDatabase } from './db.ts';
import { multipart } from './multipart.ts';

export interface TestApp {
  app: FastifyInstance;
  /** The runtime's own database handle (the pool the app uses), plus the clone's name and URL. */
  db: DatabaseHandle & { name: string; url: string };
  runtime: Runtime;
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
  startWorker(overrides?: Partial<WorkerOptions>): Promise<WorkerHandle>;
  close(): Promise<void>;
}

/** Settings every test app gets unless a test overrides them: fast heartbeats, no cron. */
const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'debug',
  WORKER_HEARTBEAT_INTERVAL_MS: '200',
  WORKER_STALE_AFTER_MS: '1500',
  WORKER_POLL_INTERVAL_MS: '100',
  // The storage cleanup runs when a test calls it, not on a timer in the middle of one.
  CLEANUP_CRON: '',
  // Files of a deleted analysis go at the next cleanup.
  DELETED_FILES_GRACE_HOURS: '0',
  // Most test apps never search: the model loads on a first search (test/search-warmup.test.ts turns it on).
  SEARCH_WARM_AT_START: 'false',
};

export async function createTestApp(
  env: Record<string, string> = {},
  /** Extra pipeline deps (the vision model host, which the caller creates and closes). */
  extra: Pick<PipelineDeps, 'vision'> = {},
  /** A database the caller prepared (e.g. migrated part-way), used instead of a migrated clone; dropped on close. */
  database?: Awaited<ReturnType<typeof cloneTestDatabase>>,
): Promise<TestApp> {
  const clone = database ?? (await cloneTestDatabase());
  const storageRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-storage-'));
  const config = loadConfig({
    ...TEST_ENV,
    DATABASE_URL: clone.url,
    STORAGE_ROOT: storageRoot,
    DATA_DIR: storageRoot,
    ...env,
  });
  const logs: string[] = [];
  liveLogs.add(logs);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger(config.log.level, sink);
  const runtime = await createRuntime({
    config,
    logger,
    // The template is migrated already.
    migrate: false,
    tuning: { providerBackoff: { baseMs: 20, capMs: 100 }, workerBackoff: { baseMs: 50, capMs: 200 } },
    ...(extra.vision ? { vision: extra.vision } : {}),
  });
  const app = await runtime.createApi();
  await app.ready();
  const a = await runtime.keys.create('tenant-a', 'A');
  const b = await runtime.keys.create('tenant-b', 'B');
  if (!runtime.cache) throw new Error('test apps run with the cache enabled');
  if (!runtime.hub) throw new Error('the API starts the live event hub');
  return {
    app,
    db: { ...runtime.database, name: clone.name, url: clone.url },
    runtime,
    config,
    storageRoot,
    analyses: runtime.analyses,
    keys: runtime.keys,
    pipeline: runtime.pipeline,
    providers: runtime.providers,
    cache: runtime.cache,
    webhooks: runtime.webhooks,
    hub: runtime.hub,
    tenantA: { key: a.key, tenant: 'tenant-a', keyId: a.row.id },
    tenantB: { key: b.key, tenant: 'tenant-b', keyId: b.row.id },
    logs,
    logger,
    startWorker: (overrides = {}) => runtime.startWorker(overrides),
    async close() {
      liveLogs.delete(logs);
      await runtime.close();
      await clone.drop();
      await fs.rm(storageRoot, { recursive: true, force: true });
    },
  };
}

export function auth(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/**
 * Upload `file` with `prompt` (and `options`) as the tenant of `key`, and wait until the
 * analysis ends: its status document.
 */
export async function analyseFile(
  t: TestApp,
  key: string,
  file: string,
  prompt: string,
  options: Record<string, unknown> = {},
  timeoutMs = 300_000,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the status document, read field by field by the tests
): Promise<any> {
  const mp = multipart(
    { prompt, options: JSON.stringify(options) },
    { name: path.basename(file), data: await fs.readFile(file) },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(key), ...mp.headers },
    payload: mp.payload,
  });
  if (res.statusCode !== 202) throw new Error(`analyze answered ${res.statusCode}: ${res.body}`);
  const id = res.json().analysis_id as string;
  return waitFor(async () => {
    const s = (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(key) })).json();
    return ['completed', 'failed', 'partial'].includes(s.status) ? s : null;
  }, timeoutMs);
}

/** The logs of the test apps still open: a timed-out wait prints their tails (CI has nothing else). */
const liveLogs = new Set<string[]>();
const LOG_TAIL_ON_TIMEOUT = 60;

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
    if (Date.now() > deadline) {
      // Request lines (the wait's own polling) would crowd out what the service did.
      const tails = [...liveLogs].map((l) =>
        l
          .filter((line) => !/"msg":"(incoming request|request completed)"/.test(line))
          .slice(-LOG_TAIL_ON_TIMEOUT)
          .join('\n'),
      );
      throw new Error(`waitFor timed out after ${timeoutMs} ms\n--- last log lines ---\n${tails.join('\n---\n')}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
