import { SearchService } from '../src/domain/search/search.service.ts';
import { sharedEmbedder } from '../src/nlp/embedder.ts';
/**
 * Writes the OpenAPI document the app serves at /openapi.json to `openapi.json` at the
 * repository root (or the path given). No database is contacted: the routes only describe
 * themselves. `npm run openapi` regenerates it; `npm run sdk:generate` makes the SDK's
 * types from it and `npm run openapi:check` fails when either is stale.
 */
import fs from 'node:fs/promises';
import { buildApp, mediaSettings } from '../src/http/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createDatabase } from '../src/persistence/database.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { AnalysisEventService } from '../src/domain/analysis/analysis-events.service.ts';
import { ApiKeyService } from '../src/domain/tenant/api-key.service.ts';
import { LocalFileStorage } from '../src/storage/storage.ts';
import { WebhookService } from '../src/domain/webhook/webhook.service.ts';
import { EventHub } from '../src/events/event-hub.ts';
import { repositories } from '../src/persistence/repositories.ts';
import { PeopleService } from '../src/domain/people/people.service.ts';
import { peopleRepository } from '../src/persistence/people.repository.ts';

/** The document as the app builds it. */
export async function openapiDocument(): Promise<unknown> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  const database = createDatabase(config.database.url!, config.database);
  const logger = createLogger('silent');
  const keys = new ApiKeyService(database.db, repositories);
  const never = async (): Promise<never> => {
    throw new Error('not in document mode');
  };
  const app = await buildApp({
    search: new SearchService(database.db, repositories, sharedEmbedder),
    people: new PeopleService({ db: database.db, people: peopleRepository, sameAt: 1 }),
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    media: {
      analyses: new AnalysisService(database.db, repositories, { maxJobAttempts: 1, idempotencyTtlHours: 1 }),
      keys,
      storage: new LocalFileStorage('/nonexistent'),
      ...mediaSettings(config),
      rateLimit: { max: 0, windowMs: 1000 },
    },
    health: {
      database: { ping: never, liveWorkers: never },
      workerExpected: () => false,
      staleAfterMs: 1000,
      breakers: () => ({}),
      databaseCircuit: () => database.breaker.status,
      storageRoot: '/nonexistent',
    },
    integrations: {
      events: new AnalysisEventService(database.db, repositories),
      webhooks: new WebhookService({
        db: database.db,
        repositories,
        checkAddress: never,
        send: never,
        rotationGraceSeconds: 0,
        leaseSeconds: 1,
      }),
      hub: new EventHub('postgres://nobody@127.0.0.1:1/none', logger),
      heartbeatMs: 1000,
    },
  });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  await database.close();
  return doc;
}

if (import.meta.main) {
  const out = process.argv[2] ?? 'openapi.json';
  await fs.writeFile(out, JSON.stringify(await openapiDocument(), null, 2) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}
