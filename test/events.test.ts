/**
 * Live events over a real socket: status, progress and the final event of one analysis
 * (the stream then ends), resume with Last-Event-ID without gaps or repeats, the
 * tenant-wide stream, tenant isolation, and 204 once past the end. The SDK's SSE reader
 * is the client.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { multipart } from './helpers/multipart.ts';
import { applyTransition } from '../src/domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../src/persistence/analysis.repository.ts';
import { analysisEventRepository } from '../src/persistence/analysis-event.repository.ts';
import type { Actor } from '../src/contract/analysis.types.ts';
import { streamEvents, StreamHttpError, type StreamEvent } from '../sdk/src/sse.ts';
import { repositories } from '../src/persistence/repositories.ts';

const actor: Actor = { id: 'test', ip: null, correlationId: null };
let t: TestApp;
let base: string;

before(async () => {
  t = await createTestApp({ SSE_HEARTBEAT_MS: '200' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
after(async () => {
  await t.close();
});

async function create(tenant: 'A' | 'B' = 'A'): Promise<string> {
  const a = await t.analyses.create(
    {
      tenantId: tenant === 'A' ? t.tenantA.tenant : t.tenantB.tenant,
      prompt: 'p',
      sourceUrl: 'https://example.com/x.mp4',
      upload: null,
      mediaType: 'video',
      config: {},
      options: {},
      metadata: {},
      correlationId: 'c',
    },
    actor,
  );
  return a.id;
}

async function move(id: string, name: 'start' | 'complete' | 'fail'): Promise<void> {
  const current = (await analysisRepository.findById(t.db.db, id))!;
  const patch =
    name === 'complete'
      ? { progress: 100, results: JSON.stringify({ summary: 'Résumé: 猫が走る' }) }
      : name === 'fail'
        ? { error_code: 'MEDIA_CORRUPT', error_message: 'bad' }
        : {};
  const next = await t.db.db
    .transaction()
    .execute((trx) => applyTransition(repositories, trx, current, name, patch, actor));
  assert.ok(next, `${name} applied`);
}

async function progress(id: string, percent: number): Promise<void> {
  assert.ok(await analysisRepository.updateWhileProcessing(t.db.db, id, { progress: percent }));
}

function open(path: string, key: string, extra: { lastEventId?: string; signal?: AbortSignal } = {}) {
  return streamEvents(`${base}${path}`, {
    headers: { authorization: `Bearer ${key}` },
    reconnect: false,
    ...extra,
  });
}

/** Read events until `until` says stop (or the stream ends). */
async function collect(
  it: AsyncGenerator<StreamEvent>,
  until: (e: StreamEvent, all: StreamEvent[]) => boolean = () => false,
  onEach?: (e: StreamEvent, all: StreamEvent[]) => Promise<void>,
): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (onEach) await onEach(e, out);
    if (until(e, out)) break;
  }
  return out;
}

test('one analysis: current status, progress, completion, then the stream ends', async () => {
  const id = await create();
  const events = await collect(open(`/api/media/${id}/events`, t.tenantA.key), undefined, async (e, all) => {
    // Drive the analysis forward as each event arrives.
    if (all.length === 1) await move(id, 'start');
    else if (e.event === 'status') await progress(id, 40);
    else if (e.event === 'progress') await move(id, 'complete');
  });
  assert.deepEqual(
    events.map((e) => e.event),
    ['status', 'status', 'progress', 'completed'],
  );
  assert.deepEqual(events[0]!.data, {
    ...(events[0]!.data as object),
    analysis_id: id,
    status: 'pending',
    progress: 0,
  });
  assert.equal((events[2]!.data as { progress: number }).progress, 40);
  const done = events[3]!.data as Record<string, unknown>;
  assert.equal(done.status, 'completed');
  assert.equal(done.summary, 'Résumé: 猫が走る');
  const ids = events.slice(1).map((e) => Number(e.id));
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
});

