/**
 * Migrations while the API serves: a database migrated to all but the last
 * MIGRATIONS_BEHIND migrations (without online steps) serves a steady load (clients in
 * a loop: POST analyze, GET status of what they submitted, GET history) through the
 * real app and pool, and `migrateToLatest` runs meanwhile: the remaining migration and
 * the online steps of every migration (0009's CREATE INDEX CONCURRENTLY builds on the
 * tables the load writes to). Every request must succeed, before, during and after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { cloneTestDatabase } from './helpers/db.ts';
import { createTestApp, auth } from './helpers/app.ts';
import { MIGRATIONS, migrateToLatest, migrationStatus, silentGraphileLogger } from '../src/persistence/migrator.ts';

/**
 * Migrations the served schema is behind: the last three (0010, stage events: it replaces
 * the stage trigger's function on a table the load writes to; 0011, the words-only
 * full-text index built concurrently on the segments; 0012, a column, a check validated
 * online and a partial index on them — the load does not write segments, so these run
 * beside the API's traffic, not against writes to their own table). Not more: this is
 * today's code, and it reads the archive table of 0009 (GET status of an id falls back
 * to it), so on a schema without 0009 its status route answers 500 — in a real rollout
 * the migrations run before the new code, while the previous release serves.
 */
const MIGRATIONS_BEHIND = 3;
const CLIENTS = 4;
/** Load before the migrations start and after they finish, so both edges are covered. */
const SETTLE_MS = 500;

test('the remaining migrations run while the API serves a steady load, with zero errors', async () => {
  const database = await cloneTestDatabase({ migrated: false });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // An idle client's error would otherwise crash the test; a failed migration still throws.
  pool.on('error', () => undefined);
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const names = Object.keys(MIGRATIONS);
  const older = Object.fromEntries(Object.entries(MIGRATIONS).slice(0, names.length - MIGRATIONS_BEHIND));
  const { runMigrations } = await import('graphile-worker');
  await runMigrations({ pgPool: pool, logger: silentGraphileLogger });
  const partial = await new Migrator({
    db: kysely,
    provider: { getMigrations: async () => older },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  }).migrateToLatest();
  assert.equal(partial.error, undefined);

  const t = await createTestApp({ RATE_LIMIT_MAX: '0' }, {}, database);
  try {
    const headers = auth(t.tenantA.key);
    const failures: string[] = [];
    const served = { analyze: 0, status: 0, history: 0 };
    let stop = false;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const post = await t.app.inject({
          method: 'POST',
          url: '/api/media/analyze',
          headers: { ...headers, 'content-type': 'application/json' },
          payload: { prompt: `client ${c} request ${i}`, media_url: 'https://media.example.com/clip.mp4' },
        });
        if (post.statusCode !== 202) {
          failures.push(`POST analyze ${post.statusCode} ${post.body}`);
          continue;
        }
        served.analyze++;
        const id = post.json<{ analysis_id: string }>().analysis_id;
        const status = await t.app.inject({ url: `/api/media/status/${id}`, headers });
        if (status.statusCode !== 200 || status.json<{ analysis_id: string }>().analysis_id !== id)
          failures.push(`GET status ${status.statusCode} ${status.body}`);
        else served.status++;
        const history = await t.app.inject({
          url: '/api/media/history?per_page=5&sort_by=created_at&order=desc',
          headers,
        });
        if (history.statusCode !== 200) failures.push(`GET history ${history.statusCode} ${history.body}`);
        else served.history++;
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const before = served.analyze;
    const started = performance.now();
    const applied = await migrateToLatest(kysely, pool);
    const migrationMs = performance.now() - started;
    const during = served.analyze - before;

    await new Promise((r) => setTimeout(r, SETTLE_MS));
    stop = true;
    await load;

    assert.deepEqual(failures, [], 'no request failed');
    assert.ok(
      names.slice(-MIGRATIONS_BEHIND).every((n) => applied.includes(`Up ${n}: Success`)),
      applied.join('\n'),
    );
    assert.ok(
      (await migrationStatus(kysely)).every((m) => m.executedAt),
      'the schema is at the latest migration',
    );
    assert.ok(
      before > 0 && served.analyze > before,
      `load ran before and after the migrations (${JSON.stringify(served)})`,
    );
    t.logger.info({ served, during_migrations: during, migration_ms: migrationMs }, 'migrations under load');
  } finally {
    await kysely.destroy();
    await t.close();
  }
});
