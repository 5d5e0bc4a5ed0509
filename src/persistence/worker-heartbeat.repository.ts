/**
 * worker_heartbeats: each worker process's proof of life, and the sweep that finds
 * graphile-worker lock holders without one. Reads the queue through graphile-worker's
 * documented `graphile_worker.jobs` view, never its private tables; unlocking goes
 * through its public `forceUnlockWorkers` (the caller's WorkerUtils).
 */
import { sql } from 'kysely';
import type { Db } from './database.ts';

/** `make_interval` for a duration in milliseconds. */
const interval = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

/** Heartbeats older than this many stale periods are deleted (kept a while for diagnosis). */
const FORGET_AFTER_STALE_PERIODS = 4;

export interface Heartbeat {
  instanceId: string;
  hostname: string;
  pid: number;
  /** The graphile-worker ids (pool and workers) this process owns. */
  workerIds: readonly string[];
}

export const workerHeartbeatRepository = {
  /** Record (or refresh) a process's heartbeat. */
  async beat(db: Db, hb: Heartbeat): Promise<void> {
    await sql`
      INSERT INTO worker_heartbeats (instance_id, hostname, pid, worker_ids, last_beat_at)
      VALUES (${hb.instanceId}, ${hb.hostname}, ${hb.pid}, ${[...hb.workerIds]}::text[], now())
      ON CONFLICT (instance_id) DO UPDATE SET worker_ids = excluded.worker_ids, last_beat_at = now()`.execute(db);
  },

  /** A process stopping cleanly removes its heartbeat. */
  async remove(db: Db, instanceId: string): Promise<void> {
    await sql`DELETE FROM worker_heartbeats WHERE instance_id = ${instanceId}`.execute(db);
  },

  /** Ids of workers holding a job lock older than `staleAfterMs` with no fresh heartbeat listing them. */
  async staleLockHolders(db: Db, staleAfterMs: number): Promise<string[]> {
    const stale = interval(staleAfterMs);
    const r = await sql<{ locked_by: string }>`
      SELECT DISTINCT j.locked_by FROM graphile_worker.jobs j
      WHERE j.locked_by IS NOT NULL
        AND j.locked_at < now() - ${stale}
        AND NOT EXISTS (
          SELECT 1 FROM worker_heartbeats h
          WHERE h.last_beat_at > now() - ${stale} AND j.locked_by = ANY (h.worker_ids)
        )`.execute(db);
    return r.rows.map((row) => row.locked_by);
  },

  /** Drop heartbeats of processes long gone. */
  async forgetOld(db: Db, staleAfterMs: number): Promise<void> {
    await sql`DELETE FROM worker_heartbeats
      WHERE last_beat_at < now() - ${interval(staleAfterMs * FORGET_AFTER_STALE_PERIODS)}`.execute(db);
  },

  /** Processes whose heartbeat is fresher than `staleAfterMs`. */
  async countLive(db: Db, staleAfterMs: number): Promise<number> {
    const r = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM worker_heartbeats
      WHERE last_beat_at > now() - ${interval(staleAfterMs)}`.execute(db);
    return r.rows[0]?.n ?? 0;
  },
};
