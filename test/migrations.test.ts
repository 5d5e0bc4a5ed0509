/** Migrations up → down (to zero) → up on a real database, checking the schema each time; and the db CLI. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { migrateToLatest, migrationStatus, rollback, MIGRATIONS } from '../src/persistence/migrator.ts';

const run = promisify(execFile);
let db: TestDatabase;
let k: Kysely<unknown>;
let dataDir: string;

const TABLES = [
  'analysis_counts',
  'analysis_events',
  'analysis_stages',
  'api_keys',
  'audit_log',
  'contact_sheets',
  'face_appearances',
  'idempotency_keys',
  'media_analysis_archive',
  'media_analysis_requests',
  'media_analysis_results',
  'media_files',
  'media_segments',
  'people',
  'tenant_webhook_secrets',
  'webhook_attempts',
  'webhook_deliveries',
  'webhook_endpoints',
  'worker_heartbeats',
];

before(async () => {
  db = await createTestDatabase({ migrated: false });
  k = db.db as unknown as Kysely<unknown>;
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-cli-'));
});
after(async () => {
  await db.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function tables(): Promise<string[]> {
  const r = await sql<{
    t: string;
  }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'schema_migrations%' ORDER BY 1`.execute(
    k,
  );
  return r.rows.map((x) => x.t);
}

async function schemaFacts() {
  const checks = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype = 'c'`.execute(
    k,
  );
  const fks = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype = 'f'`.execute(
    k,
  );
  const partial = await sql<{
    i: string;
  }>`SELECT indexname AS i FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '%WHERE (deleted_at IS NULL)%' ORDER BY 1`.execute(
    k,
  );
  return { checks: checks.rows[0]!.n, fks: fks.rows[0]!.n, partial: partial.rows.map((r) => r.i) };
}

test('up → down to zero → up', async () => {
  assert.deepEqual(await tables(), []);
  await migrateToLatest(k, db.pool);
  assert.deepEqual(await tables(), TABLES);
  const facts = await schemaFacts();
  assert.ok(facts.checks >= 20, `CHECK constraints: ${facts.checks}`);
  // 8, and migration 0013: appearances → people, analyses, media files; segments → people.
  assert.equal(facts.fks, 12);
  assert.ok(facts.partial.includes('media_analysis_requests_tenant_created_idx'));
  assert.ok(facts.partial.includes('media_analysis_requests_tenant_status_created_idx'));
  const queue = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'graphile_worker'`.execute(k);
  assert.equal(queue.rows[0]!.n, 1);

  const down = await rollback(k, Object.keys(MIGRATIONS).length + 3);
  assert.equal(down.length, Object.keys(MIGRATIONS).length);
  assert.deepEqual(await tables(), []);
  assert.ok((await migrationStatus(k)).every((m) => m.executedAt === undefined));
  assert.deepEqual(await rollback(k, 1), []);

  await migrateToLatest(k, db.pool);
  assert.deepEqual(await tables(), TABLES);
  assert.deepEqual(await schemaFacts(), facts);
});

test('CHECK constraints reject out-of-range values', async () => {
  const base = {
    id: '00000000-0000-4000-8000-00000000000a',
    correlation_id: 'c',
    prompt: 'p',
    prompt_hash: 'a'.repeat(64),
    source_url: 'https://x',
    tenant_id: 't',
  };
  const insert = (over: Record<string, unknown>) =>
    sql`INSERT INTO media_analysis_requests (id, correlation_id, prompt, prompt_hash, source_url, tenant_id, progress, retry_count, status, media_type)
        VALUES (${over.id ?? base.id}, ${base.correlation_id}, ${base.prompt}, ${base.prompt_hash}, ${over.source_url ?? base.source_url}, ${base.tenant_id},
                ${over.progress ?? 0}, ${over.retry_count ?? 0}, ${over.status ?? 'pending'}, ${over.media_type ?? 'unknown'})`.execute(
      k,
    );
  for (const bad of [
    { progress: 101 },
    { progress: -1 },
    { retry_count: 11 },
    { status: 'weird' },
    { media_type: 'gif' },
    { status: 'deleted' },
    { source_url: 'ftp://x' },
  ]) {
    await assert.rejects(insert(bad), /violates check constraint/, JSON.stringify(bad));
  }
  await insert({});
});

test('CLI: db status / rollback / migrate, keys create / list / revoke', async () => {
  const env = { ...process.env, DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  const cli = (...args: string[]) => run(process.execPath, ['src/main/cli.ts', ...args], { env });
  assert.match(
    (await cli('db', 'status')).stdout,
    /applied .*0001-initial-schema\napplied .*0002-analysis-counts\napplied .*0003-change-notifications\napplied .*0004-batched-counter-inserts/,
  );
  const latest = Object.keys(MIGRATIONS).at(-1)!;
  assert.match((await cli('db', 'rollback')).stdout, new RegExp(`^Down ${latest}: Success\\s*$`, 'i'));
  const steps = String(Object.keys(MIGRATIONS).length);
  assert.match((await cli('db', 'rollback', '--steps', steps)).stdout, /Down 0001-initial-schema: Success/i);
  assert.match((await cli('db', 'status')).stdout, /pending .*0001-initial-schema/);
  assert.match(
    (await cli('db', 'migrate')).stdout,
    /Up 0001-initial-schema: Success\nUp 0002-analysis-counts: Success\nUp 0003-change-notifications: Success\nUp 0004-batched-counter-inserts: Success/i,
  );
  assert.match((await cli('db', 'migrate')).stdout, /already up to date/);
  await assert.rejects(cli('db', 'rollback', '--steps', 'x'), /--steps must be a positive integer/);

  const created = (await cli('keys', 'create', '--tenant', 'acme', '--name', 'ci')).stdout;
  const key = created.trim().split('\n').pop()!;
  assert.match(key, /^ma_[0-9a-f]{8}_/);
  const prefix = key.split('_')[1]!;
  const stored = await sql<{ key_hash: string }>`SELECT key_hash FROM api_keys WHERE key_prefix = ${prefix}`.execute(k);
  assert.notEqual(stored.rows[0]!.key_hash, key, 'only the hash is stored');
  assert.match((await cli('keys', 'list')).stdout, new RegExp(`${prefix}\\s+tenant=acme.*active`));
  assert.match((await cli('keys', 'revoke', prefix)).stdout, /revoked 1 key/);
  await assert.rejects(cli('keys', 'revoke', prefix), (e: { stdout: string }) =>
    /no active key matched/.test(e.stdout),
  );
  await assert.rejects(cli('keys', 'create'), /--tenant/);
  await assert.rejects(cli('bogus'), (e: { code?: number }) => e.code === 2);
  assert.match((await cli('help')).stdout, /usage: media-analysis/);
  await assert.rejects(
    run(process.execPath, ['src/main/cli.ts', 'db', 'status'], {
      env: { ...env, DATABASE_POOL_MAX: 'many', PORT: '99999' },
    }),
    (e: { stderr: string }) => {
      assert.match(e.stderr, /DATABASE_POOL_MAX: expected an integer/);
      assert.match(e.stderr, /PORT: must be between/);
      return true;
    },
  );
});
