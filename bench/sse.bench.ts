/**
 * Live events at scale: STREAMS concurrent Server-Sent Events streams
 * (`GET /api/media/{id}/events`, API-key authenticated) on one `media-analysis api`
 * process, STREAMS / PER_ANALYSIS analyses with PER_ANALYSIS streams each.
 *
 * The streams are held by a separate client process (this file run with `client`: raw
 * node:http, a small SSE parser) so the client's CPU does not count as the server's. The
 * bench drives each analysis through start, 9 progress updates and completion directly
 * through the domain (`applyTransition` / `updateWhileProcessing`, no media processed).
 * Latency: the event row's created_at (its transaction's start, so slightly pessimistic)
 * → receipt in the client, same clock. Memory: the API process's RSS before the streams
 * and with all of them open.
 * Check beside it: every stream received exactly the analysis's events from the table,
 * in id order, no gaps, no repeats, and ended after `completed`.
 *
 * Usage: npm run bench:sse   (DATABASE_URL required; BENCH_STREAMS, BENCH_PER_ANALYSIS)
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { createTestDatabase } from '../test/helpers/db.ts';
import { startService, waitHealthy, type ServiceProcess } from '../test/helpers/fleet.ts';
import { freePort } from '../test/helpers/net.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { ApiKeyService } from '../src/domain/tenant/api-key.service.ts';
import { applyTransition } from '../src/domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../src/persistence/analysis.repository.ts';
import type { Actor } from '../src/contract/analysis.types.ts';
import { describeMachine, machineFacts } from './helpers/machine.ts';
import { repositories } from '../src/persistence/repositories.ts';
import { writeBenchResults } from './helpers/provenance.ts';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const PER_ANALYSIS = Number(process.env.BENCH_PER_ANALYSIS ?? 5);
/** Analysis changes per second the bench commits (each fans out to PER_ANALYSIS streams). */
const CHANGES_PER_SECOND = 200;
const TENANT = 'bench-sse';
const RESULTS_DIR = path.resolve('bench/results');
const actor: Actor = { id: 'bench', ip: null, correlationId: null };
const log = (m: string) => process.stdout.write(`[bench:sse] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** What the client reports per stream: [event id, event type, received at ms]. */
type StreamLog = { analysisId: string; status: number; ended: boolean; events: Array<[number, string, number]> };
type ClientMsg = { kind: 'open'; failed: number } | { kind: 'done'; streams: StreamLog[] };

/** The client process: open every stream, report once all are open, then once all ended. */
function client(): void {
  const { base, key, ids, per } = JSON.parse(process.argv[3]!) as {
    base: string;
    key: string;
    ids: string[];
    per: number;
  };
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const streams: StreamLog[] = [];
  let opened = 0;
  let ended = 0;
  const total = ids.length * per;
  const settle = () => {
    if (++ended === total) process.send!({ kind: 'done', streams } satisfies ClientMsg);
  };
  for (const id of ids)
    for (let k = 0; k < per; k++) {
      const s: StreamLog = { analysisId: id, status: 0, ended: false, events: [] };
      streams.push(s);
      const req = http.get(`${base}/api/media/${id}/events`, { agent, headers: { authorization: `Bearer ${key}` } });
      req.on('response', (res) => {
        s.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        let buf = '';
        let first = true;
        res.on('data', (chunk: string) => {
          const at = Date.now();
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const idLine = /^id: (\d+)$/m.exec(block);
            const ev = /^event: (\S+)$/m.exec(block);
            if (!idLine || !ev) continue;
            s.events.push([Number(idLine[1]), ev[1]!, at]);
            if (first) {
              first = false;
              if (++opened === total) process.send!({ kind: 'open', failed: 0 } satisfies ClientMsg);
            }
          }
        });
        res.on('end', () => {
          s.ended = true;
          settle();
        });
      });
      req.on('error', () => settle());
    }
}

async function rssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function main() {
  const machine = machineFacts();
  const db = await createTestDatabase({ poolMax: 4 });
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-sse-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let api: ServiceProcess | undefined;
  try {
    const { key } = await new ApiKeyService(db.db, repositories).create(TENANT, 'bench');
    const analyses = new AnalysisService(db.db, repositories, { maxJobAttempts: 3, idempotencyTtlHours: 1 });
    const ids: string[] = [];
    for (let i = 0; i < STREAMS / PER_ANALYSIS; i++) {
      const a = await analyses.create(
        {
          tenantId: TENANT,
          prompt: `sse ${i}`,
          sourceUrl: 'https://example.com/a.mp4',
          upload: null,
          mediaType: 'video',
          config: {},
          options: {},
          metadata: {},
          correlationId: `sse-${i}`,
        },
        actor,
      );
      ids.push(a.id);
    }
    api = startService('api', {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      DATA_DIR: root,
      STORAGE_ROOT: path.join(root, 'storage'),
      RATE_LIMIT_MAX: '0',
      CACHE_ENABLED: 'false',
      // One tenant holds every stream here; its default limit (20) is what a tenant gets in production.
      SSE_MAX_STREAMS_PER_TENANT: String(STREAMS),
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    await waitHealthy(api, `${base}/health`, 120_000);
    // Warm the route once (auth, schema compilation) before the baseline RSS.
    const warm = await fetch(`${base}/api/media/status/${ids[0]}`, { headers: { authorization: `Bearer ${key}` } });
    if (!warm.ok) throw new Error(`status: ${warm.status}`);
    await sleep(2000);
    const rssBefore = await rssMb(api.child.pid!);

    log(`opening ${STREAMS} streams on ${ids.length} analyses`);
    const child = fork(import.meta.filename, ['client', JSON.stringify({ base, key, ids, per: PER_ANALYSIS })]);
    const next = () => new Promise<ClientMsg>((resolve) => child.once('message', (m) => resolve(m as ClientMsg)));
    const t0 = Date.now();
    const opened = await Promise.race([next(), sleep(120_000).then(() => null)]);
    if (!opened || opened.kind !== 'open') throw new Error('the streams did not all open within 120 s');
    const openMs = Date.now() - t0;
    await sleep(2000);
    const rssOpen = await rssMb(api.child.pid!);
    log(`all open in ${openMs} ms; RSS ${rssBefore.toFixed(1)} → ${rssOpen.toFixed(1)} MB`);

    const done = next();
    const steps: Array<(id: string) => Promise<void>> = [
      async (id) => void (await move(id, 'start')),
      ...[10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => async (id: string) => {
        if (!(await analysisRepository.updateWhileProcessing(db.db, id, { progress: p }))) throw new Error('progress');
      }),
      async (id) => void (await move(id, 'complete')),
    ];
    async function move(id: string, name: 'start' | 'complete') {
      const current = (await analysisRepository.findById(db.db, id))!;
      const patch =
        name === 'start'
          ? { started_at: new Date() }
          : { progress: 100, results: JSON.stringify({ summary: 'ok' }), completed_at: new Date() };
      const next = await db.db
        .transaction()
        .execute((trx) => applyTransition(repositories, trx, current, name, patch, actor));
      if (!next) throw new Error(`${name} lost a race`);
    }
    log(`driving ${steps.length} changes × ${ids.length} analyses at ${CHANGES_PER_SECOND}/s`);
    const d0 = Date.now();
    let n = 0;
    for (const step of steps)
      for (const id of ids) {
        const wait = d0 + (n++ * 1000) / CHANGES_PER_SECOND - Date.now();
        if (wait > 0) await sleep(wait);
        await step(id);
      }
    const driveMs = Date.now() - d0;
    const finished = await Promise.race([done, sleep(120_000).then(() => null)]);
    if (!finished || finished.kind !== 'done') throw new Error('the streams did not all end within 120 s');
    await sleep(2000);
    const rssAfter = await rssMb(api.child.pid!);

    const rows = await db.pool.query<{ id: string; analysis_id: string; created_ms: number }>(
      `SELECT id, analysis_id, extract(epoch FROM created_at)::float8 * 1000 AS created_ms
       FROM analysis_events WHERE analysis_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    );
    const expected = new Map<string, number[]>();
    const created = new Map<number, number>();
    for (const r of rows.rows) {
      expected.set(r.analysis_id, [...(expected.get(r.analysis_id) ?? []), Number(r.id)]);
      created.set(Number(r.id), r.created_ms);
    }
    const latencies: number[] = [];
    let exact = 0;
    let notOk = 0;
    for (const s of finished.streams) {
      // The first event is the snapshot of the current status (id 0: nothing happened yet).
      const [snapshot, ...live] = s.events;
      const got = live.map((e) => e[0]);
      const want = (expected.get(s.analysisId) ?? []).filter((id) => id > (snapshot?.[0] ?? 0));
      const same = s.status === 200 && s.ended && got.length === want.length && got.every((id, i) => id === want[i]);
      if (same && live[live.length - 1]?.[1] === 'completed') exact++;
      else notOk++;
      for (const [id, , at] of live) latencies.push(at - created.get(id)!);
    }
    latencies.sort((a, b) => a - b);
    const facts = machine.finish();
    const result = {
      machine: facts,
      setup: {
        streams: STREAMS,
        analyses: ids.length,
        streams_per_analysis: PER_ANALYSIS,
        events_per_analysis: steps.length,
        changes_per_second: CHANGES_PER_SECOND,
        drive_ms: driveMs,
        changes_via: 'applyTransition / updateWhileProcessing (no media processed)',
      },
      open_all_ms: openMs,
      latency: {
        events_received: latencies.length,
        p50_ms: Math.round(pct(latencies, 50)),
        p99_ms: Math.round(pct(latencies, 99)),
        max_ms: Math.round(latencies[latencies.length - 1]!),
        target_p99_ms: 250,
      },
      memory: {
        rss_before_mb: Math.round(rssBefore * 10) / 10,
        rss_open_mb: Math.round(rssOpen * 10) / 10,
        rss_after_end_mb: Math.round(rssAfter * 10) / 10,
        kb_per_stream: Math.round(((rssOpen - rssBefore) * 1024) / STREAMS),
      },
      checks: { streams_exact: exact, streams_wrong: notOk, events_expected: rows.rows.length * PER_ANALYSIS },
    };
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    const L = result.latency;
    const M = result.memory;
    const md = [
      '# Live events (SSE)',
      '',
      describeMachine(facts),
      '',
      `${STREAMS} concurrent \`GET /api/media/{id}/events\` streams on one API process (${ids.length} analyses ×`,
      `${PER_ANALYSIS} streams), held by a separate client process; all open in ${openMs} ms. Each analysis went`,
      `through start, 9 progress updates and completion (${steps.length} events) via the domain (no media processed),`,
      `${CHANGES_PER_SECOND} changes/s, ${driveMs} ms in all.`,
      '',
      `Event latency, event row created_at → client receipt, ${L.events_received} events: p50 ${L.p50_ms} ms,`,
      `p99 ${L.p99_ms} ms, max ${L.max_ms} ms (target p99 < 250 ms: ${L.p99_ms < 250 ? 'met' : '**missed**'}).`,
      '',
      `API RSS: ${M.rss_before_mb} MB before, ${M.rss_open_mb} MB with ${STREAMS} streams open`,
      `(${M.kb_per_stream} KB per stream), ${M.rss_after_end_mb} MB after they ended.`,
      '',
      `Check: ${exact}/${STREAMS} streams received exactly their analysis's events from the table, in id order,`,
      `no gaps or repeats, ending with \`completed\` (${notOk} not).`,
      '',
    ].join('\n');
    writeBenchResults('sse', result, md);
    process.stdout.write(md);
    child.kill();
  } finally {
    await api?.stop();
    await db.drop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'client') client();
else
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
