/**
 * The composition root shared by every entry point: configuration, logger, database
 * (embedded PostgreSQL when DATABASE_URL is not set), storage and services.
 */
import { loadConfig, maskUrl, type AppConfig } from '../config/config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createDatabase, type DatabaseHandle } from '../persistence/database.ts';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../persistence/embedded-postgres.ts';
import { migrateToLatest } from '../persistence/migrator.ts';
import type { Storage } from '../storage/storage.ts';
import { createStorage } from '../storage/storage.factory.ts';
import { sessionRole } from '../persistence/roles.ts';
import { AnalysisService } from '../domain/analysis/analysis.service.ts';
import { ApiKeyService } from '../domain/tenant/api-key.service.ts';
import { createGuardedAgent } from '../net/safe-download.ts';
import type { PipelineDeps } from '../pipeline/stage.ts';
import { ModelHost, modelHostOptions } from '../media/vision/model-host.ts';
import type { Kysely } from 'kysely';
import { ProviderRegistry } from '../providers/provider-registry.ts';
import { WebhookService } from '../domain/webhook/webhook.service.ts';
import { createWebhookSender, type WebhookSender } from '../net/webhook-sender.ts';

export interface Runtime {
  config: AppConfig;
  /** The connection string in use (secret: never log it; see maskUrl). */
  databaseUrl: string;
  logger: Logger;
  database: DatabaseHandle;
  storage: Storage;
  analyses: AnalysisService;
  keys: ApiKeyService;
  pipeline: PipelineDeps;
  webhooks: WebhookService;
  /** Signs and sends webhooks under the SSRF rules (shared by the API's test pings and the dispatcher). */
  webhookSender: WebhookSender;
  close(): Promise<void>;
}

/** A claimed delivery's lease: longer than any send can take, so a live send is never claimed twice. */
export function webhookLeaseSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + 15;
}

export async function createRuntime(
  opts: {
    config?: AppConfig;
    logger?: Logger;
    migrate?: boolean;
    applicationName?: string;
    /** This process runs pipeline workers: give them the vision model host (never in an API-only process). */
    models?: boolean;
  } = {},
): Promise<Runtime> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.log.level);
  let embedded: EmbeddedHandle | null = null;
  let url = config.database.url;
  if (!url) {
    logger.info(
      { data_dir: config.dataDir, port: config.database.embeddedPort },
      'DATABASE_URL not set; starting embedded PostgreSQL',
    );
    const pgLog = logger.child({ component: 'embedded-postgres' });
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.database.embeddedPort,
      log: (line) => pgLog.debug(line),
    });
    url = embedded.connectionString;
  }
  logger.info({ database: maskUrl(url) }, 'connecting to PostgreSQL');
  const database = createDatabase(url, config.database, opts.applicationName);
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
  const analyses = new AnalysisService(database.db, {
    maxJobAttempts: config.worker.maxAttempts,
    idempotencyTtlHours: config.auth.idempotencyTtlHours,
    deletedFilesGraceHours: config.storage.deletedGraceHours,
  });
  const keys = new ApiKeyService(database.db);
  const breakerLog = logger.child({ component: 'providers' });
  const providers = new ProviderRegistry(config.providers, {
    onBreakerChange: (name, from, to) =>
      breakerLog[to === 'open' ? 'warn' : 'info']({ breaker: name, from, to }, `circuit ${name} is ${to}`),
  });
  const downloadAgent = createGuardedAgent({
    allowHosts: config.limits.downloadAllowHosts,
    timeoutMs: config.limits.downloadTimeoutMs,
  });
  const webhookSender = createWebhookSender(config.webhooks);
  const webhooks = new WebhookService({
    db: database.db,
    checkAddress: webhookSender.checkAddress,
    send: webhookSender.send,
    rotationGraceSeconds: config.webhooks.rotationGraceSeconds,
    leaseSeconds: webhookLeaseSeconds(config.webhooks.timeoutMs),
  });
  // One model host per worker process; its thread (and the models) start on the first
  // picture analysed. An API-only process never creates it.
  const vision = opts.models ? new ModelHost(modelHostOptions(config)) : undefined;
  return {
    config,
    databaseUrl: url,
    logger,
    database,
    storage,
    analyses,
    keys,
    pipeline: { db: database.db, storage, config, downloadAgent, providers, vision },
    webhooks,
    webhookSender,
    close: async () => {
      await vision?.close();
      await storage.close();
      await webhookSender.close();
      await downloadAgent.close();
      await database.close();
      if (embedded) await embedded.stop();
    },
  };
}

/**
 * Production runs as the least-privileged role (see `media-analysis db roles`); a
 * superuser connection is refused unless DATABASE_ALLOW_SUPERUSER says it is meant.
 */
async function refuseSuperuser(config: AppConfig, db: Kysely<unknown>, logger: Logger): Promise<void> {
  if (config.env !== 'production') return;
  const role = await sessionRole(db);
  if (!role.superuser) return;
  if (config.operations.allowSuperuser) {
    logger.warn({ role: role.user }, 'connected as a PostgreSQL superuser (DATABASE_ALLOW_SUPERUSER=true)');
    return;
  }
  throw new Error(
    `Refusing to run as PostgreSQL superuser "${role.user}" in production: connect as the app role ` +
      '(`media-analysis db roles` prints the grants), or set DATABASE_ALLOW_SUPERUSER=true',
  );
}
