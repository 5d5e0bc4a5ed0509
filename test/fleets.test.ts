/**
 * Separate fleets: one API process and two worker processes, each with its own DATA_DIR,
 * sharing only PostgreSQL and an S3-protocol store (no shared disk). 50 mixed analyses
 * (video, audio, image, document) complete exactly once, although one worker is killed
 * with SIGKILL in the middle of the run; its scratch copies are swept when it restarts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestS3, S3RVER_CREDENTIALS, type TestS3 } from './helpers/s3.ts';
import { S3Storage } from '../src/storage/s3-storage.ts';
import { STORAGE_AREAS } from '../src/storage/storage.ts';
import { startService, waitHealthy, waitForOutput, type ServiceProcess } from './helpers/fleet.ts';
import { fixtures } from './helpers/fixtures.ts';
import { freePort } from './helpers/net.ts';
import { waitFor } from './helpers/app.ts';
import { TASK } from '../src/persistence/job.repository.ts';

const TOTAL = 50;
/** How many of each kind, in submission order (interleaved below). */
const MIX = { video: 4, audio: 8, image: 18, document: 20 } as const;

let db: TestDatabase;
let s3: TestS3;
let dirs: { api: string; w1: string; w2: string };
let api: ServiceProcess;
let workers: ServiceProcess[] = [];
let baseUrl: string;

function envFor(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    AUTH_MODE: 'disabled',
    CACHE_ENABLED: 'false',
    WORKER_CONCURRENCY: '2',
    // Generous on a shared machine: a starved but living worker must not look dead.
    WORKER_HEARTBEAT_INTERVAL_MS: '1000',
    WORKER_STALE_AFTER_MS: '10000',
    WORKER_POLL_INTERVAL_MS: '250',
    FRAME_COUNT: '2',
    ...s3.env('fleet/'),
    ...extra,
  };
}

before(async () => {
  db = await createTestDatabase();
  s3 = await startTestS3();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-fleet-'));
  dirs = { api: path.join(root, 'api'), w1: path.join(root, 'w1'), w2: path.join(root, 'w2') };
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  api = startService('api', envFor(dirs.api, { PORT: String(port), HOST: '127.0.0.1' }));
  await waitHealthy(api, `${baseUrl}/health`);
});

after(async () => {
  for (const w of workers) await w.stop();
  await api?.stop();
  await s3?.stop();
  await db?.drop();
  if (dirs) await fs.rm(path.dirname(dirs.api), { recursive: true, force: true });
});

async function submit(file: string, mediaType: string, i: number): Promise<string> {
  const form = new FormData();
  form.set('prompt', `fleet analysis ${i}`);
  form.set('media_type', mediaType);
  form.set('file', new Blob([await fs.readFile(file)]), path.basename(file));
  const res = await fetch(`${baseUrl}/api/media/analyze`, { method: 'POST', body: form });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { analysis_id: string }).analysis_id;
}

/** The tail of every process's log, for a failure message. */
function diagnostics(): string {
  const tail = (p: ServiceProcess) => p.output().split('\n').slice(-15).join('\n');
  return [`--- api\n${tail(api)}`, ...workers.map((w, i) => `--- worker ${i + 1}\n${tail(w)}`)].join('\n');
}

async function statuses(): Promise<Map<string, number>> {
  const r = await db.pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM media_analysis_requests GROUP BY status',
  );
  return new Map(r.rows.map((row) => [row.status, row.n]));
}

