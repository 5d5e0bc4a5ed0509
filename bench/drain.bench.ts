/**
 * Worker drain and queue latency with real processes (`media-analysis api` + N ×
 * `media-analysis worker`, WORKER_CONCURRENCY=2 each, local storage on this machine).
 *
 * 1. Drain: JOBS light analyses (a 40-byte text document: intake, probe, document text,
 *    extractive answer, outputs; no ffmpeg, no model) are queued first, then 1, 2 or 4
 *    worker processes start; jobs/s = JOBS / (last completed_at − first started_at).
 * 2. Queue latency under load: with 2 workers running, analyses arrive at a steady rate
 *    (LOAD_FRACTION of the 2-worker drain rate) for LOAD_SECONDS; latency is
 *    started_at − created_at (add → start), p50 and p99.
 * Correctness beside each figure: every analysis completed exactly once (one `complete`
 * audit row each) with its document text extracted.
 *
 * Usage: npm run bench:drain   (DATABASE_URL required; BENCH_JOBS, BENCH_LOAD_SECONDS)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startService, waitHealthy, waitForOutput, type ServiceProcess } from '../test/helpers/fleet.ts';
import { freePort } from '../test/helpers/net.ts';
import { writeBenchResults } from './helpers/provenance.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const WORKER_COUNTS = [1, 2, 4];
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const LOAD_FRACTION = 0.6;
const RESULTS_DIR = path.resolve('bench/results');
const DOC = Buffer.from('Meeting notes\nThe quick brown fox jumps.\n');

interface DrainResult {
  workers: number;
  jobs: number;
  seconds: number;
  jobs_per_second: number;
  all_completed_once: boolean;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new Error('DATABASE_URL is required');
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS ma_bench_drain WITH (FORCE)');
  await admin.query('CREATE DATABASE ma_bench_drain');
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = '/ma_bench_drain';
  const url = u.toString();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-drain-'));
  const port = await freePort();
  const env = (dataDir: string): NodeJS.ProcessEnv => ({
    ...process.env,
    NODE_ENV: 'test',
    // info: the bench waits for each worker's "worker started" line.
    LOG_LEVEL: 'info',
    DATABASE_URL: url,
    DATA_DIR: dataDir,
    STORAGE_ROOT: path.join(root, 'storage'),
    AUTH_MODE: 'disabled',
    RATE_LIMIT_MAX: '0',
    CACHE_ENABLED: 'false',
    TENANT_MAX_CONCURRENT: '0',
    WORKER_CONCURRENCY: '2',
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  const api = startService('api', env(path.join(root, 'api')));
  const db = new pg.Pool({ connectionString: url, max: 2 });
  const procs: ServiceProcess[] = [api];
  try {
    await waitHealthy(api, `http://127.0.0.1:${port}/health`, 120_000);
    const submit = async (i: number): Promise<string> => {
      const form = new FormData();
      form.set('prompt', `drain ${i}`);
      form.set('file', new Blob([DOC]), 'notes.txt');
      const res = await fetch(`http://127.0.0.1:${port}/api/media/analyze`, { method: 'POST', body: form });
      if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { analysis_id: string }).analysis_id;
    };
    const waitDone = async (ids: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM media_analysis_requests WHERE id = ANY($1::uuid[]) AND status IN ('completed', 'failed')`,
          [ids],
        );
        if (r.rows[0]!.n === ids.length) return;
        if (Date.now() > deadline) throw new Error(`only ${r.rows[0]!.n}/${ids.length} finished`);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const check = async (ids: string[]) => {
      const r = await db.query<{ ok: number; completes: number }>(
        `SELECT count(*) FILTER (WHERE status = 'completed' AND results -> 'document' ->> 'text_preview' LIKE '%quick brown fox%')::int AS ok,
                (SELECT count(*)::int FROM audit_log WHERE action = 'complete' AND record_id = ANY($2::text[])) AS completes
         FROM media_analysis_requests WHERE id = ANY($1::uuid[])`,
        [ids, ids],
      );
      return r.rows[0]!.ok === ids.length && r.rows[0]!.completes === ids.length;
    };

    const drains: DrainResult[] = [];
    for (const n of WORKER_COUNTS) {
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i++) ids.push(await submit(i));
      const workers = Array.from({ length: n }, (_, k) => startService('worker', env(path.join(root, `w${n}-${k}`))));
      procs.push(...workers);
      await Promise.all(workers.map((w) => waitForOutput(w, /worker started|"msg":"worker started"/, 120_000)));
      await waitDone(ids, 600_000);
      const span = await db.query<{ seconds: number }>(
        `SELECT extract(epoch FROM max(completed_at) - min(started_at))::float8 AS seconds
         FROM media_analysis_requests WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      const seconds = span.rows[0]!.seconds;
      const result = {
        workers: n,
        jobs: JOBS,
        seconds: Math.round(seconds * 100) / 100,
        jobs_per_second: Math.round((JOBS / seconds) * 10) / 10,
        all_completed_once: await check(ids),
      };
      drains.push(result);
      console.log(JSON.stringify(result));
      if (n !== 2) for (const w of workers) await w.stop();
      else (globalThis as { loadWorkers?: ServiceProcess[] }).loadWorkers = workers;
    }

    // Queue latency under a steady load on the 2-worker fleet.
    const twoWorkerRate = drains.find((d) => d.workers === 2)!.jobs_per_second;
    const rate = Math.max(1, twoWorkerRate * LOAD_FRACTION);
    const loadIds: string[] = [];
    const started = Date.now();
    let i = 0;
    while (Date.now() - started < LOAD_SECONDS * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      while (i < due) loadIds.push(await submit(100_000 + i++));
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitDone(loadIds, 300_000);
    const lat = await db.query<{ ms: number }>(
      `SELECT extract(epoch FROM started_at - created_at)::float8 * 1000 AS ms
       FROM media_analysis_requests WHERE id = ANY($1::uuid[]) ORDER BY 1`,
      [loadIds],
    );
    const ms = lat.rows.map((r) => r.ms).sort((a, b) => a - b);
    const latency = {
      workers: 2,
      offered_rate_per_second: Math.round(rate * 10) / 10,
      analyses: loadIds.length,
      p50_ms: Math.round(percentile(ms, 50)),
      p99_ms: Math.round(percentile(ms, 99)),
      max_ms: Math.round(ms[ms.length - 1]!),
      all_completed_once: await check(loadIds),
    };
    console.log(JSON.stringify(latency));

    const load = os.loadavg().map((l) => l.toFixed(1));
    const result = { when: new Date().toISOString(), cpus: os.cpus().length, loadavg: load, drains, latency };
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    const md = [
      '# Worker drain and queue latency',
      '',
      `Run ${result.when} on ${result.cpus} CPU cores **shared with other sessions** (load average ${load.join(' / ')}),`,
      'so absolute figures are pessimistic and noisy; compare the rows of one run with each other.',
      `Each worker process runs WORKER_CONCURRENCY=2; jobs are ${JOBS} light text-document analyses queued before the workers start.`,
      '',
      '| worker processes | jobs | seconds | jobs/s | all completed exactly once |',
      '| ---: | ---: | ---: | ---: | :--- |',
      ...drains.map(
        (d) =>
          `| ${d.workers} | ${d.jobs} | ${d.seconds} | ${d.jobs_per_second} | ${d.all_completed_once ? 'yes' : 'NO'} |`,
      ),
      '',
      `Queue latency (add → start) with 2 worker processes at ${latency.offered_rate_per_second} analyses/s`,
      `(${LOAD_FRACTION * 100} % of their drain rate) for ${LOAD_SECONDS} s: ${latency.analyses} analyses,`,
      `p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms, max ${latency.max_ms} ms;`,
      `all completed exactly once: ${latency.all_completed_once ? 'yes' : 'NO'}.`,
      '',
    ].join('\n');
    writeBenchResults('drain', result, md);
    console.log(md);
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await db.end();
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
