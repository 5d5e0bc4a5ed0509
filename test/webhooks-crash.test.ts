/**
 * Webhooks survive a kill -9. Real `media-analysis worker` processes complete a real
 * analysis; the `analysis.completed` outbox row commits with the completion; the worker
 * that would deliver it is SIGKILLed before the receiver has it (the receiver unreachable
 * first, or its request still in flight). A new worker process then delivers it, signed
 * (checked with the `standardwebhooks` verifier), and exactly once in effect.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startMediaServer, type MediaServer } from './helpers/media-server.ts';
import { startReceiver, type Receiver, type ReceivedWebhook } from './helpers/webhook-receiver.ts';
import { startService, type ServiceProcess } from './helpers/fleet.ts';
import { waitFor } from './helpers/app.ts';
import { fixtures } from './helpers/fixtures.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { WebhookService } from '../src/domain/webhook/webhook.service.ts';
import { analysisRepository } from '../src/persistence/analysis.repository.ts';
import { createWebhookSender, type WebhookSender } from '../src/net/webhook-sender.ts';
import { webhookLeaseSeconds } from '../src/main/runtime.ts';
import { repositories } from '../src/persistence/repositories.ts';

/** Short, so a delivery claimed by the killed worker is free again soon (lease = 2 s + 15 s). */
const WEBHOOK_TIMEOUT_MS = 2_000;
/** A worker process takes many seconds to boot on a loaded CI machine. */
const BOOT_AND_WORK_MS = 120_000;
const DELIVERY_MS = 60_000 + webhookLeaseSeconds(WEBHOOK_TIMEOUT_MS) * 1000;

let db: TestDatabase;
let media: MediaServer;
let receiver: Receiver;
let sender: WebhookSender;
let webhooks: WebhookService;
let root: string;
const workers = new Set<ServiceProcess>();

before(async () => {
  db = await createTestDatabase();
  media = await startMediaServer();
  media.routes.set('/dot.png', { kind: 'body', data: await fs.readFile(await fixtures.image()), type: 'image/png' });
  receiver = await startReceiver();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-webhook-crash-'));
  sender = createWebhookSender({ allowHosts: ['127.0.0.1'], timeoutMs: WEBHOOK_TIMEOUT_MS, maxResponseBytes: 2048 });
  webhooks = new WebhookService({
    db: db.db,
    repositories,
    checkAddress: sender.checkAddress,
    send: sender.send,
    rotationGraceSeconds: 3600,
    leaseSeconds: webhookLeaseSeconds(WEBHOOK_TIMEOUT_MS),
  });
});
after(async () => {
  // A worker left running by a failed test must not keep the run alive.
  for (const w of workers) await w.kill();
  await sender.close();
  await receiver.close();
  await media.close();
  await db.drop();
  await fs.rm(root, { recursive: true, force: true });
});

/** A `media-analysis worker` process with its own DATA_DIR on the shared database and storage. */
function startWorker(name: string): ServiceProcess {
  const w = startService('worker', {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    STORAGE_ROOT: path.join(root, 'storage'),
    DATA_DIR: path.join(root, name),
    DOWNLOAD_ALLOW_HOSTS: `127.0.0.1:${media.port}`,
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
    // Enough quick retries that the killed worker's failed attempts cannot use them up.
    WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 20 }, () => '1s').join(','),
    WEBHOOK_POLL_INTERVAL_MS: '100',
    WORKER_HEARTBEAT_INTERVAL_MS: '300',
    WORKER_STALE_AFTER_MS: '3000',
    WORKER_POLL_INTERVAL_MS: '100',
    CLEANUP_CRON: '',
    // The analysis only has to complete: no model loading on a machine shared with other tests.
    VISION_SHOTS: 'false',
    VISION_OBJECTS: 'false',
    VISION_FACES: 'false',
    VISION_MODERATION: 'false',
  });
  workers.add(w);
  void w.exited.then(() => workers.delete(w));
  return w;
}

async function submit(tenantId: string): Promise<string> {
  const analyses = new AnalysisService(db.db, repositories, { maxJobAttempts: 5, idempotencyTtlHours: 24 });
  const a = await analyses.create(
    {
      tenantId,
      prompt: 'call me back',
      sourceUrl: media.url('/dot.png'),
      upload: null,
      mediaType: 'unknown',
      config: {},
      options: {},
      metadata: {},
      correlationId: `webhook-crash-${tenantId}`,
    },
    { id: 'test', ip: null, correlationId: null },
  );
  return a.id;
}

async function deliveriesOf(analysisId: string) {
  return db.db
    .selectFrom('webhook_deliveries')
    .select(['id', 'state', 'event_type'])
    .where('analysis_id', '=', analysisId)
    .execute();
}

