/**
 * Online migration steps: statements that must not run inside a migration's transaction
 * because they would hold a strong lock for as long as they scan a large table.
 *
 * - `index`: CREATE INDEX CONCURRENTLY (reads and writes go on while it builds). A build
 *   that failed leaves an INVALID index behind; it is dropped (concurrently) and rebuilt.
 * - `validate`: VALIDATE CONSTRAINT for a constraint added NOT VALID in the migration;
 *   it takes a SHARE UPDATE EXCLUSIVE lock, which does not block reads or writes.
 *
 * Each step is idempotent and runs with a lock timeout; a step that times out waiting
 * for a lock is retried after a pause rather than queueing traffic behind it.
 */
import type pg from 'pg';

export type OnlineStep =
  { kind: 'index'; name: string; sql: string } | { kind: 'validate'; table: string; constraint: string };

/** SQLSTATE lock_not_available: lock_timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';
const LOCK_TIMEOUT = '2s';
const ATTEMPTS = 5;
const RETRY_PAUSE_MS = 1_000;
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return name;
}

/** Run one step; false when there was nothing left to do. */
async function runStep(client: pg.PoolClient, step: OnlineStep): Promise<boolean> {
  if (step.kind === 'index') {
    const r = await client.query<{ valid: boolean }>(
      `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace`,
      [step.name],
    );
    if (r.rows[0]?.valid === true) return false;
    if (r.rows[0]?.valid === false) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${ident(step.name)}`);
    await client.query(step.sql);
    return true;
  }
  const r = await client.query<{ validated: boolean }>(
    `SELECT convalidated AS validated FROM pg_constraint WHERE conname = $1 AND conrelid = $2::regclass`,
    [step.constraint, step.table],
  );
  if (!r.rows[0] || r.rows[0].validated) return false;
  await client.query(`ALTER TABLE ${ident(step.table)} VALIDATE CONSTRAINT ${ident(step.constraint)}`);
  return true;
}

/** Run the steps in order on one connection, outside any transaction. */
export async function runOnlineSteps(pool: pg.Pool, steps: readonly OnlineStep[]): Promise<string[]> {
  if (steps.length === 0) return [];
  const done: string[] = [];
  const client = await pool.connect();
  try {
    await client.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
    // A concurrent build on a large table can outlast the pool's statement timeout.
    await client.query('SET statement_timeout = 0');
    for (const step of steps) {
      let did = false;
      for (let attempt = 1; ; attempt++) {
        try {
          did = await runStep(client, step);
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= ATTEMPTS) throw err;
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS * attempt));
        }
      }
      if (did) done.push(step.kind === 'index' ? `Online index ${step.name}` : `Online validate ${step.constraint}`);
    }
  } finally {
    client.release();
  }
  return done;
}
