/**
 * Fault tests with real processes on loopback, bounded in time, with figures:
 *  1. Redis killed under load: status reads and writes keep succeeding.
 *  2. PostgreSQL stopped under load: cached status reads keep answering (stale),
 *     writes get 503 + Retry-After quickly, nothing accepted is lost, and the service
 *     recovers by itself once PostgreSQL is back.
 *  3. SIGTERM under load: in-flight requests finish, the process exits 0, and no
 *     analysis is left stranded in `processing`.
 * Own embedded PostgreSQL and redis-server instances on free ports; the service runs
 * as `media-analysis start`. Results: bench/results/faults.json and faults.md.
 * Usage: npm run bench:faults
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import autocannon from 'autocannon';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../src/persistence/embedded-postgres.ts';
import { freePort } from '../test/helpers/net.ts';
import { writeBenchResults } from './helpers/provenance.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stdout.write(`[bench:faults] ${m}\n`);

async function waitHttp(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer`);
}

interface WriteStats {
  sent: number;
  accepted: string[];
  unavailable: number;
  other: number;
  maxUnavailableMs: number;
}

/** A steady trickle of POST /analyze, recording what happened to each. */
function writer(base: string, key: string, everyMs: number): { stop(): Promise<WriteStats> } {
  const stats: WriteStats = { sent: 0, accepted: [], unavailable: 0, other: 0, maxUnavailableMs: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      stats.sent++;
      try {
        const r = await fetch(`${base}/api/media/analyze`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'fault', media_url: 'http://127.0.0.1:9/never.mp4', options: {} }),
          signal: AbortSignal.timeout(5000),
        });
        const ms = performance.now() - t0;
        if (r.status === 202) stats.accepted.push(((await r.json()) as { analysis_id: string }).analysis_id);
        else if (r.status === 503 && r.headers.get('retry-after')) {
          stats.unavailable++;
          stats.maxUnavailableMs = Math.max(stats.maxUnavailableMs, ms);
          await r.body?.cancel();
        } else {
          stats.other++;
          await r.body?.cancel();
        }
      } catch {
        stats.other++;
      }
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return stats;
    },
  };
}

