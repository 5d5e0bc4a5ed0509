/**
 * Pieces shared by the HTTP load benchmarks (bench/http-load.bench.ts, the performance
 * guard bench/guard.bench.ts): a fresh benchmark database (embedded PostgreSQL when
 * DATABASE_URL is unset), a bulk seed of analyses, the API and the bare baseline server
 * as child processes, and one autocannon scenario with its correctness counters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import autocannon from 'autocannon';
import type { Kysely } from 'kysely';
import { startEmbeddedPostgres } from '../../src/persistence/embedded-postgres.ts';
import { createDatabase } from '../../src/persistence/database.ts';
import { migrateToLatest } from '../../src/persistence/migrator.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ApiKeyService } from '../../src/domain/tenant/api-key.service.ts';
import { repositories } from '../../src/persistence/repositories.ts';

export function log(msg: string): void {
  process.stdout.write(`[bench] ${msg}\n`);
}

export function round(n: number, d = 1): number {
  return Math.round(n * 10 ** d) / 10 ** d;
}

export interface Latency {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  n: number;
}

/** Nearest-rank percentiles of a run's request times, in ms to one decimal. */
export function latency(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => round(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0, 1);
  return { p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), max_ms: round(s[s.length - 1] ?? 0, 1), n: s.length };
}

export interface BenchDatabase {
  /** Connection string of the fresh, migrated benchmark database. */
  url: string;
  /** An admin API key of tenant-0 (the tenant the scenarios read). */
  key: string;
  /** 'DATABASE_URL' or 'embedded': where the database runs. */
  source: 'DATABASE_URL' | 'embedded';
  /** Stops the embedded PostgreSQL, if this run started one. */
  stop(): Promise<void>;
}

/**
 * Drop and create `name` on DATABASE_URL's server (or on an embedded PostgreSQL under
 * `embedded.dataDir` when DATABASE_URL is unset), migrate it, and create tenant-0's key.
 */
export async function freshBenchDatabase(
  name: string,
  embedded: { dataDir: string; port: number },
): Promise<BenchDatabase> {
  let stop = async () => {};
  let baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    const h = await startEmbeddedPostgres({
      dataDir: path.resolve(embedded.dataDir),
      port: embedded.port,
      database: 'postgres',
    });
    baseUrl = h.connectionString;
    stop = h.stop;
  }
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const cfg = loadConfig({});
  const handle = createDatabase(url, { ...cfg.database, poolMax: 4, statementTimeoutMs: 3_600_000 });
  try {
    await migrateToLatest(handle.db as unknown as Kysely<unknown>, handle.pool);
    const { key } = await new ApiKeyService(handle.db, repositories).create('tenant-0', 'bench');
    return { url, key, source: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded', stop };
  } finally {
    await handle.close();
  }
}

/**
 * Bulk-insert `rows` analyses across `tenants` tenants (90 days of history, mixed
 * statuses and media types), backfill the counters, VACUUM ANALYZE and CHECKPOINT.
 * Returns up to `sample` random ids of tenant-0 for the status scenarios.
 */
export async function seedAnalyses(url: string, rows: number, tenants: number, sample = 2000): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    // Bulk seeding bypasses the per-row counter trigger (one transaction updating the
    // same counter rows a million times is slow) and backfills the counters after.
    await pool.query('ALTER TABLE media_analysis_requests DISABLE TRIGGER media_analysis_requests_counts_insert');
    await pool.query(`
    INSERT INTO media_analysis_requests
      (id, correlation_id, prompt, prompt_hash, source_url, media_type, status, progress, tenant_id, created_at, updated_at,
       started_at, completed_at, results, error_code, error_message)
    SELECT gen_random_uuid(), 'seed-' || g, 'Describe the scene ' || g, md5(g::text) || md5((g + 1)::text),
           'https://media.example.com/' || g || '.mp4',
           (ARRAY['video','audio','image','document'])[1 + g % 4],
           s.status,
           CASE WHEN s.status = 'completed' THEN 100 WHEN s.status = 'processing' THEN 50 ELSE 0 END,
           'tenant-' || (g % ${tenants}),
           ts, ts + interval '30 seconds',
           CASE WHEN s.status IN ('processing','completed','failed') THEN ts + interval '1 second' END,
           CASE WHEN s.status IN ('completed','failed') THEN ts + interval '30 seconds' END,
           CASE WHEN s.status = 'completed' THEN jsonb_build_object('summary', 'video/mp4 · 12.0 s', 'probe', jsonb_build_object('duration_seconds', 12.0)) END,
           CASE WHEN s.status = 'failed' THEN 'MEDIA_CORRUPT' END,
           CASE WHEN s.status = 'failed' THEN 'corrupt' END
    FROM generate_series(1, ${rows}) AS g,
         LATERAL (SELECT now() - (g::double precision / ${rows}) * interval '90 days' AS ts) t,
         LATERAL (SELECT (ARRAY['completed','completed','completed','completed','completed','completed','failed','pending','processing','cancelled'])[1 + (g / 7) % 10] AS status) s`);
    await pool.query('ALTER TABLE media_analysis_requests ENABLE TRIGGER media_analysis_requests_counts_insert');
    await pool.query(`INSERT INTO analysis_counts (tenant_id, status, media_type, slot, n)
    SELECT tenant_id, status, media_type, 0, count(*) FROM media_analysis_requests GROUP BY 1, 2, 3`);
    await pool.query('VACUUM ANALYZE media_analysis_requests');
    // Flush the seed's dirty pages now, so a checkpoint does not land inside a scenario.
    await pool.query('CHECKPOINT');
    const r = await pool.query<{ id: string }>(
      `SELECT id FROM media_analysis_requests WHERE tenant_id = 'tenant-0' ORDER BY random() LIMIT ${sample}`,
    );
    return r.rows.map((x) => x.id);
  } finally {
    await pool.end();
  }
}

