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
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../src/persistence/embedded-postgres.ts';
import { createDatabase } from '../src/persistence/database.ts';
import { migrateToLatest } from '../src/persistence/migrator.ts';
import { loadConfig } from '../src/config/config.ts';
import { ApiKeyService } from '../src/domain/tenant/api-key.service.ts';
import type { Kysely } from 'kysely';

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
  let stopEmbedded: (() => Promise<void>) | null = null;
  let baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    const h = await startEmbeddedPostgres({
      dataDir: path.resolve('data/bench-pg'),
      port: 54349,
      database: 'postgres',
    });
    baseUrl = h.connectionString;
    stopEmbedded = h.stop;
  }
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS ma_bench WITH (FORCE)');
  await admin.query('CREATE DATABASE ma_bench');
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = '/ma_bench';
  const url = u.toString();

  const cfg = loadConfig({});
  const handle = createDatabase(url, { ...cfg.database, poolMax: 4, statementTimeoutMs: 3_600_000 });
  await migrateToLatest(handle.db as unknown as Kysely<unknown>, handle.pool);
  const keys = new ApiKeyService(handle.db);
  const { key } = await keys.create('tenant-0', 'bench');

  log(`seeding ${ROWS.toLocaleString()} analyses across ${TENANTS} tenants…`);
  const seedStart = performance.now();
  // Bulk seeding bypasses the per-row counter trigger (one transaction updating the
  // same counter rows a million times is slow) and backfills the counters after.
  await handle.pool.query('ALTER TABLE media_analysis_requests DISABLE TRIGGER media_analysis_requests_counts_insert');
  await handle.pool.query(`
    INSERT INTO media_analysis_requests
      (id, correlation_id, prompt, prompt_hash, source_url, media_type, status, progress, tenant_id, created_at, updated_at,
       started_at, completed_at, results, error_code, error_message)
    SELECT gen_random_uuid(), 'seed-' || g, 'Describe the scene ' || g, md5(g::text) || md5((g + 1)::text),
           'https://media.example.com/' || g || '.mp4',
           (ARRAY['video','audio','image','document'])[1 + g % 4],
           s.status,
           CASE WHEN s.status = 'completed' THEN 100 WHEN s.status = 'processing' THEN 50 ELSE 0 END,
           'tenant-' || (g % ${TENANTS}),
           ts, ts + interval '30 seconds',
           CASE WHEN s.status IN ('processing','completed','failed') THEN ts + interval '1 second' END,
           CASE WHEN s.status IN ('completed','failed') THEN ts + interval '30 seconds' END,
           CASE WHEN s.status = 'completed' THEN jsonb_build_object('summary', 'video/mp4 · 12.0 s', 'probe', jsonb_build_object('duration_seconds', 12.0)) END,
           CASE WHEN s.status = 'failed' THEN 'MEDIA_CORRUPT' END,
           CASE WHEN s.status = 'failed' THEN 'corrupt' END
    FROM generate_series(1, ${ROWS}) AS g,
         LATERAL (SELECT now() - (g::double precision / ${ROWS}) * interval '90 days' AS ts) t,
         LATERAL (SELECT (ARRAY['completed','completed','completed','completed','completed','completed','failed','pending','processing','cancelled'])[1 + (g / 7) % 10] AS status) s`);
  await handle.pool.query('ALTER TABLE media_analysis_requests ENABLE TRIGGER media_analysis_requests_counts_insert');
  await handle.pool.query(`INSERT INTO analysis_counts (tenant_id, status, media_type, slot, n)
    SELECT tenant_id, status, media_type, 0, count(*) FROM media_analysis_requests GROUP BY 1, 2, 3`);
  await handle.pool.query('VACUUM ANALYZE media_analysis_requests');
  // Flush the seed's dirty pages now, so a checkpoint does not land inside a scenario.
  await handle.pool.query('CHECKPOINT');
  const seedSeconds = (performance.now() - seedStart) / 1000;
  log(`seeded in ${seedSeconds.toFixed(1)} s`);
  const ids = (
    await handle.pool.query<{ id: string }>(
      `SELECT id FROM media_analysis_requests WHERE tenant_id = 'tenant-0' ORDER BY random() LIMIT 2000`,
    )
  ).rows.map((r) => r.id);
  const tenantRows = Number(
    (await handle.pool.query(`SELECT count(*) AS n FROM media_analysis_requests WHERE tenant_id = 'tenant-0'`)).rows[0]
      .n,
  );
  await handle.close();

  // Rate limiting is off: the load generator is one API key on purpose.
  const env = {
    ...process.env,
    DATABASE_URL: url,
    DATABASE_POOL_MAX: String(POOL_MAX),
    LOG_LEVEL: 'warn',
    WORKER_IN_PROCESS: 'false',
    RATE_LIMIT_MAX: '0',
    DATA_DIR: path.resolve('data/bench-data'),
  };
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
    if (stopEmbedded) await stopEmbedded();
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
      database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
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
  await fs.writeFile(path.join(RESULTS_DIR, 'http-load.json'), JSON.stringify(report, null, 2) + '\n');
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
  await fs.writeFile(path.join(RESULTS_DIR, 'http-load.md'), md);
  process.stdout.write(md + '\n');
}

interface Summary {
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

function round(n: number, d = 1): number {
  return Math.round(n * 10 ** d) / 10 ** d;
}

function log(msg: string) {
  process.stdout.write(`[bench] ${msg}\n`);
}

async function load(
  name: string,
  url: string,
  next: () => { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string },
): Promise<Summary> {
  log(`${name}: ${SECONDS} s, ${CONNECTIONS} connections`);
  // Warm-up: JIT, pool connections, caches.
  await autocannon({
    url,
    connections: CONNECTIONS,
    duration: 2,
    requests: [{ setupRequest: (req) => ({ ...req, ...next() }) as typeof req }],
  });
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [{ setupRequest: (req) => ({ ...req, ...next() }) as typeof req }],
  });
  const s: Summary = {
    rps: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p90_ms: r.latency.p90,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
  log(`  ${s.rps} req/s, p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms, non-2xx ${s.non2xx}`);
  return s;
}

async function startChild(args: string[], env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status < 500,
      () => false,
    );
    const okBaseline =
      ok ||
      (await fetch(`http://127.0.0.1:${port}/baseline/00000000-0000-4000-8000-000000000000`).then(
        () => true,
        () => false,
      ));
    if (okBaseline) return child;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${args.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
