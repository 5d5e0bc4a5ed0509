/**
 * Webhook fan-out with real processes: COMPLETIONS analysis completions of one tenant,
 * each delivered to its 3 endpoints, three paths of one real local receiver (one host, as
 * endpoints at one provider share it): healthy (204 at once), slow (answers after 2 s) and
 * flaky (500 for the first FLAKY_SECONDS, then 204).
 *
 * The completions are moved to `completed` directly through the domain (`applyTransition`
 * in a transaction, as the worker does), not by running media: the trigger writes the
 * outbox rows in that transaction. Two `media-analysis worker` processes relay them (their
 * analysis jobs are parked a day ahead, so the workers run only the webhook dispatcher);
 * halfway one is killed with SIGKILL and a replacement started.
 *
 * Checks beside the figures: every (endpoint, analysis) pair answered 2xx at least once;
 * repeated requests of a pair all carry one `webhook-id`; every body verifies with the
 * `standardwebhooks` verifier and the endpoint's secret.
 * Latency: the delivery row's created_at (the completion's transaction; now() is its
 * start, so slightly pessimistic) → receipt at the healthy receiver, same clock.
 *
 * Usage: npm run bench:webhooks   (DATABASE_URL required; BENCH_COMPLETIONS, BENCH_RATE)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createTestDatabase } from '../test/helpers/db.ts';
import { startReceiver } from '../test/helpers/webhook-receiver.ts';
import { startService, waitForOutput, type ServiceProcess } from '../test/helpers/fleet.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { applyTransition } from '../src/domain/analysis/analysis.transition.ts';
import { WebhookService } from '../src/domain/webhook/webhook.service.ts';
import { createWebhookSender } from '../src/net/webhook-sender.ts';
import type { Actor, Analysis } from '../src/contract/analysis.types.ts';
import { describeMachine, machineFacts } from './helpers/machine.ts';
import { repositories } from '../src/persistence/repositories.ts';
import { writeBenchResults } from './helpers/provenance.ts';

const N = Number(process.env.BENCH_COMPLETIONS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 50); // completions per second
const FLAKY_SECONDS = 20;
const SLOW_MS = 2000;
const SCHEDULE = '1s,2s,4s,8s,8s,8s,8s,8s';
const TENANT = 'bench-webhooks';
const RESULTS_DIR = path.resolve('bench/results');
/** Another rate gets its own results file, so the default run's stays. */
const NAME = process.env.BENCH_RATE ? `webhooks-${RATE}ps` : 'webhooks';
const actor: Actor = { id: 'bench', ip: null, correlationId: null };
const log = (m: string) => process.stdout.write(`[bench:webhooks] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

interface Receipt {
  path: string;
  status: number;
  webhookId: string;
  analysisId: string;
  at: number;
}

async function main() {
  const machine = machineFacts();
  const db = await createTestDatabase({ poolMax: 4 });
  const receiver = await startReceiver();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-webhooks-'));
  const sender = createWebhookSender({ allowHosts: ['127.0.0.1'], timeoutMs: 5000, maxResponseBytes: 2048 });
  const procs: ServiceProcess[] = [];
  try {
    const receipts: Receipt[] = [];
    let flakyUntil = Infinity;
    const record = (status: number) => (r: { path: string; headers: Record<string, string>; body: string }) => {
      const data = (JSON.parse(r.body) as { data: { analysis_id: string } }).data;
      receipts.push({ path: r.path, status, webhookId: r.headers['webhook-id']!, analysisId: data.analysis_id, at: 0 });
    };
    receiver.on('/healthy', (r) => (record(204)(r), { status: 204 }));
    receiver.on('/slow', (r) => (record(204)(r), { status: 204, delayMs: SLOW_MS }));
    receiver.on('/flaky', (r) => {
      const status = Date.now() < flakyUntil ? 500 : 204;
      record(status)(r);
      return { status };
    });

    const webhooks = new WebhookService({
      db: db.db,
      repositories,
      checkAddress: sender.checkAddress,
      send: sender.send,
      rotationGraceSeconds: 3600,
      leaseSeconds: 20,
    });
    const endpoints = new Map<string, { id: string; secret: string }>();
    for (const p of ['/healthy', '/slow', '/flaky']) {
      const { endpoint, secret } = await webhooks.create(TENANT, { url: receiver.url(p) });
      endpoints.set(p, { id: endpoint.id, secret });
    }

    log(`creating and starting ${N} analyses`);
    const analyses = new AnalysisService(db.db, repositories, { maxJobAttempts: 3, idempotencyTtlHours: 1 });
    const ids: string[] = [];
    const started = new Map<string, Analysis>();
    const input = {
      tenantId: TENANT,
      sourceUrl: 'https://example.com/a.mp4',
      upload: null,
      mediaType: 'video' as const,
    };
    for (let i = 0; i < N; i++) {
      const more = { prompt: `bench ${i}`, config: {}, options: {}, metadata: {}, correlationId: `wh-${i}` };
      const a = await analyses.create({ ...input, ...more }, actor);
      const s = await db.db
        .transaction()
        .execute((trx) => applyTransition(repositories, trx, a, 'start', { started_at: new Date() }, actor));
      ids.push(a.id);
      started.set(a.id, s!);
    }
    // The workers must run only the dispatcher: the analysis jobs wait a day (they stay, so
    // the reconciler does not take the processing rows for stranded ones either).
    await db.pool.query(`UPDATE graphile_worker._private_jobs SET run_at = now() + interval '1 day'`);

    const env = (k: number): NodeJS.ProcessEnv => ({
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      DATA_DIR: path.join(root, `w${k}`),
      STORAGE_ROOT: path.join(root, 'storage'),
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: SCHEDULE,
      WEBHOOK_TIMEOUT_MS: '5000',
      WEBHOOK_POLL_INTERVAL_MS: '200',
    });
    const worker = async (k: number) => {
      const w = startService('worker', env(k));
      procs.push(w);
      await waitForOutput(w, /worker started/, 120_000);
      return w;
    };
    const first = await Promise.all([worker(0), worker(1)]);
    await sleep(1000); // the dispatchers' LISTEN connections

    log(`completing ${N} analyses at ${RATE}/s; ${FLAKY_SECONDS} s of 500s from /flaky`);
    const t0 = Date.now();
    flakyUntil = t0 + FLAKY_SECONDS * 1000;
    let killedAt = 0;
    let replacement: Promise<ServiceProcess> | undefined;
    for (let i = 0; i < N; i++) {
      const wait = t0 + (i * 1000) / RATE - Date.now();
      if (wait > 0) await sleep(wait);
      if (i === Math.floor(N / 2)) {
        await first[0]!.kill();
        killedAt = Date.now() - t0;
        log(`SIGKILL worker 0 at ${killedAt} ms; starting a replacement`);
        replacement = worker(2);
      }
      const s = started.get(ids[i]!)!;
      const done = await db.db
        .transaction()
        .execute((trx) =>
          applyTransition(
            repositories,
            trx,
            s,
            'complete',
            { results: JSON.stringify({ summary: `done ${i}` }), progress: 100, completed_at: new Date() },
            actor,
          ),
        );
      if (!done) throw new Error(`completion ${i} lost a race`);
    }
    const lastCompletion = Date.now() - t0;
    await replacement;

    log('waiting for the outbox to drain');
    const deadline = Date.now() + 600_000;
    for (;;) {
      const r = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM webhook_deliveries WHERE state = 'pending'`,
      );
      if (r.rows[0]!.n === 0) break;
      if (Date.now() > deadline) throw new Error(`${r.rows[0]!.n} deliveries still pending after 10 min`);
      await sleep(250);
    }

    // Receipt times: the receiver kept every request in order, as `receipts` did.
    receiver.received.forEach((r, i) => (receipts[i]!.at = r.receivedAt));
    const rows = await db.pool.query<{
      id: string;
      endpoint_id: string;
      state: string;
      attempts: number;
      created_ms: number;
      delivered_ms: number | null;
    }>(
      `SELECT id, endpoint_id, state, attempts, extract(epoch FROM created_at)::float8 * 1000 AS created_ms,
              extract(epoch FROM delivered_at)::float8 * 1000 AS delivered_ms FROM webhook_deliveries`,
    );
    const createdByMsg = new Map(rows.rows.map((r) => [`msg_${r.id.replaceAll('-', '')}`, r.created_ms]));
    const endpointsOut: Record<string, unknown> = {};
    let healthyLatency: number[] = [];
    let healthyDrainedAt = 0;
    let badSignatures = 0;
    let lost = 0;
    let mixedIds = 0;
    for (const [p, ep] of endpoints) {
      const got = receipts.filter((r) => r.path === p);
      const verifier = new Webhook(ep.secret);
      for (const r of receiver.at(p)) {
        try {
          verifier.verify(r.body, r.headers);
        } catch {
          badSignatures++;
        }
      }
      const byAnalysis = new Map<string, Receipt[]>();
      for (const r of got) byAnalysis.set(r.analysisId, [...(byAnalysis.get(r.analysisId) ?? []), r]);
      const ok = ids.filter((id) => (byAnalysis.get(id) ?? []).some((r) => r.status < 300));
      const duplicates = [...byAnalysis.values()].reduce(
        (n, rs) => n + Math.max(0, rs.filter((r) => r.status < 300).length - 1),
        0,
      );
      const mixed = [...byAnalysis.values()].filter((rs) => new Set(rs.map((r) => r.webhookId)).size > 1).length;
      mixedIds += mixed;
      lost += N - ok.length;
      const mine = rows.rows.filter((r) => r.endpoint_id === ep.id);
      const lastDelivered = Math.max(...mine.map((r) => r.delivered_ms ?? 0));
      if (p === '/healthy') {
        healthyDrainedAt = lastDelivered;
        healthyLatency = got
          .filter((r) => r.status < 300)
          .map((r) => r.at - createdByMsg.get(r.webhookId)!)
          .sort((a, b) => a - b);
      }
      endpointsOut[p.slice(1)] = {
        outbox_rows: mine.length,
        delivered: mine.filter((r) => r.state === 'delivered').length,
        failed: mine.filter((r) => r.state === 'failed').length,
        requests_received: got.length,
        pairs_delivered: ok.length,
        lost: N - ok.length,
        non_2xx_answers: got.filter((r) => r.status >= 300).length,
        retries: mine.reduce((n, r) => n + r.attempts - 1, 0),
        duplicate_2xx_receipts: duplicates,
        pairs_with_more_than_one_webhook_id: mixed,
        drained_s_after_first_completion: Math.round((lastDelivered - t0) / 100) / 10,
        drained_s_after_last_completion: Math.round((lastDelivered - t0 - lastCompletion) / 100) / 10,
      };
    }
    const facts = machine.finish();
    const healthy = {
      p50_ms: Math.round(pct(healthyLatency, 50)),
      p99_ms: Math.round(pct(healthyLatency, 99)),
      max_ms: Math.round(healthyLatency[healthyLatency.length - 1]!),
      target_p99_ms: 1000,
    };
    // What the two dispatchers moved (requests to all 3 endpoints) while the healthy one had work.
    const span = (healthyDrainedAt - t0) / 1000;
    const dispatchRate = Math.round(receipts.filter((r) => r.at <= healthyDrainedAt).length / span);
    const result = {
      machine: facts,
      setup: {
        completions: N,
        rate_per_second: RATE,
        completions_took_ms: lastCompletion,
        worker_processes: 2,
        worker_sigkilled_at_ms: killedAt,
        retry_schedule: SCHEDULE,
        slow_answer_ms: SLOW_MS,
        flaky_500_for_s: FLAKY_SECONDS,
        completions_via: 'applyTransition in a transaction (no media processed)',
      },
      healthy_latency: healthy,
      requests_per_second_while_healthy_had_work: dispatchRate,
      endpoints: endpointsOut,
      checks: { lost, pairs_with_more_than_one_webhook_id: mixedIds, bad_signatures: badSignatures },
    };
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    const ep = endpointsOut as Record<string, Record<string, number>>;
    const row = (name: string) => {
      const e = ep[name]!;
      return `| ${name} | ${e.pairs_delivered}/${N} | ${e.lost} | ${e.requests_received} | ${e.non_2xx_answers} | ${e.retries} | ${e.duplicate_2xx_receipts} | ${e.pairs_with_more_than_one_webhook_id} | ${e.drained_s_after_first_completion} | ${e.drained_s_after_last_completion} |`;
    };
    const md = [
      '# Webhook fan-out',
      '',
      describeMachine(facts),
      '',
      `${N} completions of one tenant at ${RATE}/s (took ${lastCompletion} ms), made with \`applyTransition\``,
      'in a transaction (no media processed), each fanned out by the outbox trigger to 3 endpoints',
      '(three paths of one local receiver, so they share a host).',
      `Two \`media-analysis worker\` processes dispatch; worker 0 was SIGKILLed at ${killedAt} ms and replaced.`,
      `Retry schedule ${SCHEDULE}; slow answers after ${SLOW_MS} ms; flaky answers 500 for ${FLAKY_SECONDS} s.`,
      '',
      `Healthy endpoint, delivery row created_at → receipt: p50 ${healthy.p50_ms} ms, p99 ${healthy.p99_ms} ms,`,
      `max ${healthy.max_ms} ms (target p99 < 1000 ms: ${healthy.p99_ms < 1000 ? 'met' : '**missed**'}).`,
      `The dispatchers sent ${dispatchRate} requests/s (all endpoints) while the healthy one had work;`,
      `offered: ${RATE * 3}/s plus retries.`,
      '',
      '| endpoint | delivered | lost | requests | non-2xx | retries | dup 2xx | pairs with >1 webhook-id | drained s after first | after last completion |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      row('healthy'),
      row('slow'),
      row('flaky'),
      '',
      `Signatures: ${receiver.received.length - badSignatures}/${receiver.received.length} request bodies verify with`,
      "`standardwebhooks` and the endpoint's secret. Lost pairs: " + `${lost}.`,
      '',
    ].join('\n');
    writeBenchResults(NAME, result, md);
    process.stdout.write(md);
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await sender.close();
    await receiver.close();
    await db.drop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
