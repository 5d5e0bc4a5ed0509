/**
 * Webhooks end to end against real local receivers: outbox rows written in the state
 * change's transaction (and rolled back with it), Standard Webhooks signatures checked
 * with the `standardwebhooks` verifier, retries with the same webhook-id, Retry-After,
 * redelivery, test pings, secret rotation, SSRF refusals, receivers that hang, flood or
 * redirect, and endpoints disabled after failing for too long.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.ts';
import { waitFor } from './helpers/app.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { applyTransition } from '../src/domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../src/persistence/analysis.repository.ts';
import { webhookEndpointRepository } from '../src/persistence/webhook-endpoint.repository.ts';
import { analysisStageRepository } from '../src/persistence/analysis-stage.repository.ts';
import { WebhookService } from '../src/domain/webhook/webhook.service.ts';
import { generateSecret } from '../src/domain/webhook/webhook.policy.ts';
import { createWebhookSender, type WebhookSender } from '../src/net/webhook-sender.ts';
import { startWebhookDispatcher, type DispatcherHandle } from '../src/queue/webhook-dispatcher.ts';
import { createLogger } from '../src/observability/logger.ts';
import { AppError } from '../src/domain/errors.ts';
import type { Actor, Analysis } from '../src/contract/analysis.types.ts';
import { repositories } from '../src/persistence/repositories.ts';

const TIMEOUT_MS = 600;
const actor: Actor = { id: 'test', ip: null, correlationId: null };
let db: TestDatabase;
let receiver: Receiver;
let sender: WebhookSender;
let service: WebhookService;
let analyses: AnalysisService;
let dispatcher: DispatcherHandle;

before(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  sender = createWebhookSender({ allowHosts: ['127.0.0.1'], timeoutMs: TIMEOUT_MS, maxResponseBytes: 2048 });
  service = new WebhookService({
    db: db.db,
    repositories,
    checkAddress: sender.checkAddress,
    send: sender.send,
    rotationGraceSeconds: 3600,
    leaseSeconds: 5,
  });
  analyses = new AnalysisService(db.db, repositories, { maxJobAttempts: 3, idempotencyTtlHours: 1 });
  dispatcher = startWebhookDispatcher({
    db: db.db,
    connectionString: db.url,
    send: sender.send,
    concurrency: 8,
    perEndpoint: 4,
    scheduleSeconds: [0.2, 0.2, 0.2],
    leaseSeconds: 5,
    pollIntervalMs: 100,
    disableAfterSeconds: 3600,
    log: createLogger('silent'),
  });
  await dispatcher.ready;
});
after(async () => {
  await dispatcher.stop();
  await sender.close();
  await receiver.close();
  await db.drop();
});

async function newAnalysis(tenantId: string, webhookUrl?: string): Promise<string> {
  const a = await analyses.create(
    {
      tenantId,
      prompt: 'p',
      sourceUrl: 'https://example.com/a.mp4',
      upload: null,
      mediaType: 'video',
      config: {},
      options: {},
      metadata: {},
      correlationId: 'c',
    },
    actor,
  );
  if (webhookUrl) {
    await db.db
      .updateTable('media_analysis_requests')
      .set({ webhook_url: webhookUrl })
      .where('id', '=', a.id)
      .execute();
  }
  return a.id;
}

async function finish(id: string, how: 'complete' | 'fail' = 'complete'): Promise<void> {
  const pending = (await analysisRepository.findById(db.db, id))!;
  const started = await db.db
    .transaction()
    .execute((trx) => applyTransition(repositories, trx, pending, 'start', { started_at: new Date() }, actor));
  await db.db
    .transaction()
    .execute((trx) =>
      applyTransition(
        repositories,
        trx,
        started!,
        how,
        how === 'complete'
          ? { results: JSON.stringify({ summary: 'Zwei Männer gehen über die Brücke 🌉' }), progress: 100 }
          : { error_code: 'MEDIA_CORRUPT', error_message: 'bad bytes' },
        actor,
      ),
    );
}

function verify(secret: string, r: { headers: Record<string, string>; body: string }) {
  return new Webhook(secret).verify(r.body, r.headers) as { type: string; data: Record<string, unknown> };
}

test('a completion is delivered once, signed, with a small envelope', async () => {
  const { endpoint, secret } = await service.create('t-basic', { url: receiver.url('/basic') });
  assert.match(secret, /^whsec_[A-Za-z0-9+/=]{32}$/);
  assert.deepEqual(endpoint.events, [
    'analysis.completed',
    'analysis.failed',
    'analysis.cancelled',
    'analysis.deleted',
  ]);
  const id = await newAnalysis('t-basic');
  await finish(id);
  const [got] = await waitFor(async () => (receiver.at('/basic').length ? receiver.at('/basic') : null));
  const payload = verify(secret, got!);
  assert.equal(payload.type, 'analysis.completed');
  assert.equal(payload.data.analysis_id, id);
  assert.equal(payload.data.status, 'completed');
  assert.equal(payload.data.summary, 'Zwei Männer gehen über die Brücke 🌉');
  assert.equal(payload.data.url, `/api/media/${id}`);
  assert.ok(got!.body.length < 1024, 'the envelope is small');
  assert.throws(() => verify(secret.replace(/.{4}$/, 'AAA='), got!), /No matching signature/);
  const [d] = await waitFor(async () => {
    const list = await service.deliveries({ tenantId: 't-basic', endpointId: endpoint.id }, { limit: 10 });
    return list[0]?.state === 'delivered' ? list : null;
  });
  assert.equal(d!.attemptLog.length, 1);
  assert.equal(d!.attemptLog[0]!.statusCode, 204);
  assert.equal(got!.headers['webhook-id'], `msg_${d!.id.replaceAll('-', '')}`);
  // Another tenant sees none of it.
  assert.equal((await service.deliveries({ tenantId: 'someone-else' }, { limit: 10 })).length, 0);
  await assert.rejects(service.get('someone-else', endpoint.id), (e: AppError) => e.code === 'WEBHOOK_NOT_FOUND');
});

test('the outbox row commits with the state change, and rolls back with it', async () => {
  await service.create('t-tx', { url: receiver.url('/tx') });
  const id = await newAnalysis('t-tx');
  const pending = (await analysisRepository.findById(db.db, id))!;
  await assert.rejects(
    db.db.transaction().execute(async (trx) => {
      await applyTransition(repositories, trx, pending, 'cancel', { completed_at: new Date() }, actor);
      const inside = await trx.selectFrom('webhook_deliveries').select('id').where('analysis_id', '=', id).execute();
      assert.equal(inside.length, 1, 'the delivery is written inside the transition transaction');
      throw new Error('crash before commit');
    }),
    /crash before commit/,
  );
  const rows = await db.db.selectFrom('webhook_deliveries').select('id').where('analysis_id', '=', id).execute();
  assert.equal(rows.length, 0, 'no delivery without the state change');
  assert.equal((await analysisRepository.findById(db.db, id))!.status, 'pending');
});

test('a 500 is retried with the same webhook-id until the receiver recovers', async () => {
  receiver.on('/flaky', (_r, nth) => (nth < 3 ? { status: 500, body: 'boom' } : { status: 200 }));
  const { secret } = await service.create('t-flaky', { url: receiver.url('/flaky'), events: ['analysis.failed'] });
  const id = await newAnalysis('t-flaky');
  await finish(id, 'fail');
  await waitFor(async () => receiver.at('/flaky').length >= 3 || null);
  const got = receiver.at('/flaky');
  assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 1);
  for (const r of got) assert.equal(verify(secret, r).type, 'analysis.failed');
  const [d] = await waitFor(async () => {
    const list = await service.deliveries({ tenantId: 't-flaky', analysisId: id }, { limit: 10 });
    return list[0]?.state === 'delivered' ? list : null;
  });
  assert.deepEqual(
    d!.attemptLog.map((a) => [a.attempt, a.statusCode, a.responseBody]),
    [
      [1, 500, 'boom'],
      [2, 500, 'boom'],
      [3, 200, 'ok'],
    ],
  );
});

test('Retry-After moves the next attempt later', async () => {
  receiver.on('/busy', (_r, nth) => (nth === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
  await service.create('t-busy', { url: receiver.url('/busy') });
  const id = await newAnalysis('t-busy');
  await finish(id);
  await waitFor(async () => receiver.at('/busy').length >= 2 || null, 10_000);
  const [a, b] = receiver.at('/busy');
  assert.ok(b!.receivedAt - a!.receivedAt >= 1900, `waited ${b!.receivedAt - a!.receivedAt} ms`);
});

// Found by bench/webhooks.bench.ts: the claim's candidates were the oldest due rows, so a
// slow receiver's backlog filled every window and a healthy receiver waited for it to drain.
test("a slow receiver's backlog does not hold up another receiver", { timeout: 60_000 }, async () => {
  const SLOW = 48;
  receiver.on('/hol-slow', () => ({ status: 204, delayMs: 400 }));
  await service.create('t-hol-slow', { url: receiver.url('/hol-slow') });
  await service.create('t-hol-fast', { url: receiver.url('/hol-fast') });
  const started: Analysis[] = [];
  for (let i = 0; i < SLOW; i++) {
    const a = (await analysisRepository.findById(db.db, await newAnalysis('t-hol-slow')))!;
    started.push(
      (await db.db
        .transaction()
        .execute((trx) => applyTransition(repositories, trx, a, 'start', { started_at: new Date() }, actor)))!,
    );
  }
  // The whole backlog becomes due at once.
  await db.db.transaction().execute(async (trx) => {
    for (const a of started) await applyTransition(repositories, trx, a, 'complete', { progress: 100 }, actor);
  });
  await waitFor(async () => receiver.at('/hol-slow').length >= 2 || null);
  await finish(await newAnalysis('t-hol-fast'));
  await waitFor(async () => receiver.at('/hol-fast').length > 0 || null, 30_000);
  // 4 at a time, 400 ms each: the backlog takes ~5 s; the other receiver must not wait for it.
  const slowBefore = receiver.at('/hol-slow').length;
  assert.ok(slowBefore < SLOW / 2, `the fast receiver was served after ${slowBefore}/${SLOW} slow deliveries`);
  await waitFor(async () => receiver.at('/hol-slow').length >= SLOW || null, 30_000);
});

// Found by bench/webhooks.bench.ts: the sender's pool held 8 sockets per origin, so endpoints
// sharing a host waited behind a slow one's sends, their timeout running while they waited.
test('endpoints on one host do not wait for sockets behind a slow one', async () => {
  receiver.on('/host-slow', () => ({ status: 204, delayMs: 1500 }));
  const s = createWebhookSender({
    allowHosts: ['127.0.0.1'],
    timeoutMs: 5000,
    maxResponseBytes: 2048,
    concurrency: 16,
  });
  const secrets = { current: generateSecret(), previous: null };
  const req = (path: string, i: number) => ({
    url: receiver.url(path),
    messageId: `msg_host${i}`,
    body: '{}',
    secrets,
    now: new Date(),
  });
  try {
    const slow = Array.from({ length: 12 }, (_, i) => s.send(req('/host-slow', i)));
    // The old pool's 8 sockets are all busy now.
    await waitFor(async () => receiver.at('/host-slow').length >= 8 || null);
    const t0 = performance.now();
    const fast = await s.send(req('/host-fast', 99));
    const ms = performance.now() - t0;
    assert.equal(fast.statusCode, 204);
    assert.ok(ms < 1000, `the other endpoint's send took ${Math.round(ms)} ms`);
    await Promise.all(slow);
  } finally {
    await s.close();
  }
});

test('receivers that hang, flood or redirect are cut off and logged', async () => {
  receiver.on('/hang', () => ({ hang: true }));
  receiver.on('/flood', () => ({ status: 200, bytes: 10 * 1024 * 1024 }));
  receiver.on('/redirect', () => ({ status: 302, headers: { location: 'http://169.254.169.254/latest' } }));
  const hang = await service.create('t-bad', { url: receiver.url('/hang') });
  const flood = await service.create('t-bad', { url: receiver.url('/flood') });
  const redirect = await service.create('t-bad', { url: receiver.url('/redirect') });
  const id = await newAnalysis('t-bad');
  await finish(id);
  const byEndpoint = async (endpointId: string) =>
    (await service.deliveries({ tenantId: 't-bad', endpointId }, { limit: 5 }))[0];
  const h = await waitFor(async () => {
    const d = await byEndpoint(hang.endpoint.id);
    return d && d.attemptLog.length >= 1 ? d : null;
  });
  assert.equal(h.attemptLog[0]!.statusCode, null);
  assert.match(h.attemptLog[0]!.error!, /no answer within 600 ms/);
  assert.ok(h.attemptLog[0]!.latencyMs < TIMEOUT_MS + 500);
  const f = await waitFor(async () => {
    const d = await byEndpoint(flood.endpoint.id);
    return d?.state === 'delivered' ? d : null;
  });
  assert.equal(f.attemptLog[0]!.responseBody!.length, 2048);
  assert.match(f.attemptLog[0]!.error!, /cut off after 2048 bytes/);
  const r = await waitFor(async () => {
    const d = await byEndpoint(redirect.endpoint.id);
    return d && d.attemptLog.length >= 1 ? d : null;
  });
  assert.equal(r.attemptLog[0]!.statusCode, 302);
  assert.match(r.attemptLog[0]!.error!, /redirect 302 not followed/);
  assert.equal(receiver.received.filter((x) => x.path === '/latest').length, 0);
});

test('URLs to private addresses, other schemes or over 2 KB are refused with clear codes', async () => {
  const strict = new WebhookService({
    db: db.db,
    repositories,
    checkAddress: createWebhookSender({ allowHosts: [], timeoutMs: 1000, maxResponseBytes: 10 }).checkAddress,
    send: sender.send,
    rotationGraceSeconds: 1,
    leaseSeconds: 1,
  });
  const cases: Array<[string, string]> = [
    ['http://10.0.0.5/hook', 'WEBHOOK_URL_FORBIDDEN'],
    ['http://127.0.0.1:9/hook', 'WEBHOOK_URL_FORBIDDEN'],
    ['http://[::1]/hook', 'WEBHOOK_URL_FORBIDDEN'],
    ['http://169.254.169.254/latest/meta-data', 'WEBHOOK_URL_FORBIDDEN'],
    ['http://localhost/hook', 'WEBHOOK_URL_FORBIDDEN'],
    ['ftp://example.com/hook', 'WEBHOOK_URL_INVALID'],
    ['not a url', 'WEBHOOK_URL_INVALID'],
    ['https://user:pw@example.com/hook', 'WEBHOOK_URL_INVALID'],
    [`https://example.com/${'a'.repeat(2100)}`, 'WEBHOOK_URL_INVALID'],
  ];
  for (const [url, code] of cases) {
    await assert.rejects(strict.create('t-ssrf', { url }), (e: AppError) => {
      assert.equal(e.code, code, url);
      assert.equal(e.status, 422);
      return true;
    });
  }
  await assert.rejects(
    service.create('t-ssrf', { url: receiver.url('/x'), events: ['analysis.exploded'] }),
    (e: AppError) => e.code === 'VALIDATION_FAILED',
  );
});

test('redeliver replays with the same webhook-id; a test ping is logged', async () => {
  const { endpoint, secret } = await service.create('t-replay', { url: receiver.url('/replay') });
  const id = await newAnalysis('t-replay');
  await finish(id);
  await waitFor(async () => receiver.at('/replay').length === 1 || null);
  const [d] = await waitFor(async () => {
    const list = await service.deliveries({ tenantId: 't-replay', analysisId: id }, { limit: 5 });
    return list[0]?.state === 'delivered' ? list : null;
  });
  await service.redeliver('t-replay', d!.id);
  await waitFor(async () => receiver.at('/replay').length === 2 || null);
  const [first, second] = receiver.at('/replay');
  assert.equal(first!.headers['webhook-id'], second!.headers['webhook-id']);
  assert.equal(verify(secret, second!).data.analysis_id, id);
  await assert.rejects(service.redeliver('other', d!.id), (e: AppError) => e.code === 'WEBHOOK_DELIVERY_NOT_FOUND');

  const ping = await service.test('t-replay', endpoint.id);
  assert.equal(ping.state, 'delivered');
  assert.equal(ping.eventType, 'webhook.test');
  assert.equal(ping.attemptLog[0]!.statusCode, 204);
  const last = receiver.at('/replay').at(-1)!;
  assert.equal(verify(secret, last).type, 'webhook.test');
});

test('after rotation both secrets verify during the grace period', async () => {
  const { endpoint, secret: oldSecret } = await service.create('t-rotate', { url: receiver.url('/rotate') });
  const { secret: newSecret, endpoint: rotated } = await service.rotate('t-rotate', endpoint.id);
  assert.notEqual(newSecret, oldSecret);
  assert.ok(rotated.previousSecretExpiresAt! > new Date());
  await service.test('t-rotate', endpoint.id);
  const last = receiver.at('/rotate').at(-1)!;
  assert.equal(last.headers['webhook-signature']!.split(' ').length, 2);
  assert.equal(verify(newSecret, last).type, 'webhook.test');
  assert.equal(verify(oldSecret, last).type, 'webhook.test');
  // With no grace, the old secret stops at once.
  const { secret: third } = await service.rotate('t-rotate', endpoint.id, 0);
  await service.test('t-rotate', endpoint.id);
  const after = receiver.at('/rotate').at(-1)!;
  assert.equal(verify(third, after).type, 'webhook.test');
  assert.throws(() => verify(newSecret, after), /No matching signature/);
});

test("a request's own webhook_url is signed with the tenant's secret", async () => {
  const tenantSecret = await service.rotateTenantSecret('t-own');
  const id = await newAnalysis('t-own', receiver.url('/own'));
  await finish(id);
  const [got] = await waitFor(async () => (receiver.at('/own').length ? receiver.at('/own') : null));
  assert.equal(verify(tenantSecret, got!).data.analysis_id, id);
});

test('an endpoint failing for longer than the limit is disabled, visibly, and its deliveries end', async () => {
  receiver.on('/down', () => ({ status: 503 }));
  const { endpoint } = await service.create('t-down', { url: receiver.url('/down') });
  const id = await newAnalysis('t-down');
  await finish(id);
  await waitFor(async () => receiver.at('/down').length >= 1 || null);
  const failing = await waitFor(async () => {
    const e = await service.get('t-down', endpoint.id);
    return e.failingSince ? e : null;
  });
  assert.ok(failing.enabled);
  // Other tests' endpoints may be disabled by the same sweep: wait until this one is.
  const disabled = await waitFor(async () => {
    await webhookEndpointRepository.disableFailing(db.db, 0.05);
    const e = await service.get('t-down', endpoint.id);
    return e.enabled ? null : e;
  });
  assert.equal(disabled.enabled, false);
  assert.match(disabled.disabledReason!, /^failing since \d{4}-/);
  const [d] = await service.deliveries({ tenantId: 't-down', endpointId: endpoint.id }, { limit: 5 });
  assert.equal(d!.state, 'failed');
  // Re-enabling clears the failure record.
  const again = await service.update('t-down', endpoint.id, { enabled: true });
  assert.equal(again.enabled, true);
  assert.equal(again.failingSince, null);
});

test('event rows are written for status and progress changes, in order', async () => {
  const id = await newAnalysis('t-events');
  await finish(id);
  const r = await sql<{
    type: string;
  }>`SELECT type FROM analysis_events WHERE analysis_id = ${id} ORDER BY id`.execute(db.db);
  assert.deepEqual(
    r.rows.map((x) => x.type),
    ['status', 'completed'],
  );
});

test('stage changes become `stage` events; a finished stage is called back only to endpoints that opted in', async () => {
  const plain = await service.create('t-stages', { url: receiver.url('/stages-plain') });
  const opted = await service.create('t-stages', {
    url: receiver.url('/stages-opted'),
    events: ['analysis.completed', 'analysis.stage_completed'],
  });
  await service.rotateTenantSecret('t-stages');
  const id = await newAnalysis('t-stages', receiver.url('/stages-own'));
  await analysisStageRepository.plan(db.db, id, 't-stages', ['probe', 'shots', 'vision'], 1);
  await analysisStageRepository.start(db.db, id, 'probe', null);
  await analysisStageRepository.done(db.db, id, 'probe', 42);
  await analysisStageRepository.skipped(db.db, id, 'shots', 'not a video');
  await analysisStageRepository.start(db.db, id, 'vision', null);
  await analysisStageRepository.stalled(db.db, id, 'vision');
  await analysisStageRepository.failed(db.db, id, 'vision', 'STAGE_TIMEOUT', 'too slow', 900);
  const r = await sql<{ type: string; data: Record<string, unknown> }>`
    SELECT type, data FROM analysis_events WHERE analysis_id = ${id} ORDER BY id`.execute(db.db);
  assert.deepEqual(
    r.rows.map((x) => `${x.type}:${String(x.data.stage)}:${String(x.data.state)}`),
    [
      'stage:probe:started',
      'stage:probe:finished',
      'stage:shots:skipped',
      'stage:vision:started',
      'stage:vision:stalled',
      'stage:vision:failed',
    ],
  );
  assert.equal(r.rows[1]!.data.duration_ms, 42);
  assert.equal(r.rows[5]!.data.error_code, 'STAGE_TIMEOUT');
  const [got] = await waitFor(async () => (receiver.at('/stages-opted').length ? receiver.at('/stages-opted') : null));
  const payload = verify(opted.secret, got!);
  assert.equal(payload.type, 'analysis.stage_completed');
  assert.deepEqual(
    { analysis_id: payload.data.analysis_id, stage: payload.data.stage, state: payload.data.state },
    { analysis_id: id, stage: 'probe', state: 'finished' },
  );
  // The completion still reaches all three; the stage callback only the endpoint that asked for it.
  await finish(id);
  await waitFor(async () => receiver.at('/stages-plain').length === 1 && receiver.at('/stages-own').length === 1);
  await waitFor(async () => receiver.at('/stages-opted').length === 2);
  assert.equal(verify(plain.secret, receiver.at('/stages-plain')[0]!).type, 'analysis.completed');
  assert.equal(receiver.at('/stages-own').length, 1);
});
