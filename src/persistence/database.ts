/**
 * The connection pool and the Kysely instance on top of it. `pg` returns int8 as a
 * string by default; our bigint values (counts, job ids, sizes) stay far below 2^53,
 * so they are parsed as numbers once, here.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import type { AppConfig } from '../config/config.ts';
import type { Database } from './schema.ts';
import { BreakerOpenError, CircuitBreaker } from '../resilience/circuit-breaker.ts';
import { DATABASE_CIRCUIT_OPEN_CODE, isDatabaseUnreachable } from './database-errors.ts';

/** OID of PostgreSQL's int8 type. */
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value) => Number(value));

export type Db = Kysely<Database>;
/** The connection pool (graphile-worker and LISTEN connections take it or its settings). */
export type Pool = pg.Pool;
/** A transaction on the database: what the domain hands to repositories to commit several writes as one. */
export type Tx = Transaction<Database>;

/** A round trip to the database (readiness). Throws when it cannot be reached. */
export async function ping(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

export interface DatabaseHandle {
  db: Db;
  pool: pg.Pool;
  /** Opens when PostgreSQL cannot be reached, so requests fail fast instead of each waiting for a connect timeout. */
  breaker: CircuitBreaker;
  close(): Promise<void>;
}

export function createPool(
  connectionString: string,
  cfg: AppConfig['database'],
  applicationName = 'media-analysis',
): pg.Pool {
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
    // Every statement of ours reads the same rows the same way: a large sequential scan does
    // not start where another one on the table happens to be (synchronized scans), and no
    // plan depends on which parallel worker answers first. The search's capped full-text
    // passes (segment.repository.ts) return the same matches every time because of this;
    // our queries are request-sized, where parallel workers gain nothing on a few cores.
    // (A DATABASE_URL with its own `options=` parameter replaces these: node-pg lets the
    // URL win.)
    options: '-c synchronize_seqscans=off -c max_parallel_workers_per_gather=0',
  });
}

/** Distinct statements one connection keeps prepared; past this, queries run unnamed. */
export const MAX_PREPARED_PER_CONNECTION = 256;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
/**
 * Put first in a statement whose best plan depends on its values (which index, for which
 * tenant, for how common a word): it then runs unnamed, planned for its values on every
 * call, never on a generic plan a prepared statement may settle on.
 */
export const PLAN_PER_CALL = '/* planned per call */';
const prepared = new WeakMap<pg.PoolClient, Set<string>>();

/** Query texts whose statement name is remembered (our code has a few hundred distinct statements). */
const NAMES_MAX = 4096;
const names = new Map<string, string>();

/** The statement name for a query text: stable, short, collision-free in practice. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    // Hashed once per distinct text: a status read otherwise spends more on this than on Kysely's compile.
    name = `ma_${crypto.hash('sha1', text, 'hex').slice(0, 24)}`;
    if (names.size >= NAMES_MAX) names.clear();
    names.set(text, name);
  }
  return name;
}

/**
 * Kysely's queries go out as named prepared statements, as postgres.js and pgx do by
 * default: PostgreSQL parses and plans each distinct statement once per connection
 * instead of on every call (docs/decisions/0010-measured-choices.md has the figures).
 * DDL is never prepared, and each connection keeps a bounded set.
 */
function withPreparedStatements(pool: pg.Pool, breaker: CircuitBreaker): pg.Pool {
  // Kysely gets a thin wrapper per checkout; the pooled client itself is left untouched
  // because graphile-worker shares the pool and calls client.query in other forms.
  const connect = async () => {
    const client = await breaker
      .exec(() => pool.connect())
      .catch((err: unknown) => {
        if (err instanceof BreakerOpenError)
          throw Object.assign(new Error('database circuit open'), { code: DATABASE_CIRCUIT_OPEN_CODE, cause: err });
        throw err;
      });
    let names = prepared.get(client);
    if (!names) {
      names = new Set<string>();
      prepared.set(client, names);
    }
    const known = names;
    return {
      query: (text: string, values: unknown[]) => {
        if (PREPARABLE.test(text)) {
          const name = statementName(text);
          if (known.has(name) || known.size < MAX_PREPARED_PER_CONNECTION) {
            known.add(name);
            return client.query({ name, text, values });
          }
        }
        return client.query(text, values);
      },
      release: (err?: Error | boolean) => client.release(err),
    };
  };
  return { connect, end: () => pool.end() } as unknown as pg.Pool;
}

export function createDatabase(
  connectionString: string,
  cfg: AppConfig['database'],
  applicationName?: string,
): DatabaseHandle {
  const pool = createPool(connectionString, cfg, applicationName);
  // An idle client that loses its server emits 'error' on the pool; without a listener
  // that would crash the process. The next checkout reconnects.
  pool.on('error', () => undefined);
  // Same for a checked-out client whose connection drops; the query in flight rejects.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const breaker = new CircuitBreaker('postgres', {
    failureThreshold: 3,
    resetMs: 2000,
    halfOpenTrials: 1,
    isFailure: isDatabaseUnreachable,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool, breaker) }) });
  return {
    db,
    pool,
    breaker,
    close: async () => {
      await db.destroy();
    },
  };
}
