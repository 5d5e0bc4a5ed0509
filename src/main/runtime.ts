/**
 * The one composition root, used by every entry point (`start`, `api`, `worker`, the CLI
 * commands) and by the tests: configuration, logger, database (embedded PostgreSQL when
 * DATABASE_URL is not set), storage, services, providers, metrics, cache, and the two
 * things a process may run on top of them — the HTTP API and a worker.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { loadConfig, type AppConfig } from '../config/config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { ping, type DatabaseHandle } from '../persistence/database.ts';
import { migrateToLatest } from '../persistence/migrator.ts';
import type { Storage } from '../storage/storage.ts';
import { createStorage } from '../storage/storage.factory.ts';
import { stageRepositories } from '../persistence/stage-repositories.ts';
import { repositories } from '../persistence/repositories.ts';
import { AnalysisEventService } from '../domain/analysis/analysis-events.service.ts';
import { AnalysisService } from '../domain/analysis/analysis.service.ts';
import { ApiKeyService } from '../domain/tenant/api-key.service.ts';
import { createGuardedAgent } from '../net/safe-download.ts';
import type { PipelineDeps } from '../pipeline/stage.ts';
import { modelHostOptions, type VisionAdapter } from '../media/vision/model-host.ts';
import { ModelHostPool, modelHostCount } from '../media/vision/model-host-pool.ts';
import { ProviderRegistry } from '../providers/provider-registry.ts';
import { AppCache } from '../cache/cache.ts';
import { startInvalidationListener } from '../cache/invalidation.ts';
import { buildApp, mediaSettings } from '../http/app.ts';
import { startWorker, type WorkerHandle, type WorkerOptions } from '../queue/worker.ts';
import { WebhookService } from '../domain/webhook/webhook.service.ts';
import { createWebhookSender, type WebhookSender } from '../net/webhook-sender.ts';
import { EventHub } from '../events/event-hub.ts';
import { SearchService } from '../domain/search/search.service.ts';
import { PeopleService } from '../domain/people/people.service.ts';
import { peopleRepository } from '../persistence/people.repository.ts';
import { PEOPLE_CALIBRATION } from '../domain/analysis/calibration.ts';
import { sharedEmbedder } from '../nlp/embedder.ts';
import { openDatabase, refuseSuperuser } from './runtime-database.ts';
import { stageTools } from './stage-tools.ts';

/** Retry pacing; production uses the defaults, tests shorten them so retries finish quickly. */
export interface RuntimeTuning {
  providerBackoff?: { baseMs: number; capMs: number };
  workerBackoff?: { baseMs: number; capMs: number };
}

export interface RuntimeOptions {
  config?: AppConfig;
  logger?: Logger;
  migrate?: boolean;
  applicationName?: string;
  tuning?: RuntimeTuning;
  /**
   * This process runs pipeline workers: the first worker started creates the vision model
   * host (one per process; its thread and models start on the first picture). An API-only
   * process never creates one.
   */
  models?: boolean;
  /** A vision adapter made by the caller (tests), who also closes it; overrides `models`. */
  vision?: VisionAdapter;
}

export interface Runtime {
  config: AppConfig;
  /** The connection string in use (secret: never log it; see maskUrl). */
  databaseUrl: string;
  logger: Logger;
  database: DatabaseHandle;
  storage: Storage;
  analyses: AnalysisService;
  keys: ApiKeyService;
  providers: ProviderRegistry;
  metrics: Metrics;
  /** The status/history cache, made by `createApi`; undefined before or when CACHE_ENABLED=false. */
  readonly cache: AppCache | undefined;
  pipeline: PipelineDeps;
  webhooks: WebhookService;
  /** Signs and sends webhooks under the SSRF rules (shared by the API's test pings and the dispatcher). */
  webhookSender: WebhookSender;
  /** Live events (SSE), made by `createApi`; undefined before. */
  readonly hub: EventHub | undefined;
  /**
   * Build the HTTP API (not listening yet). Also starts the cache's invalidation
   * listener, so every process serving the API sees other processes' changes.
   */
  createApi(): Promise<FastifyInstance>;
  /** Start a worker on this runtime's pool; `overrides` adjust the configured options. */
  startWorker(overrides?: Partial<WorkerOptions>): Promise<WorkerHandle>;
  /** Stop in order: API (in-flight requests), pending creates, workers, cache, database. */
  close(): Promise<void>;
}

/** A claimed delivery's lease: longer than any send can take, so a live send is never claimed twice. */
export function webhookLeaseSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + 15;
}

