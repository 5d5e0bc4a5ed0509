/** Least-privilege roles: the app role reads and writes, and cannot change the schema. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import os from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { createTestDatabase, baseUrl, type TestDatabase } from './helpers/db.ts';
import { applyRoles, roleStatements, sessionRole } from '../src/persistence/roles.ts';
import { createRuntime } from '../src/main/runtime.ts';
import { loadConfig } from '../src/config/config.ts';

const run = promisify(execFile);

/** SQLSTATE insufficient_privilege (also raised for "must be owner of table"). */
const INSUFFICIENT_PRIVILEGE = '42501';

const suffix = crypto.randomBytes(4).toString('hex');
const roles = { migrator: `ma_migrator_${suffix}`, app: `ma_app_${suffix}` };
/** The roles get a password: embedded PostgreSQL uses SCRAM password auth (trust-auth servers ignore it). */
const password = `pw_${crypto.randomBytes(12).toString('hex')}`;
let db: TestDatabase;
let app: pg.Client;
let migrator: pg.Client;

function urlAs(user: string): string {
  const u = new URL(db.url);
  u.username = user;
  u.password = password;
  return u.toString();
}

before(async () => {
  db = await createTestDatabase();
  await applyRoles(db.db as unknown as Kysely<unknown>, db.name, roles);
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  for (const role of [roles.app, roles.migrator]) await admin.query(`ALTER ROLE ${role} PASSWORD '${password}'`);
  await admin.end();
  app = new pg.Client({ connectionString: urlAs(roles.app) });
  migrator = new pg.Client({ connectionString: urlAs(roles.migrator) });
  await app.connect();
  await migrator.connect();
});

after(async () => {
  await app.end();
  await migrator.end();
  await db.drop();
  const admin = new pg.Client({ connectionString: baseUrl() });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${roles.app}`);
  await admin.query(`DROP ROLE IF EXISTS ${roles.migrator}`);
  await admin.end();
});

async function refused(client: pg.Client, statement: string): Promise<void> {
  await assert.rejects(client.query(statement), (err: { code?: string }) => {
    assert.equal(err.code, INSUFFICIENT_PRIVILEGE, statement);
    return true;
  });
}

test('the app role reads and writes our tables and uses the queue', async () => {
  const r = await app.query('SELECT count(*)::int AS n FROM media_analysis_requests');
  assert.equal(r.rows[0].n, 0);
  await app.query(
    `INSERT INTO audit_log (table_name, record_id, action, performed_by) VALUES ('t', 'r', 'test', 'roles-test')`,
  );
  await app.query(`DELETE FROM audit_log WHERE performed_by = 'roles-test'`);
  const job = await app.query(`SELECT id FROM graphile_worker.add_job('roles_test', '{}'::json)`);
  assert.ok(job.rows[0].id);
  const who = await sessionRole(db.db as unknown as Kysely<unknown>);
  assert.equal(who.superuser, true, 'the test connection itself is the superuser');
});

test('the app role cannot DROP, ALTER, TRUNCATE or CREATE', async () => {
  await refused(app, 'DROP TABLE media_analysis_requests');
  await refused(app, 'ALTER TABLE media_analysis_requests ADD COLUMN evil text');
  await refused(app, 'ALTER TABLE media_files DROP COLUMN sha256');
  await refused(app, 'TRUNCATE audit_log');
  await refused(app, 'CREATE TABLE evil (id int)');
  await refused(app, 'CREATE INDEX evil_idx ON audit_log (action)');
});

test('the migrator owns the schema and can change it', async () => {
  await migrator.query('ALTER TABLE audit_log ADD COLUMN roles_probe text');
  await migrator.query('ALTER TABLE audit_log DROP COLUMN roles_probe');
  const owners = await migrator.query(
    `SELECT schemaname, array_agg(DISTINCT tableowner::text) AS owners FROM pg_tables
     WHERE schemaname IN ('public', 'graphile_worker') GROUP BY schemaname ORDER BY schemaname`,
  );
  // The queue's schema is the app role's (graphile-worker's tables only admit their owner).
  assert.deepEqual(owners.rows, [
    { schemaname: 'graphile_worker', owners: [roles.app] },
    { schemaname: 'public', owners: [roles.migrator] },
  ]);
  // A table created by a later migration is readable by the app without a new grant.
  await migrator.query('CREATE TABLE roles_probe (id int)');
  await app.query('INSERT INTO roles_probe VALUES (1)');
  await refused(app, 'DROP TABLE roles_probe');
  await migrator.query('DROP TABLE roles_probe');
});

test('applying twice is harmless; names are checked', async () => {
  await applyRoles(db.db as unknown as Kysely<unknown>, db.name, roles);
  assert.throws(() => roleStatements('x; DROP DATABASE y', roles), /identifier/);
});

test('production refuses to boot as a superuser unless allowed; the app role boots', async () => {
  const prod = (url: string, extra: Record<string, string> = {}) =>
    loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: url,
      DATABASE_REQUIRE_TLS: 'false',
      MIGRATE_ON_BOOT: 'false',
      LOG_LEVEL: 'silent',
      DATA_DIR: os.tmpdir(),
      ...extra,
    });
  await assert.rejects(createRuntime({ config: prod(db.url) }), /Refusing to run as PostgreSQL superuser/);
  const allowed = await createRuntime({ config: prod(db.url, { DATABASE_ALLOW_SUPERUSER: 'true' }) });
  await allowed.close();
  const asApp = await createRuntime({ config: prod(urlAs(roles.app)) });
  await asApp.close();
});

test('`db roles` prints the grants', async () => {
  const r = await run(process.execPath, ['src/main/cli.ts', 'db', 'roles', '--app', 'x_app', '--migrator', 'x_owner'], {
    env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent', MIGRATE_ON_BOOT: 'false' },
  });
  assert.match(r.stdout, /GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "x_app"/);
  assert.match(r.stdout, /GRANT USAGE, CREATE ON SCHEMA public TO "x_owner"/);
});
