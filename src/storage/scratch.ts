/**
 * Scratch: the process-local folder where a worker keeps copies of stored files for
 * tools that need a path (ffmpeg, sharp, pdf.js). Each process gets its own folder,
 * `<DATA_DIR>/scratch/<hostname>-<pid>-<random>`, so two processes never share one, and
 * a worker starting up removes the folders of processes on this host that are gone
 * (a crash or `kill -9` leaves its copies behind; nothing else would remove them).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { STORAGE_AREAS } from './storage.ts';

/** Folders older than this are removed whatever their owner (a host renamed, a pid reused). */
export const SCRATCH_MAX_AGE_MS = 24 * 3600 * 1000;

export function scratchFolderName(): string {
  return `${os.hostname()}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove sibling scratch folders whose process is gone (same host) or that are too old. */
export async function sweepScratchParent(parent: string, own: string): Promise<number> {
  const entries = await fs.readdir(parent, { withFileTypes: true }).catch(() => []);
  const host = os.hostname();
  let removed = 0;
  for (const e of entries) {
    if (!e.isDirectory() || e.name === own) continue;
    const full = path.join(parent, e.name);
    const m = /^(.*)-(\d+)-[0-9a-f]{8}$/.exec(e.name);
    const st = await fs.stat(full).catch(() => null);
    const tooOld = st !== null && Date.now() - st.mtimeMs > SCRATCH_MAX_AGE_MS;
    const deadHere = m !== null && m[1] === host && !pidAlive(Number(m[2]));
    if (tooOld || deadHere || m === null) {
      await fs.rm(full, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** Remove one analysis's folders (`<area>/<day>/<id>`) from a scratch folder. */
export async function removeAnalysisScratch(root: string, analysisId: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(analysisId)) return;
  for (const area of STORAGE_AREAS) {
    const days = await fs.readdir(path.join(root, area)).catch(() => [] as string[]);
    for (const day of days) {
      await fs.rm(path.join(root, area, day, analysisId), { recursive: true, force: true });
      // Leave no empty day folders behind either.
      await fs.rmdir(path.join(root, area, day)).catch(() => undefined);
    }
  }
}