test('Last-Event-ID resumes with no gap and no repeat', async () => {
  const id = await create();
  await move(id, 'start');
  const controller = new AbortController();
  const first = await collect(
    open(`/api/media/${id}/events`, t.tenantA.key, { signal: controller.signal }),
    (_e, all) => all.length === 2,
    async (_e, all) => {
      if (all.length === 1) await progress(id, 10);
    },
  );
  controller.abort();
  // While disconnected, more happens.
  for (const p of [20, 30, 40, 50]) await progress(id, p);
  await move(id, 'fail');
  const lastId = first.at(-1)!.id!;
  const resumed = await collect(open(`/api/media/${id}/events`, t.tenantA.key, { lastEventId: lastId }));
  const stored = await analysisEventRepository.listAfter(
    t.db.db,
    { tenantId: t.tenantA.tenant, analysisId: id },
    0,
    100,
  );
  assert.deepEqual(
    resumed.map((e) => Number(e.id)),
    stored.filter((s) => s.id > Number(lastId)).map((s) => s.id),
  );
  assert.deepEqual(
    resumed.map((e) => e.event),
    ['progress', 'progress', 'progress', 'progress', 'failed'],
  );
  assert.equal((resumed.at(-1)!.data as { error_code: string }).error_code, 'MEDIA_CORRUPT');
  // Past the final event: 204, and the reader stops.
  const after = await collect(open(`/api/media/${id}/events`, t.tenantA.key, { lastEventId: resumed.at(-1)!.id! }));
  assert.deepEqual(after, []);
  // Already finished, no Last-Event-ID: the final state at once, then the end.
  const snapshot = await collect(open(`/api/media/${id}/events`, t.tenantA.key));
  assert.deepEqual(
    snapshot.map((e) => e.event),
    ['failed'],
  );
});

test('another tenant cannot watch; unknown ids are 404; bad ids are 400', async () => {
  const id = await create('A');
  await assert.rejects(collect(open(`/api/media/${id}/events`, t.tenantB.key)), (e: StreamHttpError) => {
    assert.equal(e.status, 404);
    assert.equal((e.body as { code: string }).code, 'ANALYSIS_NOT_FOUND');
    return true;
  });
  await assert.rejects(collect(open(`/api/media/not-a-uuid/events`, t.tenantA.key)), (e: StreamHttpError) => {
    assert.equal(e.status, 400);
    return true;
  });
  await assert.rejects(collect(open(`/api/events`, 'wrong-key')), (e: StreamHttpError) => e.status === 401);
});

test('the tenant stream carries every analysis of the tenant and only those', async () => {
  const controller = new AbortController();
  const a1 = await create('A');
  const a2 = await create('A');
  const b1 = await create('B');
  const seen = collect(
    open('/api/events', t.tenantA.key, { signal: controller.signal }),
    (_e, all) => all.filter((x) => x.event === 'completed').length === 2,
  );
  // The stream starts from "now": wait until the server has subscribed.
  await waitForSubscribers(1);
  await move(b1, 'start');
  await move(a1, 'start');
  await move(a2, 'start');
  await move(a1, 'complete');
  await move(a2, 'complete');
  const events = await seen;
  controller.abort();
  const ids = new Set(events.map((e) => (e.data as { analysis_id: string }).analysis_id));
  assert.deepEqual([...ids].sort(), [a1, a2].sort());
  assert.equal(events.length, 4);
});

test('heartbeats keep an idle stream alive', async () => {
  const id = await create();
  const res = await fetch(`${base}/api/media/${id}/events`, { headers: { authorization: `Bearer ${t.tenantA.key}` } });
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
});

async function waitForSubscribers(n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (t.hub.subscriberCount < n) {
    if (Date.now() > deadline) throw new Error('no subscriber');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a real run streams each stage as it starts and finishes, before the completion', async () => {
  const worker = await t.startWorker({ concurrency: 1 });
  try {
    const mp = multipart(
      { prompt: 'Summarise' },
      { name: 'notes.txt', data: Buffer.from('Ships leave the harbour at dawn.\n') },
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { authorization: `Bearer ${t.tenantA.key}`, ...mp.headers },
      payload: mp.payload,
    });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().analysis_id as string;
    const events = await collect(open(`/api/media/${id}/events?last_event_id=0`, t.tenantA.key));
    assert.equal(events.at(-1)!.event, 'completed');
    const stages = events
      .filter((e) => e.event === 'stage')
      .map((e) => e.data as { stage: string; state: string; duration_ms?: number });
    const intake = stages.filter((s) => s.stage === 'intake').map((s) => s.state);
    assert.deepEqual(intake, ['started', 'finished']);
    assert.ok(
      stages.some((s) => s.state === 'skipped'),
      'stages that do not apply to text are reported as skipped',
    );
    const finished = stages.filter((s) => s.state === 'finished');
    assert.ok(finished.length >= 3 && finished.every((s) => typeof s.duration_ms === 'number'));
    // Every stage event comes before the final one.
    assert.equal(
      events.findIndex((e) => e.event === 'completed'),
      events.length - 1,
    );
  } finally {
    await worker.stop();
  }
});
