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

/** One /proc/<pid>/stat: parent, own CPU and the CPU of its waited-for (exited) children, ms. */
async function statOf(pid: number): Promise<{ ppid: number; ownMs: number; childrenMs: number } | null> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (a: number, b: number) => ((Number(f[a]) + Number(f[b])) * 1000) / CLOCK_TICKS_PER_SECOND;
  // After the command name: ppid is index 1, utime/stime 11/12, cutime/cstime 13/14.
  return { ppid: Number(f[1]), ownMs: ms(11, 12), childrenMs: ms(13, 14) };
}

/**
 * CPU time used so far by `pid` and every process below it, in ms: each live process's
 * own time plus the time of its children that have exited and been waited for (ffmpeg,
 * pocketsphinx, a sandbox). A child that exits between two readings moves from "live" to
 * its parent's children time, so differences of two readings stay right.
 */
export async function processTreeCpuMs(pid: number): Promise<number> {
  const stats = new Map<number, { ppid: number; ownMs: number; childrenMs: number }>();
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = await statOf(Number(name));
    if (s) stats.set(Number(name), s);
  }
  const inTree = (p: number): boolean => {
    for (let at = p, hops = 0; at > 1 && hops < 64; hops++) {
      if (at === pid) return true;
      at = stats.get(at)?.ppid ?? 0;
    }
    return false;
  };
  let ms = 0;
  for (const [p, s] of stats) if (inTree(p)) ms += s.ownMs + s.childrenMs;
  return ms;
}
