/**
 * Load benchmark for the job API (loopback only, bounded in time).
 *
 * 1. A fresh database `ma_bench` is migrated and seeded with 1,000,000 analyses
 *    (10 tenants × 100,000, 90 days of history, mixed statuses and media types).
 * 2. The API (`media-analysis api`, LOG_LEVEL=warn) and a bare baseline server run as
 *    child processes; autocannon drives them from this process.
 * 3. Scenarios: baseline PK select, GET status, GET history (filters + sort, first
 *    page, deep offset page, cursor page), POST analyze (row + audit + job in one tx).
 *
 * Results go to bench/results/http-load.json and bench/results/http-load.md.
 * Usage: npm run bench   (DATABASE_URL optional; BENCH_ROWS, BENCH_SECONDS to change the size)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { writeBenchResults } from './helpers/provenance.ts';
import {
  freshBenchDatabase,
  load as loadScenario,
  log,
  round,
  seedAnalyses,
  serverEnv,
  startChild,
  stopChild,
  type ScenarioRequest,
  type Summary,
} from './helpers/http-load.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const TENANTS = 10;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const POOL_MAX = 16;
const API_PORT = 39_101;
const BASELINE_PORT = 39_102;
const UNCACHED_PORT = 39_103;
const RESULTS_DIR = path.resolve('bench/results');

async function main() {
  const database = await freshBenchDatabase('ma_bench', { dataDir: 'data/bench-pg', port: 54349 });
  const { url, key } = database;

  log(`seeding ${ROWS.toLocaleString()} analyses across ${TENANTS} tenants…`);
  const seedStart = performance.now();
  const ids = await seedAnalyses(url, ROWS, TENANTS);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  log(`seeded in ${seedSeconds.toFixed(1)} s`);
  const tenantRows = Math.floor(ROWS / TENANTS);

  const env = serverEnv(url, POOL_MAX, 'data/bench-data');
  const api = await startChild(['src/main/cli.ts', 'api'], { ...env, PORT: String(API_PORT) }, API_PORT);
  const baseline = await startChild(
    ['bench/baseline-server.ts'],
    { ...env, PORT: String(BASELINE_PORT) },
    BASELINE_PORT,
  );
  // The same API with its cache switched off: every read goes to PostgreSQL.
  const uncached = await startChild(
    ['src/main/cli.ts', 'api'],
    { ...env, PORT: String(UNCACHED_PORT), CACHE_ENABLED: 'false' },
    UNCACHED_PORT,
  );
  const results: Record<string, Summary> = {};
  try {
    const headers = { authorization: `Bearer ${key}` };
    const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
    const firstCursor = (await (
      await fetch(`http://127.0.0.1:${API_PORT}/api/media/history?per_page=20&page=1`, { headers })
    ).json()) as { pagination: { next_cursor: string } };
    results.baseline_pk_select = await load('baseline', `http://127.0.0.1:${BASELINE_PORT}`, () => ({
      method: 'GET',
      path: `/baseline/${pick()}`,
    }));
    results.get_status_uncached = await load('GET status (cache off)', `http://127.0.0.1:${UNCACHED_PORT}`, () => ({
      method: 'GET',
      path: `/api/media/status/${pick()}`,
      headers,
    }));
    results.get_history_filtered_uncached = await load(
      'GET history, filters + sort (cache off)',
      `http://127.0.0.1:${UNCACHED_PORT}`,
      () => ({
        method: 'GET',
        path: `/api/media/history?status=completed&media_type=${['video', 'audio', 'image', 'document'][Math.floor(Math.random() * 4)]}&sort_by=created_at&order=desc&per_page=20`,
        headers,
      }),
    );
    results.get_status = await load('GET status', `http://127.0.0.1:${API_PORT}`, () => ({
      method: 'GET',
      path: `/api/media/status/${pick()}`,
      headers,
    }));
    results.get_history_filtered = await load(
      'GET history (status+type filter, sort)',
      `http://127.0.0.1:${API_PORT}`,
      () => ({
        method: 'GET',
        path: `/api/media/history?status=completed&media_type=${['video', 'audio', 'image', 'document'][Math.floor(Math.random() * 4)]}&sort_by=created_at&order=desc&per_page=20`,
        headers,
      }),
    );
    results.get_history_deep_offset = await load(
      'GET history (page 500 = offset 9,980, the deepest offset page)',
      `http://127.0.0.1:${API_PORT}`,
      () => ({ method: 'GET', path: `/api/media/history?per_page=20&page=500`, headers }),
    );
    results.get_history_cursor = await load('GET history (cursor page)', `http://127.0.0.1:${API_PORT}`, () => ({
      method: 'GET',
      path: `/api/media/history?per_page=20&cursor=${firstCursor.pagination.next_cursor}`,
      headers,
    }));
    results.post_analyze = await load('POST analyze', `http://127.0.0.1:${API_PORT}`, () => ({
      method: 'POST',
      path: '/api/media/analyze',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: `Bench ${crypto.randomUUID()}`,
        media_url: 'https://media.example.com/new.mp4',
        options: { extract_frames: true },
      }),
    }));
  } finally {
    await stopChild(api);
    await stopChild(uncached);
    await stopChild(baseline);
    await database.stop();
  }

  // Targets are judged on the uncached numbers (the cache would flatter them).
  const ratio = results.get_status_uncached!.rps / results.baseline_pk_select!.rps;
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memory_gb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    settings: {
      rows: ROWS,
      tenants: TENANTS,
      rows_for_bench_tenant: tenantRows,
      seconds_per_scenario: SECONDS,
      connections: CONNECTIONS,
      pool_max: POOL_MAX,
      api_log_level: 'warn',
      database: database.source,
    },
    seed_seconds: Math.round(seedSeconds),
    results,
    targets: {
      status_uncached_vs_baseline: { target: '>= 0.8', measured: round(ratio, 2), pass: ratio >= 0.8 },
      post_analyze_rps: {
        target: '>= 1500',
        measured: results.post_analyze!.rps,
        pass: results.post_analyze!.rps >= 1500,
      },
      post_analyze_p99_ms: {
        target: '< 50',
        measured: results.post_analyze!.p99_ms,
        pass: results.post_analyze!.p99_ms < 50,
      },
      history_uncached_p99_ms: {
        target: '< 50',
        measured: results.get_history_filtered_uncached!.p99_ms,
        pass: results.get_history_filtered_uncached!.p99_ms < 50,
      },
    },
  };
  await fs.mkdir(RESULTS_DIR, { recursive: true });
  const md = [
    `# HTTP load benchmark — ${report.date}`,
    '',
    `${report.machine.cpus} CPU (${report.machine.model}), Node ${report.machine.node}; ${ROWS.toLocaleString()} analyses seeded (${tenantRows.toLocaleString()} for the benchmark tenant); ${CONNECTIONS} connections, ${SECONDS} s per scenario; API at LOG_LEVEL=warn.`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | errors | non-2xx |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(results).map(
      ([k, r]) => `| ${k} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} | ${r.non2xx} |`,
    ),
    '',
    '| target | measured | pass |',
    '|---|---:|:---:|',
    ...Object.entries(report.targets).map(
      ([k, v]) => `| ${k} ${v.target} | ${v.measured} | ${v.pass ? 'yes' : 'NO'} |`,
    ),
    '',
  ].join('\n');
  writeBenchResults('http-load', report, md);
  process.stdout.write(md + '\n');
}

function load(name: string, url: string, next: () => ScenarioRequest): Promise<Summary> {
  return loadScenario(name, url, next, { seconds: SECONDS, connections: CONNECTIONS });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
