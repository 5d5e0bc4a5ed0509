/**
 * The /api/webhooks routes through the real app: the secret shown once, tenant
 * isolation, 422 codes for bad URLs, test pings against a real receiver (verified with
 * the standardwebhooks verifier), the delivery log with paging, redelivery, rotation and
 * a per-request webhook_url delivered by a real worker's dispatcher.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.ts';
import { analysisRepository } from '../src/persistence/analysis.repository.ts';

let t: TestApp;
let receiver: Receiver;

before(async () => {
  receiver = await startReceiver();
  t = await createTestApp({ WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`, WEBHOOK_RETRY_SCHEDULE: '0.1s,0.1s' });
});
after(async () => {
  await t.close();
  await receiver.close();
});

function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  key = t.tenantA.key,
  payload?: Record<string, unknown>,
) {
  return t.app.inject({ method, url, headers: auth(key), ...(payload !== undefined ? { payload } : {}) });
}

test('create shows the secret once; list and get never do; other tenants see 404', async () => {
  const res = await call('POST', '/api/webhooks', t.tenantA.key, {
    url: receiver.url('/a'),
    description: 'CI',
    events: ['analysis.completed', 'analysis.stage_completed'],
  });
  assert.equal(res.statusCode, 201, res.body);
  const created = res.json();
  assert.match(created.secret, /^whsec_/);
  assert.equal(res.headers.location, `/api/webhooks/${created.id}`);
  const list = (await call('GET', '/api/webhooks')).json();
  assert.equal(list.data.length, 1);
  assert.equal(list.data[0].secret, undefined);
  assert.equal((await call('GET', `/api/webhooks/${created.id}`)).json().description, 'CI');
  assert.equal((await call('GET', `/api/webhooks/${created.id}`, t.tenantB.key)).statusCode, 404);
  assert.equal((await call('GET', '/api/webhooks', t.tenantB.key)).json().data.length, 0);
  assert.equal((await call('DELETE', `/api/webhooks/${created.id}`, t.tenantB.key)).statusCode, 404);
  const patched = await call('PATCH', `/api/webhooks/${created.id}`, t.tenantA.key, { enabled: false });
  assert.equal(patched.json().enabled, false);
  assert.equal(patched.json().disabled_reason, 'disabled by the user');
  assert.equal((await call('DELETE', `/api/webhooks/${created.id}`)).statusCode, 204);
  assert.equal((await call('GET', `/api/webhooks/${created.id}`)).statusCode, 404);
});

test('bad URLs answer 422 with a clear code', async () => {
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ url: 'http://10.1.2.3/x' }, 422, 'WEBHOOK_URL_FORBIDDEN'],
    [{ url: 'http://127.0.0.1:1/x' }, 422, 'WEBHOOK_URL_FORBIDDEN'],
    [{ url: 'file:///etc/passwd' }, 422, 'WEBHOOK_URL_INVALID'],
    [{ url: `https://example.com/${'x'.repeat(2048)}` }, 422, 'WEBHOOK_URL_INVALID'],
    [{ url: receiver.url('/x'), events: ['analysis.nope'] }, 422, 'VALIDATION_FAILED'],
    [{ url: receiver.url('/x'), extra: 1 }, 422, 'VALIDATION_FAILED'],
  ];
  for (const [body, status, code] of cases) {
    const res = await call('POST', '/api/webhooks', t.tenantA.key, body);
    assert.equal(res.statusCode, status, JSON.stringify(body));
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json().code, code, JSON.stringify(body));
  }
});

test('test ping, delivery log, redeliver, rotation', async () => {
  const created = (await call('POST', '/api/webhooks', t.tenantA.key, { url: receiver.url('/ping') })).json();
  const ping = await call('POST', `/api/webhooks/${created.id}/test`);
  assert.equal(ping.statusCode, 200, ping.body);
  const d = ping.json();
  assert.equal(d.state, 'delivered');
  assert.equal(d.attempt_log[0].status_code, 204);
  const got = receiver.at('/ping')[0]!;
  assert.equal(got.headers['webhook-id'], d.webhook_id);
  assert.equal((new Webhook(created.secret).verify(got.body, got.headers) as { type: string }).type, 'webhook.test');

  await call('POST', `/api/webhooks/${created.id}/test`);
  const page1 = (await call('GET', `/api/webhooks/${created.id}/deliveries?limit=1`)).json();
  assert.equal(page1.data.length, 1);
  assert.ok(page1.next_cursor);
  const page2 = (
    await call('GET', `/api/webhooks/${created.id}/deliveries?limit=1&cursor=${page1.next_cursor}`)
  ).json();
  assert.equal(page2.data.length, 1);
  assert.notEqual(page2.data[0].id, page1.data[0].id);
  assert.equal((await call('GET', `/api/webhooks/${created.id}/deliveries?cursor=zzz`)).statusCode, 400);

  const one = await call('GET', `/api/webhook-deliveries/${d.id}`);
  assert.equal(one.json().attempt_log.length, 1);
  assert.equal((await call('GET', `/api/webhook-deliveries/${d.id}`, t.tenantB.key)).statusCode, 404);
  const again = await call('POST', `/api/webhook-deliveries/${d.id}/redeliver`);
  assert.equal(again.statusCode, 202);
  assert.equal(again.json().state, 'pending');

  const rotated = (await call('POST', `/api/webhooks/${created.id}/rotate-secret`, t.tenantA.key, {})).json();
  assert.notEqual(rotated.secret, created.secret);
  assert.ok(rotated.previous_secret_expires_at);
});

test("a request's own webhook_url, sent with the submission, gets its callback from a real worker", async () => {
  const secret = (await call('POST', '/api/webhooks/tenant-secret', t.tenantA.key, {})).json().secret;
  assert.match(secret, /^whsec_/);
  // Refused like an endpoint's URL, before anything is stored.
  const refusals = [
    ['ftp://example.com/x', 'WEBHOOK_URL_INVALID'],
    [`https://example.com/${'a'.repeat(2100)}`, 'WEBHOOK_URL_INVALID'],
    ['http://169.254.169.254/latest/meta-data', 'WEBHOOK_URL_FORBIDDEN'],
  ] as const;
  for (const [url, code] of refusals) {
    const r = await call('POST', '/api/media/analyze', t.tenantA.key, {
      prompt: 'p',
      media_url: 'https://example.com/x.mp4',
      webhook_url: url,
    });
    assert.equal(r.statusCode, 422, r.body);
    assert.equal(r.json().code, code);
  }
  const res = await call('POST', '/api/media/analyze', t.tenantA.key, {
    prompt: 'p',
    media_url: 'https://example.com/x.mp4',
    webhook_url: receiver.url('/own'),
  });
  assert.equal(res.statusCode, 202, res.body);
  const a = (await analysisRepository.findById(t.db.db, res.json().analysis_id))!;
  assert.equal(a.status, 'pending');
  const cancelled = await call('POST', `/api/media/${a.id}/cancel`, t.tenantA.key, {});
  assert.equal(cancelled.statusCode, 200, cancelled.body);
  // The worker (and its webhook dispatcher) starts once the analysis is cancelled: no race with a pickup.
  await t.startWorker({ concurrency: 1 });
  const [got] = await waitFor(async () => (receiver.at('/own').length ? receiver.at('/own') : null));
  const payload = new Webhook(secret).verify(got!.body, got!.headers) as {
    type: string;
    data: { analysis_id: string };
  };
  assert.equal(payload.type, 'analysis.cancelled');
  assert.equal(payload.data.analysis_id, a.id);
  const log = (await call('GET', `/api/webhook-deliveries?analysis_id=${a.id}`)).json();
  // The endpoint registered above gets the cancellation too; the request's own URL is the one without an endpoint.
  assert.deepEqual(log.data.map((d: { endpoint_id: string | null }) => d.endpoint_id === null).sort(), [false, true]);
});
