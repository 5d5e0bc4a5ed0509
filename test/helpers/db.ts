/**
 * A real database per test file: a template database is migrated once per schema
 * version (under an advisory lock, since test files run in parallel), and each file
 * clones it with CREATE DATABASE … TEMPLATE, which takes milliseconds.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { createDatabase, type DatabaseHandle } from '../../src/persistence/database.ts';
import { MIGRATIONS, migrateToLatest } from '../../src/persistence/migrator.ts';
import { loadConfig } from '../../src/config/config.ts';

/** Advisory lock id serialising template creation across test processes. */
const TEMPLATE_LOCK_ID = 4_242_001;

export function baseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must be set for tests (npm test starts embedded PostgreSQL when it is not)');
  return url;
}

export function urlForDatabase(name: string): string {
  const u = new URL(baseUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: baseUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function templateName(): string {
  // The migrations' own source is hashed, so editing one builds a fresh template.
  const source = Object.entries(MIGRATIONS)
    .map(([name, m]) => `${name}\n${m.up.toString()}\n${m.down?.toString() ?? ''}`)
    .join('\n');
  const h = crypto.createHash('sha256').update(source).update('graphile-worker-0.17').digest('hex').slice(0, 12);
  return `ma_tpl_${h}`;
}

async function ensureTemplate(): Promise<string> {
  const name = templateName();
  await withAdmin(async (c) => {
    await c.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_ID]);
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount) return;
      await c.query(`CREATE DATABASE ${name}`);
      const h = createDatabase(urlForDatabase(name), loadConfig({}).database);
      try {
        await migrateToLatest(h.db as unknown as Kysely<unknown>, h.pool);
      } catch (err) {
        await h.close();
        await c.query(`DROP DATABASE ${name}`);
        throw err;
      }
      await h.close();
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_ID]);
    }
  });
  return name;
}

export interface TestDatabase extends DatabaseHandle {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template (no connection opened to it). */
export async function cloneTestDatabase(
  opts: { migrated?: boolean } = {},
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `ma_t_${crypto.randomBytes(6).toString('hex')}`;
  const template = opts.migrated === false ? null : await ensureTemplate();
  await withAdmin((c) =>
    c.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`),
  );
  let dropped = false;
  return {
    name,
    url: urlForDatabase(name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A fresh, migrated database for one test file, with a connection pool on it. */
export async function createTestDatabase(
  opts: { migrated?: boolean; poolMax?: number; connectTimeoutMs?: number } = {},
): Promise<TestDatabase> {
  const clone = await cloneTestDatabase(opts);
  const handle = createDatabase(clone.url, {
    ...loadConfig({}).database,
    poolMax: opts.poolMax ?? 10,
    ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
  });
  let closed = false;
  return {
    ...handle,
    name: clone.name,
    url: clone.url,
    drop: async () => {
      if (!closed) {
        closed = true;
        await handle.close();
      }
      await clone.drop();
    },
  };
}