export async function createRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.log.level);
  const { url, database, embedded } = await openDatabase(config, logger, opts.applicationName);
  await refuseSuperuser(config, database.db as unknown as Kysely<unknown>, logger).catch(async (err: unknown) => {
    await database.close();
    if (embedded) await embedded.stop();
    throw err;
  });
  if (opts.migrate ?? config.operations.migrateOnBoot) {
    const applied = await migrateToLatest(database.db as unknown as Kysely<unknown>, database.pool);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  }
  const storage = createStorage({
    driver: config.storage.driver,
    root: config.storage.root,
    dataDir: config.dataDir,
    s3: config.storage.s3,
  });
  const analyses = new AnalysisService(database.db, repositories, {
    maxJobAttempts: config.worker.maxAttempts,
    idempotencyTtlHours: config.auth.idempotencyTtlHours,
    deletedFilesGraceHours: config.storage.deletedGraceHours,
  });
  const keys = new ApiKeyService(database.db, repositories, {
    failureLimit: config.rateLimit.authFailures,
    failureWindowMs: config.rateLimit.windowMs,
  });
  const breakerLog = logger.child({ component: 'providers' });
  const providers = new ProviderRegistry(config.providers, {
    onBreakerChange: (name, from, to) =>
      breakerLog[to === 'open' ? 'warn' : 'info']({ breaker: name, from, to }, `circuit ${name} is ${to}`),
    ...(opts.tuning?.providerBackoff ? { backoff: opts.tuning.providerBackoff } : {}),
  });
  const downloadAgent = createGuardedAgent({
    allowHosts: config.limits.downloadAllowHosts,
    timeoutMs: config.limits.downloadTimeoutMs,
  });
  // /metrics is served by the API; an in-process worker reports its stage durations there.
  const metrics = new Metrics({
    analysesByStatus: () => repositories.analyses.countByStatus(database.db),
    runnableJobs: () => repositories.jobs.runnableJobs(database.db),
    liveWorkers: () => repositories.workerHeartbeats.countLive(database.db, config.worker.staleAfterMs),
    pool: () => ({
      total: database.pool.totalCount,
      idle: database.pool.idleCount,
      waiting: database.pool.waitingCount,
    }),
    storageRoot: config.storage.root,
    breakers: () => providers.breakers.states(),
  });
  // Face descriptions are grouped in the worker and managed through the API; named people
  // are embedded for search in the process's shared embedding thread (started on first use).
  const people = new PeopleService({
    db: database.db,
    people: peopleRepository,
    embedder: sharedEmbedder,
    sameAt: PEOPLE_CALIBRATION.samePerson.value,
    suggestAt: PEOPLE_CALIBRATION.suggestAt.value,
  });
  const pipeline: PipelineDeps = {
    db: database.db,
    people,
    repositories: stageRepositories,
    storage,
    config,
    downloadAgent,
    providers,
    tools: stageTools,
    observeStage: (stage, seconds) => metrics.stageDuration.observe({ stage }, seconds),
    observeStall: (stage) => metrics.stageStalls.inc({ stage }),
    ...(opts.vision ? { vision: opts.vision } : {}),
  };
  /** The model hosts this runtime made (and closes); none in an API-only process. */
  let ownHost: ModelHostPool | undefined;
  const webhookSender = createWebhookSender(config.webhooks);
  const webhooks = new WebhookService({
    db: database.db,
    repositories,
    checkAddress: webhookSender.checkAddress,
    send: webhookSender.send,
    rotationGraceSeconds: config.webhooks.rotationGraceSeconds,
    maxEndpointsPerTenant: config.webhooks.maxEndpointsPerTenant,
    leaseSeconds: webhookLeaseSeconds(config.webhooks.timeoutMs),
  });
  let hub: EventHub | undefined;
  const cacheLog = logger.child({ component: 'cache' });
  // Made with the API only: CLI commands and workers never read the cache or connect to Redis.
  let cache: AppCache | undefined;

  const apps: FastifyInstance[] = [];
  const workers: WorkerHandle[] = [];
  const stoppers: Array<() => Promise<void>> = [];

  const createApi = async (): Promise<FastifyInstance> => {
    if (!cache && config.cache.enabled) {
      cache = new AppCache({ redisUrl: config.cache.redisUrl, log: cacheLog });
      metrics.trackCache(cache);
      const listener = startInvalidationListener(url, cache, cacheLog);
      stoppers.push(() => listener.stop());
      await listener.ready;
    }
    if (!hub) {
      const started = new EventHub(url, logger.child({ component: 'events' })).start();
      hub = started;
      stoppers.push(() => started.stop());
      await started.ready;
    }
    const searchLog = logger.child({ component: 'search' });
    const search = new SearchService(database.db, repositories, sharedEmbedder, {
      onIndexRebuildError: (err) =>
        searchLog.warn({ err }, 'rebuilding the search index after deletions failed; the next recount tries again'),
    });
    if (config.search.warmAtStart) {
      const started = performance.now();
      search.warm().then(
        () =>
          searchLog.info(
            { ms: Math.round(performance.now() - started), segments: search.index.size() },
            'search index and model loaded',
          ),
        (err: unknown) => {
          // Stopped while it loaded: not a failure worth a warning.
          if (closing) searchLog.debug({ err }, 'search warm-up stopped by the shutdown');
          else searchLog.warn({ err }, 'search warm-up failed; the first search loads them');
        },
      );
    }
    const app = await buildApp({
      search,
      people,
      integrations: {
        events: new AnalysisEventService(database.db, repositories),
        webhooks,
        hub,
        heartbeatMs: config.events.heartbeatMs,
        maxStreamsPerTenant: config.events.maxStreamsPerTenant,
      },
      metrics,
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      trustProxy: config.http.trustProxy,
      timeouts: {
        headersMs: config.http.headersTimeoutMs,
        requestMs: config.http.requestTimeoutMs,
        uploadIdleMs: config.http.uploadIdleTimeoutMs,
      },
      metricsToken: config.http.metricsToken,
      media: {
        analyses,
        keys,
        storage,
        ...mediaSettings(config),
        cache,
        rateLimit: { ...config.rateLimit, redis: cache?.redisClient ?? undefined },
      },
      health: {
        database: {
          ping: () => ping(database.db),
          liveWorkers: (staleAfterMs) => repositories.workerHeartbeats.countLive(database.db, staleAfterMs),
        },
        // A process that started a worker expects its heartbeat to be fresh.
        workerExpected: () => workers.length > 0,
        staleAfterMs: config.worker.staleAfterMs,
        breakers: () => providers.breakers.states(),
        cache,
        databaseCircuit: () => database.breaker.status,
        storageRoot: config.storage.root,
      },
    });
    apps.push(app);
    return app;
  };

  const startRuntimeWorker = async (overrides: Partial<WorkerOptions> = {}): Promise<WorkerHandle> => {
    if (opts.models && !pipeline.vision)
      pipeline.vision = ownHost = new ModelHostPool(modelHostCount(config), modelHostOptions(config));
    const worker = await startWorker(database.pool, pipeline, logger, {
      ...config.worker,
      connectionString: url,
      cleanupCron: config.storage.cleanupCron,
      webhooks: {
        ...config.webhooks,
        connectionString: url,
        send: webhookSender.send,
        leaseSeconds: webhookLeaseSeconds(config.webhooks.timeoutMs),
      },
      ...(opts.tuning?.workerBackoff ? { backoff: opts.tuning.workerBackoff } : {}),
      ...overrides,
    });
    workers.push(worker);
    return worker;
  };

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      // Workers stop claiming jobs at once; running jobs finish (or go back to the queue
      // after WORKER_DRAIN_TIMEOUT_MS) while the API drains.
      const stoppingWorkers = workers.map((worker) => worker.stop());
      // Open event streams end with a final `shutdown` event, so closing the server does
      // not wait for clients that would otherwise stay forever.
      const streams = hub?.endStreams() ?? 0;
      if (streams > 0) logger.info({ streams }, 'ended open event streams');
      for (const app of apps) await app.close();
      // Handlers can outlive their sockets (a client that hung up); let their writes land.
      await analyses.drain();
      await Promise.all(stoppingWorkers);
      await ownHost?.close();
      for (const stop of stoppers) await stop();
      await cache?.close();
      await storage.close();
      await webhookSender.close();
      await downloadAgent.close();
      await database.close();
      if (embedded) await embedded.stop();
    })();
    return closing;
  };

  return {
    config,
    databaseUrl: url,
    logger,
    database,
    storage,
    analyses,
    keys,
    providers,
    metrics,
    get cache() {
      return cache;
    },
    pipeline,
    webhooks,
    webhookSender,
    get hub() {
      return hub;
    },
    createApi,
    startWorker: startRuntimeWorker,
    close,
  };
}