/** Environment of the API and baseline children: warn-level logs, no rate limit, no worker. */
export function serverEnv(url: string, poolMax: number, dataDir: string): NodeJS.ProcessEnv {
  // Rate limiting is off: the load generator is one API key on purpose.
  return {
    ...process.env,
    DATABASE_URL: url,
    DATABASE_POOL_MAX: String(poolMax),
    LOG_LEVEL: 'warn',
    WORKER_IN_PROCESS: 'false',
    RATE_LIMIT_MAX: '0',
    DATA_DIR: path.resolve(dataDir),
  };
}

/**
 * Start `node <args>` and wait until it answers HTTP on `port` (the API's /health or the
 * baseline's route). The port must be free first: a server left over from an earlier run
 * would answer in the new child's place, and the CPU measured would be the idle child's.
 */
export async function startChild(args: string[], env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const taken = await fetch(`http://127.0.0.1:${port}/`).then(
    () => true,
    () => false,
  );
  if (taken) throw new Error(`port ${port} already answers (a server left over from an earlier run?)`);
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
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} did not start`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export interface Summary {
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** 2xx responses whose body failed the scenario's check (only when a check is given). */
  wrong_bodies?: number;
}

/** One request of a scenario; `expect` (optional) must be found in a 2xx response's body. */
export interface ScenarioRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect?: string;
}

/**
 * A 2 s warm-up (JIT, pool connections, caches), then `seconds` of load with
 * `connections` connections, logged. See `runScenario` for `checkBodies`.
 */
export async function load(
  name: string,
  url: string,
  next: () => ScenarioRequest,
  opts: { seconds: number; connections: number; checkBodies?: boolean },
): Promise<Summary> {
  log(`${name}: ${opts.seconds} s, ${opts.connections} connections`);
  await runScenario(url, next, { ...opts, seconds: 2 });
  const s = await runScenario(url, next, opts);
  log(
    `  ${s.rps} req/s, p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms, non-2xx ${s.non2xx}` +
      (opts.checkBodies ? `, wrong bodies ${s.wrong_bodies}` : ''),
  );
  return s;
}

/**
 * `seconds` of load with `connections` connections, no warm-up, not logged. With
 * `checkBodies`, each 2xx body must contain the request's `expect` string (e.g. the
 * analysis id asked for); misses are counted in `wrong_bodies`.
 */
export async function runScenario(
  url: string,
  next: () => ScenarioRequest,
  opts: { seconds: number; connections: number; checkBodies?: boolean },
): Promise<Summary> {
  let wrong = 0;
  const requests: autocannon.Request[] = [
    {
      setupRequest: (req, context: object) => {
        const { expect, ...r } = next();
        (context as Record<string, unknown>).expect = expect;
        return { ...req, ...r } as typeof req;
      },
      ...(opts.checkBodies
        ? {
            onResponse: (status: number, body: string, context: object) => {
              const expect = (context as Record<string, unknown>).expect as string | undefined;
              if (status < 300 && expect !== undefined && !body.includes(expect)) wrong++;
            },
          }
        : {}),
    },
  ];
  const r = await autocannon({ url, connections: opts.connections, duration: opts.seconds, requests });
  return {
    rps: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p90_ms: r.latency.p90,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    ...(opts.checkBodies ? { wrong_bodies: wrong } : {}),
  };
}
