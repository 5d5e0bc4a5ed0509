/**
 * A guard against migrations that would take a long lock on a large table. Every
 * migration runs here, in order, on a real database, with each statement it sends
 * recorded; statements on a table that existed before the migration are checked:
 * - CREATE INDEX without CONCURRENTLY (an online step instead: online-steps.ts);
 * - ADD CONSTRAINT … CHECK / FOREIGN KEY without NOT VALID (validate online instead);
 * - VALIDATE CONSTRAINT inside the migration's transaction;
 * - ALTER COLUMN … TYPE and ALTER COLUMN … SET NOT NULL (rewrite or full scan under an
 *   ACCESS EXCLUSIVE lock: expand → backfill → contract instead);
 * - any ALTER TABLE or CREATE TRIGGER on such a table before `SET LOCAL lock_timeout`
 *   (waiting behind a long transaction would queue every request behind the migration).
 * Migrations written before this guard (0001–0008, applied when the tables were new or
 * small) are held to their recorded findings: a new finding in them fails too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kysely, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { MIGRATIONS } from '../src/persistence/migrator.ts';

let db: TestDatabase;
let pool: pg.Pool;
let kysely: Kysely<unknown>;
const statements: string[] = [];

before(async () => {
  db = await createTestDatabase({ migrated: false });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  kysely = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query.sql);
    },
  });
  // graphile-worker's own schema, which some migrations read from.
  const { runMigrations } = await import('graphile-worker');
  await runMigrations({ pgPool: pool, logger: new (await import('graphile-worker')).Logger(() => () => undefined) });
});
after(async () => {
  await kysely.destroy();
  await db.drop();
});

async function tables(): Promise<Set<string>> {
  const r = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()`.execute(kysely);
  return new Set(r.rows.map((x) => x.name));
}

/** The findings of one migration's statements, given the tables that existed before it. */
function lockFindings(sqlTexts: readonly string[], existing: ReadonlySet<string>): string[] {
  const findings: string[] = [];
  let lockTimeout = false;
  for (const raw of sqlTexts) {
    const s = raw.replace(/\s+/g, ' ').trim();
    if (/^SET LOCAL lock_timeout/i.test(s)) lockTimeout = true;
    const index = /^CREATE (?:UNIQUE )?INDEX (?!CONCURRENTLY)(?:IF NOT EXISTS )?\S+ ON (?:ONLY )?"?(\w+)"?/i.exec(s);
    if (index && existing.has(index[1]!)) findings.push(`CREATE INDEX without CONCURRENTLY on ${index[1]}`);
    const trigger = /^CREATE (?:OR REPLACE )?TRIGGER \S+ .*? ON "?(\w+)"?/i.exec(s);
    if (trigger && existing.has(trigger[1]!) && !lockTimeout)
      findings.push(`CREATE TRIGGER on ${trigger[1]} before SET LOCAL lock_timeout`);
    const alter = /^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?"?(\w+)"?/i.exec(s);
    if (!alter || !existing.has(alter[1]!)) continue;
    const table = alter[1]!;
    if (!lockTimeout) findings.push(`ALTER TABLE ${table} before SET LOCAL lock_timeout`);
    if (/ADD CONSTRAINT \S+ (CHECK|FOREIGN KEY)/i.test(s) && !/NOT VALID/i.test(s))
      findings.push(`ADD CONSTRAINT without NOT VALID on ${table}`);
    if (/VALIDATE CONSTRAINT/i.test(s)) findings.push(`VALIDATE CONSTRAINT inside the transaction on ${table}`);
    if (/ALTER COLUMN \S+ (SET DATA )?TYPE/i.test(s)) findings.push(`ALTER COLUMN TYPE on ${table}`);
    if (/ALTER COLUMN \S+ SET NOT NULL/i.test(s)) findings.push(`SET NOT NULL on ${table}`);
  }
  return findings;
}

/**
 * What the migrations written before the guard do, accepted as they are: each is a short
 * catalogue change (a trigger, a column rename, a nullable column without a default) on a
 * table that was new or small then, only without a lock timeout while it waits its turn.
 */
const TRIGGER = 'CREATE TRIGGER on media_analysis_requests before SET LOCAL lock_timeout';
const ALTER = 'ALTER TABLE media_analysis_requests before SET LOCAL lock_timeout';
const LEGACY: Record<string, string[]> = {
  '0002-analysis-counts': [TRIGGER],
  '0003-change-notifications': [TRIGGER, TRIGGER],
  '0004-batched-counter-inserts': [TRIGGER, TRIGGER],
  '0005-tenant-id': [ALTER],
  '0007-media-segments': [TRIGGER],
  '0008-events-and-webhooks': [ALTER, TRIGGER],
};

test('no migration takes a long lock on a table that already exists', async () => {
  const report: Record<string, string[]> = {};
  pool.on('error', () => undefined);
  for (const [name, migration] of Object.entries(MIGRATIONS)) {
    const existing = await tables();
    statements.length = 0;
    await kysely.transaction().execute((trx) => (migration as Migration).up(trx));
    const found = lockFindings(statements, existing);
    if (found.length > 0) report[name] = found;
    for (const step of migration.online ?? [])
      if (step.kind === 'index') assert.match(step.sql, /CONCURRENTLY/, `${name}: online index ${step.name}`);
  }
  const legacy = Object.fromEntries(
    Object.keys(report)
      .filter((n) => n < '0009')
      .map((n) => [n, report[n]!]),
  );
  const fresh = Object.fromEntries(
    Object.keys(report)
      .filter((n) => n >= '0009')
      .map((n) => [n, report[n]!]),
  );
  // The legacy findings, for the record (the guard's baseline).
  if (process.env.MIGRATION_LOCKS_REPORT) process.stdout.write(`${JSON.stringify(legacy, null, 2)}\n`);
  assert.deepEqual(fresh, {}, 'migrations from 0009 on follow the zero-downtime rules');
  assert.deepEqual(legacy, LEGACY, 'the findings of the migrations written before the guard changed');
});

test('the guard flags what it should (so it can fail)', () => {
  const existing = new Set(['media_analysis_requests']);
  assert.deepEqual(
    lockFindings(
      [
        'CREATE INDEX big_idx ON media_analysis_requests (prompt)',
        'ALTER TABLE media_analysis_requests ADD CONSTRAINT c CHECK (progress >= 0)',
        'ALTER TABLE media_analysis_requests ALTER COLUMN prompt TYPE varchar(100)',
      ],
      existing,
    ),
    [
      'CREATE INDEX without CONCURRENTLY on media_analysis_requests',
      'ALTER TABLE media_analysis_requests before SET LOCAL lock_timeout',
      'ADD CONSTRAINT without NOT VALID on media_analysis_requests',
      'ALTER TABLE media_analysis_requests before SET LOCAL lock_timeout',
      'ALTER COLUMN TYPE on media_analysis_requests',
    ],
  );
  assert.deepEqual(
    lockFindings(
      [
        "SET LOCAL lock_timeout = '5s'",
        'ALTER TABLE media_analysis_requests ADD CONSTRAINT c CHECK (progress >= 0) NOT VALID',
        'CREATE INDEX CONCURRENTLY ok_idx ON media_analysis_requests (prompt)',
        'CREATE TABLE fresh (id int)',
        'CREATE INDEX fresh_idx ON fresh (id)',
      ],
      existing,
    ),
    [],
  );
});
