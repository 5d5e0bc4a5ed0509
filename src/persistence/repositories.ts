/**
 * Every repository, as one object the composition root (src/main) hands to the domain
 * services and the queue. The domain names the parts it needs as `Pick<Repositories, …>`
 * (type-only), so it imports no persistence code and can be given other implementations.
 */
import { analysisEventRepository } from './analysis-event.repository.ts';
import { AnalysisInsertBatcher, insertAnalysesWithJobs } from './analysis-insert.ts';
import { analysisStageRepository } from './analysis-stage.repository.ts';
import { analysisRepository } from './analysis.repository.ts';
import { apiKeyRepository } from './api-key.repository.ts';
import { archiveRepository } from './archive.repository.ts';
import { auditRepository } from './audit.repository.ts';
import type { Db } from './database.ts';
import { idempotencyRepository } from './idempotency.repository.ts';
import { enqueueProcessAnalysis, removeAnalysisJob, runnableJobs } from './job.repository.ts';
import { latencyRepository } from './latency.repository.ts';
import { mediaFileRepository } from './media-file.repository.ts';
import { segmentRepository } from './segment.repository.ts';
import { webhookDeliveryRepository } from './webhook-delivery.repository.ts';
import { webhookEndpointRepository } from './webhook-endpoint.repository.ts';
import { webhookTenantSecretRepository } from './webhook-tenant-secret.repository.ts';
import { workerHeartbeatRepository } from './worker-heartbeat.repository.ts';

export const repositories = {
  analyses: analysisRepository,
  analysisInserts: {
    /** Insert analyses and their jobs in the caller's transaction. */
    insertWithJobs: insertAnalysesWithJobs,
    /** A batcher that folds concurrent single inserts into one statement. */
    batcher: (db: Db, opts: { maxAttempts: number }) => new AnalysisInsertBatcher(db, opts),
  },
  analysisStages: analysisStageRepository,
  apiKeys: apiKeyRepository,
  archive: archiveRepository,
  audit: auditRepository,
  events: analysisEventRepository,
  idempotency: idempotencyRepository,
  jobs: { enqueueProcessAnalysis, removeAnalysisJob, runnableJobs },
  latency: latencyRepository,
  mediaFiles: mediaFileRepository,
  segments: segmentRepository,
  webhookDeliveries: webhookDeliveryRepository,
  webhookEndpoints: webhookEndpointRepository,
  webhookTenantSecrets: webhookTenantSecretRepository,
  workerHeartbeats: workerHeartbeatRepository,
};

export type Repositories = typeof repositories;
