/**
 * Up/down migrations for our schema (Kysely's migrator over a static list) and the
 * queue's own schema (graphile-worker's migrations, which only go up).
 */
import { Migrator, type Migration, type MigrationResultSet, type Kysely } from 'kysely';
import { runMigrations, Logger as GraphileLogger } from 'graphile-worker';
import type pg from 'pg';
import * as m0001 from './migrations/0001-initial-schema.ts';
import * as m0002 from './migrations/0002-analysis-counts.ts';
import * as m0003 from './migrations/0003-change-notifications.ts';
import * as m0004 from './migrations/0004-batched-counter-inserts.ts';
import * as m0005 from './migrations/0005-tenant-id.ts';
import * as m0006 from './migrations/0006-analysis-stages.ts';
import * as m0007 from './migrations/0007-media-segments.ts';
import * as m0008 from './migrations/0008-events-and-webhooks.ts';
import * as m0009 from './migrations/0009-analysis-archive.ts';
import * as m0010 from './migrations/0010-stage-events.ts';
import * as m0011 from './migrations/0011-segment-words-index.ts';
import * as m0012 from './migrations/0012-segment-magnitude-bits.ts';
import * as m0013 from './migrations/0013-people.ts';
import * as m0014 from './migrations/0014-segment-sure-words.ts';
import * as m0015 from './migrations/0015-transcript-sure-words-backfill.ts';
import { runOnlineSteps, type OnlineStep } from './online-steps.ts';

/** A migration, plus the steps that must run outside its transaction (online-steps.ts). */
export type OnlineMigration = Migration & { online?: readonly OnlineStep[] };

/** Every migration, in order. Names sort lexically, which Kysely relies on. */
export const MIGRATIONS: Record<string, OnlineMigration> = {
  '0001-initial-schema': m0001,
  '0002-analysis-counts': m0002,
  '0003-change-notifications': m0003,
  '0004-batched-counter-inserts': m0004,
  '0005-tenant-id': m0005,
  '0006-analysis-stages': m0006,
  '0007-media-segments': m0007,
  '0008-events-and-webhooks': m0008,
  '0009-analysis-archive': m0009,
  '0010-stage-events': m0010,
  '0011-segment-words-index': m0011,
  '0012-segment-magnitude-bits': m0012,
  '0013-people': m0013,
  '0014-segment-sure-words': m0014,
  '0015-transcript-sure-words-backfill': m0015,
};

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}: ${r.status}`);
}

/** Install the queue schema, then apply all pending migrations of ours, then their online steps. */
export async function migrateToLatest(db: Kysely<unknown>, pool: pg.Pool): Promise<string[]> {
  await runMigrations({ pgPool: pool, logger: silentGraphileLogger });
  const lines = unwrap(await migrator(db).migrateToLatest());
  return [...lines, ...(await runAllOnlineSteps(db, pool))];
}

/**
 * The online steps of every applied migration. Idempotent, so they run after each
 * migrate: a step cut short (a crash mid-build) is finished by the next run.
 */
async function runAllOnlineSteps(db: Kysely<unknown>, pool: pg.Pool): Promise<string[]> {
  const applied = new Set((await migrator(db).getMigrations()).filter((m) => m.executedAt).map((m) => m.name));
  const steps = Object.entries(MIGRATIONS)
    .filter(([name]) => applied.has(name))
    .flatMap(([, m]) => m.online ?? []);
  return runOnlineSteps(pool, steps);
}

/** Undo the last `steps` applied migrations of ours. */
export async function rollback(db: Kysely<unknown>, steps = 1): Promise<string[]> {
  const out: string[] = [];
  const m = migrator(db);
  for (let i = 0; i < steps; i++) {
    const lines = unwrap(await m.migrateDown());
    if (lines.length === 0) break;
    out.push(...lines);
  }
  return out;
}

export async function migrationStatus(
  db: Kysely<unknown>,
): Promise<Array<{ name: string; executedAt: Date | undefined }>> {
  const list = await migrator(db).getMigrations();
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt }));
}

/** graphile-worker logs through this; our own logger reports what matters. */
export const silentGraphileLogger = new GraphileLogger(() => () => undefined);
