/**
 * CPU time of processes from /proc: the API or baseline server, and the PostgreSQL
 * backends serving one database (so a benchmark sees the database's work, not only the
 * server's). Linux only; PostgreSQL must run on this machine (DATABASE_URL's local
 * server or the embedded one).
 */
import fs from 'node:fs/promises';
import type pg from 'pg';

/** Linux clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used so far, in ms; 0 once it is gone. */
export async function processCpuMs(pid: number): Promise<number> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU time used so far by the client backends connected to `database`, in ms, as a map
 * pid → ms, so a caller can difference two readings backend by backend (a backend that
 * exits in between drops out of both rather than counting negative).
 */
export async function backendCpu(admin: pg.ClientBase, database: string): Promise<Map<number, number>> {
  const r = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    [database],
  );
  const out = new Map<number, number>();
  for (const { pid } of r.rows) out.set(pid, await processCpuMs(pid));
  return out;
}

/** CPU ms the backends spent between two `backendCpu` readings (backends present in both, and new ones). */
export function backendCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}