/** Wait until the delivery is recorded as delivered (the worker's log tail in the failure). */
async function delivered(w: ServiceProcess, id: string): Promise<void> {
  await waitFor(async () => (await deliveriesOf(id))[0]?.state === 'delivered', BOOT_AND_WORK_MS + DELIVERY_MS).catch(
    (err: unknown) => {
      throw new Error(`not delivered: ${String(err)}\n${w.output().slice(-4000)}`);
    },
  );
}

/** Wait for the analysis to complete, then kill -9 the worker at once. */
async function completeThenKill(w: ServiceProcess, id: string): Promise<void> {
  await waitFor(
    async () => (await analysisRepository.findStatus(db.db, id)) === 'completed',
    BOOT_AND_WORK_MS,
    20,
  ).catch((err: unknown) => {
    throw new Error(`the analysis never completed: ${String(err)}\n${w.output().slice(-4000)}`);
  });
  await w.kill();
}

function verified(secret: string, r: ReceivedWebhook): { type: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(r.body, r.headers) as { type: string; data: Record<string, unknown> };
}

test(
  'kill -9 before delivery (receiver unreachable): a new worker process delivers analysis.completed once, signed',
  { timeout: BOOT_AND_WORK_MS + DELIVERY_MS + 60_000 },
  async () => {
    const { secret } = await webhooks.create('t-unreachable', { url: receiver.url('/unreachable') });
    receiver.block(true);
    const id = await submit('t-unreachable');
    const first = startWorker('w1');
    await completeThenKill(first, id);

    // The outbox row committed with the completion, and nothing reached the receiver.
    const rows = await deliveriesOf(id);
    assert.deepEqual(
      rows.map((r) => r.event_type),
      ['analysis.completed'],
    );
    assert.notEqual(rows[0]!.state, 'delivered');
    assert.equal(receiver.at('/unreachable').length, 0);

    receiver.block(false);
    const second = startWorker('w2');
    await delivered(second, id);
    // Stopped cleanly, so any send still in flight would have landed before the count.
    await second.stop();

    const got = receiver.at('/unreachable');
    assert.equal(got.length, 1, 'delivered exactly once');
    const payload = verified(secret, got[0]!);
    assert.equal(payload.type, 'analysis.completed');
    assert.equal(payload.data.analysis_id, id);
    assert.equal(payload.data.status, 'completed');
    assert.equal(got[0]!.headers['webhook-id'], `msg_${rows[0]!.id.replaceAll('-', '')}`);
    assert.equal((await deliveriesOf(id)).length, 1, 'the completion was not recorded twice');
  },
);

test(
  'kill -9 mid-send: the new worker process redelivers with the same webhook-id, delivered once',
  { timeout: BOOT_AND_WORK_MS + DELIVERY_MS + 60_000 },
  async () => {
    const { secret } = await webhooks.create('t-midsend', { url: receiver.url('/midsend') });
    // Requests are taken in and never answered while the first worker lives: its send is
    // in flight when it is killed (any timed-out retry of its own hangs the same way).
    let firstKilled = false;
    receiver.on('/midsend', () => (firstKilled ? { status: 204 } : { hang: true }));
    const id = await submit('t-midsend');
    const first = startWorker('w3');
    await waitFor(async () => receiver.at('/midsend').length >= 1, BOOT_AND_WORK_MS).catch((err: unknown) => {
      throw new Error(`no delivery attempt: ${String(err)}\n${first.output().slice(-4000)}`);
    });
    await first.kill();
    firstKilled = true;
    const [row] = await deliveriesOf(id);
    assert.notEqual(row!.state, 'delivered');
    const sentBeforeKill = receiver.at('/midsend').length;

    const second = startWorker('w4');
    await delivered(second, id);
    await second.stop();

    const got = receiver.at('/midsend');
    assert.equal(got.length, sentBeforeKill + 1, 'the unanswered requests and one redelivery');
    for (const r of got)
      assert.equal(r.headers['webhook-id'], got[0]!.headers['webhook-id'], 'retries, not new events');
    const payload = verified(secret, got.at(-1)!);
    assert.equal(payload.type, 'analysis.completed');
    assert.equal(payload.data.analysis_id, id);
    const answered = await db.db
      .selectFrom('webhook_attempts')
      .select('status_code')
      .where('delivery_id', '=', row!.id)
      .where('status_code', '>=', 200)
      .where('status_code', '<', 300)
      .execute();
    assert.equal(answered.length, 1, 'one attempt answered 2xx');
    assert.equal((await deliveriesOf(id)).length, 1);
  },
);