test('one API and two workers with no shared disk complete 50 mixed analyses exactly once through a kill -9', async () => {
  const files = {
    video: await fixtures.video(),
    audio: await fixtures.audio(),
    image: await fixtures.image(),
    document: [await fixtures.text(), await fixtures.pdf()],
  };
  // Interleave the kinds so both workers see all of them.
  const plan: Array<{ kind: keyof typeof MIX; file: string }> = [];
  const left = { ...MIX } as Record<keyof typeof MIX, number>;
  while (plan.length < TOTAL) {
    for (const kind of Object.keys(MIX) as Array<keyof typeof MIX>) {
      if (left[kind]-- <= 0) continue;
      const file = kind === 'document' ? files.document[plan.length % 2]! : files[kind];
      plan.push({ kind, file });
    }
  }
  const ids: string[] = [];
  for (const [i, p] of plan.entries()) ids.push(await submit(p.file, p.kind, i));
  assert.equal(new Set(ids).size, TOTAL);

  // Uploads went to the object store; the API's own data folder holds no media.
  const store = new S3Storage(await s3.settings('fleet/'), { credentials: S3RVER_CREDENTIALS });
  const keys: string[] = [];
  for await (const k of store.list()) keys.push(k);
  await store.close();
  for (const id of ids)
    assert.ok(
      keys.some((k) => k.endsWith(`${id}/source`)),
      `source of ${id} in the store`,
    );
  const apiFiles = await fs.readdir(dirs.api, { recursive: true }).catch(() => [] as string[]);
  assert.ok(!apiFiles.some((f) => String(f).includes('uploads')), `API data dir: ${apiFiles.join(', ')}`);

  workers = [startService('worker', envFor(dirs.w1)), startService('worker', envFor(dirs.w2))];
  await Promise.all(workers.map((w) => waitForOutput(w, /worker started/)));

  // Kill worker 1 while it is in the middle of a job.
  await waitFor(
    async () => {
      const s = await statuses();
      return (s.get('completed') ?? 0) >= 5 && (s.get('processing') ?? 0) > 0;
    },
    180_000,
    25,
  ).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify([...(await statuses())])}\n${diagnostics()}`);
  });
  await workers[0]!.kill();
  const killedScratch = await fs.readdir(path.join(dirs.w1, 'scratch')).catch(() => [] as string[]);

  await waitFor(async () => (await statuses()).get('completed') === TOTAL, 600_000, 200).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify([...(await statuses())])}\n${diagnostics()}`);
  });

  // Exactly once: one `complete` transition per analysis, no job left in the queue.
  const completes = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_log WHERE action = 'complete' AND record_id = ANY($1::text[])`,
    [ids],
  );
  assert.equal(completes.rows[0]!.n, TOTAL);
  // No analysis job left: its row goes a moment after the analysis completes (inside the
  // task), so this waits for it. The workers' cron (the reconciler and the segment backfill,
  // each minute) may have queued housekeeping jobs at any moment: those may be there, but
  // no job of any kind may have failed.
  const jobsLeft = () =>
    db.pool.query<{ task_identifier: string; attempts: number; last_error: string | null }>(
      'SELECT task_identifier, attempts, last_error FROM graphile_worker.jobs',
    );
  await waitFor(
    async () => !(await jobsLeft()).rows.some((j) => j.task_identifier === TASK.processAnalysis),
    30_000,
  ).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify((await jobsLeft()).rows)}`);
  });
  const failed = (await jobsLeft()).rows.filter((j) => j.last_error !== null);
  assert.deepEqual(failed, [], 'no job failed');
  const byType = await db.pool.query<{ media_type: string; n: number }>(
    `SELECT media_type, count(*)::int AS n FROM media_analysis_requests GROUP BY 1 ORDER BY 1`,
  );
  assert.deepEqual(Object.fromEntries(byType.rows.map((r) => [r.media_type, r.n])), {
    audio: MIX.audio,
    document: MIX.document,
    image: MIX.image,
    video: MIX.video,
  });

  // Artifacts are in the object store and served through the API (proxy delivery).
  const video = ids[plan.findIndex((p) => p.kind === 'video')]!;
  const list = (await (await fetch(`${baseUrl}/api/media/${video}/artifacts`)).json()) as {
    data: Array<{ area: string; url: string; size_bytes: number }>;
  };
  const sheet = list.data.find((a) => a.area === 'contact-sheets');
  assert.ok(sheet, JSON.stringify(list));
  const ranged = await fetch(`${baseUrl}${sheet.url}`, { headers: { range: 'bytes=0-9' } });
  assert.equal(ranged.status, 206);
  assert.equal((await ranged.arrayBuffer()).byteLength, 10);
  const rows = await db.pool.query<{ storage_path: string }>('SELECT storage_path FROM media_files');
  assert.ok(rows.rows.every((r) => r.storage_path.startsWith(`s3://${s3.bucket}/fleet/`)));

  // The surviving worker released its scratch; the killed one's copies are swept on restart.
  const survivorScratch = path.join(dirs.w2, 'scratch');
  for (const folder of await fs.readdir(survivorScratch)) {
    // Only the empty area folders may remain (no `<area>/<day>/<id>` below them).
    const left = await fs.readdir(path.join(survivorScratch, folder), { recursive: true });
    assert.ok(
      left.every((f) => (STORAGE_AREAS as readonly string[]).includes(String(f))),
      `no analysis folders left: ${left.join(', ')}`,
    );
  }
  assert.ok(killedScratch.length >= 1, 'the killed worker had a scratch folder');
  const restarted = startService('worker', envFor(dirs.w1));
  workers.push(restarted);
  await waitForOutput(restarted, /worker started/);
  const after = await fs.readdir(path.join(dirs.w1, 'scratch'));
  assert.ok(
    killedScratch.every((f) => !after.includes(f)),
    `swept: before ${killedScratch.join(',')} after ${after.join(',')}`,
  );
});
