/**
 * The connection pool and the Kysely instance on top of it. `pg` returns int8 as a
 * string by default; our bigint values (counts, job ids, sizes) stay far below 2^53,
 * so they are parsed as numbers once, here.
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { AppConfig } from '../config/config.ts';
import type { Database } from './schema.ts';

/** OID of PostgreSQL's int8 type. */
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value) => Number(value));

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createPool(connectionString: string, cfg: AppConfig['database'], applicationName = 'media-analysis'): pg.Pool {
  return new pg.Pool({
    connectionString,
    min: cfg.poolMin,
    max: cfg.poolMax,
    connectionTimeoutMillis: cfg.connectTimeoutMs,
    idleTimeoutMillis: cfg.idleTimeoutMs,
    statement_timeout: cfg.statementTimeoutMs,
    // A transaction left open by a crashed request must not hold locks forever.
    idle_in_transaction_session_timeout: Math.max(cfg.statementTimeoutMs, 60_000),
    application_name: applicationName,
  });
}

export function createDatabase(connectionString: string, cfg: AppConfig['database'], applicationName?: string): DatabaseHandle {
  const pool = createPool(connectionString, cfg, applicationName);
  // An idle client that loses its server emits 'error' on the pool; without a listener
  // that would crash the process. The next checkout reconnects.
  pool.on('error', () => undefined);
  // Same for a checked-out client whose connection drops; the query in flight rejects.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: async () => {
      await db.destroy();
    },
  };
}