async function main() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-faults-'));
  await fs.chmod(dir, 0o755);
  const [pgPort, redisPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  let pgh: EmbeddedHandle = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, database: 'postgres' });
  const startRedis = () =>
    spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
  let redis: ChildProcess = startRedis();
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: pgh.connectionString,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORT: String(apiPort),
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    // The writers' media_url is a closed local port: the SSRF guard refuses a private address at
    // submission unless allowed, and no write was ever accepted. The worker's download of it is
    // refused at once and retried with back-off, so few jobs are mid-download at SIGTERM: the
    // drain check covers accepted writes and jobs between tries, not a download under way.
    DOWNLOAD_ALLOW_HOSTS: '127.0.0.1:9',
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    WORKER_POLL_INTERVAL_MS: '200',
    WORKER_HEARTBEAT_INTERVAL_MS: '500',
    WORKER_STALE_AFTER_MS: '3000',
  };
  const serviceLog = await fs.open(path.join(os.tmpdir(), 'ma-faults-service.log'), 'w');
  const startService = () =>
    spawn(process.execPath, ['src/main/cli.ts', 'start'], { env, stdio: ['ignore', serviceLog.fd, serviceLog.fd] });
  let svc = startService();
  const base = `http://127.0.0.1:${apiPort}`;
  await waitHttp(`${base}/health`, 60_000);
  const key = (await fs.readFile(path.join(dir, 'admin-api-key'), 'utf8')).trim();
  const headers = { authorization: `Bearer ${key}` };

  // Analyses to poll: small text uploads that complete quickly.
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const form = new FormData();
    form.set('prompt', `poll ${i}`);
    form.set('file', new Blob([`notes ${i}\n`]), `n${i}.txt`);
    const r = await fetch(`${base}/api/media/analyze`, { method: 'POST', headers, body: form });
    ids.push(((await r.json()) as { analysis_id: string }).analysis_id);
  }
  await sleep(3000);
  for (const id of ids) await fetch(`${base}/api/media/status/${id}`, { headers });
  const reads = (seconds: number) =>
    autocannon({
      url: base,
      connections: 8,
      duration: seconds,
      requests: [
        {
          setupRequest: (req) =>
            ({
              ...req,
              method: 'GET',
              path: `/api/media/status/${ids[Math.floor(Math.random() * ids.length)]}`,
              headers,
            }) as typeof req,
        },
      ],
    });
  const results: Record<string, unknown> = {};

  // 1. Redis killed under load.
  log('1/3 Redis killed under load');
  {
    const w = writer(base, key, 50);
    const load = reads(8);
    await sleep(3000);
    redis.kill('SIGKILL');
    const r = await load;
    const ws = await w.stop();
    results.redis_killed = {
      reads: r.requests.total,
      read_non2xx: r.non2xx,
      read_errors: r.errors + r.timeouts,
      read_p99_ms: r.latency.p99,
      writes: ws.sent,
      writes_accepted: ws.accepted.length,
      writes_failed: ws.unavailable + ws.other,
    };
    log(`  ${JSON.stringify(results.redis_killed)}`);
    redis = startRedis();
  }

  // 2. PostgreSQL stopped under load, then started again.
  log('2/3 PostgreSQL stopped under load');
  {
    const w = writer(base, key, 50);
    const load = reads(10);
    await sleep(2000);
    await pgh.stop();
    const stoppedAt = performance.now();
    await sleep(4000);
    pgh = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, database: 'postgres' });
    const restartedAt = performance.now();
    let recoveredMs: number | null = null;
    while (recoveredMs === null && performance.now() - restartedAt < 30_000) {
      const status = await fetch(`${base}/api/media/analyze`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'probe', media_url: 'http://127.0.0.1:9/x.mp4' }),
      }).then(
        async (r) => {
          await r.body?.cancel();
          return r.status;
        },
        () => 0,
      );
      if (status === 202) recoveredMs = Math.round(performance.now() - restartedAt);
      else await sleep(100);
    }
    const r = await load;
    const ws = await w.stop();
    if (svc.exitCode !== null)
      throw new Error(
        `the service exited (${svc.exitCode}) during the outage; see ${path.join(os.tmpdir(), 'ma-faults-service.log')}`,
      );
    const c = new pg.Client({ connectionString: pgh.connectionString });
    await c.connect();
    const found = await c.query('SELECT count(*)::int AS n FROM media_analysis_requests WHERE id = ANY($1::uuid[])', [
      ws.accepted,
    ]);
    await c.end();
    results.postgres_stopped = {
      outage_ms: Math.round(restartedAt - stoppedAt),
      reads: r.requests.total,
      read_non2xx: r.non2xx,
      read_errors: r.errors + r.timeouts,
      writes: ws.sent,
      writes_accepted: ws.accepted.length,
      writes_503_with_retry_after: ws.unavailable,
      writes_other_failures: ws.other,
      slowest_503_ms: Math.round(ws.maxUnavailableMs),
      accepted_rows_found_after: found.rows[0].n,
      recovered_ms_after_restart: recoveredMs,
    };
    log(`  ${JSON.stringify(results.postgres_stopped)}`);
  }

  // 3. SIGTERM under load.
  log('3/3 SIGTERM under load');
  {
    const w = writer(base, key, 20);
    const load = reads(4);
    await sleep(1500);
    const exited = new Promise<number | null>((resolve) => svc.on('exit', (code) => resolve(code)));
    const t0 = performance.now();
    svc.kill('SIGTERM');
    const code = await exited;
    const drainMs = Math.round(performance.now() - t0);
    const r = await load;
    const ws = await w.stop();
    svc = startService();
    await waitHttp(`${base}/health`, 60_000);
    // Give the new process's sweeper time to release the old process's job locks.
    await sleep(6000);
    const c = new pg.Client({ connectionString: pgh.connectionString });
    await c.connect();
    const stuck = await c.query(
      `SELECT count(*)::int AS n FROM media_analysis_requests WHERE status = 'processing' AND updated_at < now() - interval '2 seconds'`,
    );
    const lost = await c.query('SELECT count(*)::int AS n FROM media_analysis_requests WHERE id = ANY($1::uuid[])', [
      ws.accepted,
    ]);
    await c.end();
    results.sigterm = {
      exit_code: code,
      drain_ms: drainMs,
      reads_completed: r.requests.total,
      read_non2xx: r.non2xx,
      writes_accepted: ws.accepted.length,
      accepted_rows_found_after: lost.rows[0].n,
      stranded_processing_after_restart: stuck.rows[0].n,
    };
    log(`  ${JSON.stringify(results.sigterm)}`);
  }

  svc.kill('SIGTERM');
  await new Promise((r) => svc.on('exit', r));
  redis.kill('SIGKILL');
  await pgh.stop();
  await fs.rm(dir, { recursive: true, force: true });

  // A fault test whose writes were never accepted tests nothing: each outcome is checked.
  const r = results as Record<string, Record<string, number | null>>;
  const checks = [
    { check: 'writes accepted with Redis killed', pass: Number(r.redis_killed!.writes_accepted) > 0 },
    {
      check: 'every write accepted around the PostgreSQL outage is stored',
      pass:
        Number(r.postgres_stopped!.writes_accepted) > 0 &&
        r.postgres_stopped!.accepted_rows_found_after === r.postgres_stopped!.writes_accepted,
    },
    {
      check: 'writes accepted again after PostgreSQL restarts',
      pass: r.postgres_stopped!.recovered_ms_after_restart !== null,
    },
    {
      check: 'every write accepted before SIGTERM is stored, none left processing',
      pass:
        Number(r.sigterm!.writes_accepted) > 0 &&
        r.sigterm!.accepted_rows_found_after === r.sigterm!.writes_accepted &&
        r.sigterm!.stranded_processing_after_restart === 0,
    },
  ];
  const report = { date: new Date().toISOString(), results, checks };
  await fs.mkdir('bench/results', { recursive: true });
  const md = [
    '# Fault tests — ' + report.date,
    '',
    ...Object.entries(results).map(
      ([k, v]) =>
        `- **${k}**: ${Object.entries(v as Record<string, unknown>)
          .map(([a, b]) => `${a} ${b}`)
          .join(', ')}`,
    ),
    '',
    '| check | pass |',
    '|---|:---:|',
    ...checks.map((c) => `| ${c.check} | ${c.pass ? 'yes' : 'NO'} |`),
    '',
  ].join('\n');
  writeBenchResults('faults', report, md);
  process.stdout.write(md);
  if (checks.some((c) => !c.pass)) throw new Error('a fault check failed (see bench/results/faults.md)');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
