/**
 * Rate limits and caps on every tenant route (issue #25, defect 5): the per-key limit
 * covers webhooks (test pings included), deliveries, exports and event streams, with
 * RateLimit headers; a tenant's webhook endpoints and open streams are capped; and an
 * address presenting bad keys is refused before each key costs a query.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createTestApp, auth, type TestApp } from '../helpers/app.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

describe('limits, round 3', () => {
  let t: TestApp;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    t = await createTestApp({
      RATE_LIMIT_MAX: '20',
      RATE_LIMIT_WINDOW_MS: '60000',
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      WEBHOOK_MAX_ENDPOINTS: '2',
      SSE_MAX_STREAMS_PER_TENANT: '2',
      AUTH_FAILURE_LIMIT: '5',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  test('webhook test pings are limited per key with RateLimit headers; the receiver gets no more than the budget', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: auth(t.tenantA.key),
      payload: { url: receiver.url('/hook') },
    });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json<{ id: string }>().id;
    const codes: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await t.app.inject({ method: 'POST', url: `/api/webhooks/${id}/test`, headers: auth(t.tenantA.key) });
      codes.push(r.statusCode);
      if (r.statusCode !== 429) assert.ok(r.headers['ratelimit-limit'], 'RateLimit headers on a webhook route');
      else assert.equal(r.json<{ code: string }>().code, 'RATE_LIMITED');
    }
    assert.ok(codes.includes(429), `no 429 in ${codes.join(',')}`);
    assert.ok(receiver.received.length <= 20, `${receiver.received.length} pings reached the receiver`);
    // Another key's budget is its own.
    const other = await t.app.inject({ url: '/api/webhooks', headers: auth(t.tenantB.key) });
    assert.equal(other.statusCode, 200);
  });

  test('a tenant may register at most WEBHOOK_MAX_ENDPOINTS endpoints', async () => {
    const create = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: auth(t.tenantB.key),
        payload: { url: receiver.url('/b') },
      });
    assert.equal((await create()).statusCode, 201);
    assert.equal((await create()).statusCode, 201);
    const third = await create();
    assert.equal(third.statusCode, 409);
    assert.equal(third.json<{ code: string }>().code, 'WEBHOOK_ENDPOINT_LIMIT');
  });

  test('open event streams are capped per tenant', async () => {
    const { key } = await t.keys.create(t.tenantA.tenant, 'streams');
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const stop = new AbortController();
    const open = () =>
      fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${key}` }, signal: stop.signal });
    try {
      const first = await open();
      const second = await open();
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      const third = await open();
      assert.equal(third.status, 429);
      assert.equal(((await third.json()) as { code: string }).code, 'TOO_MANY_STREAMS');
    } finally {
      stop.abort();
    }
  });

  test('an address presenting bad keys is refused after AUTH_FAILURE_LIMIT failures; good keys are not', async () => {
    const bad = 'ma_00000000_' + 'x'.repeat(32);
    // A fresh key (tenant A's spent its budget above) is verified, and cached, before the flood.
    const { key: verified } = await t.keys.create(t.tenantB.tenant, 'verified');
    assert.equal((await t.app.inject({ url: '/api/media/history', headers: auth(verified) })).statusCode, 200);
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await t.app.inject({
        url: '/api/media/history',
        headers: auth(bad),
        remoteAddress: '203.0.113.9',
      });
      codes.push(r.statusCode);
    }
    assert.deepEqual(codes, [401, 401, 401, 401, 401, 429, 429, 429]);
    // A key verified moments ago still works from that address (clients behind one proxy).
    const sameAddress = await t.app.inject({
      url: '/api/media/history',
      headers: auth(verified),
      remoteAddress: '203.0.113.9',
    });
    assert.equal(sameAddress.statusCode, 200);
    const good = await t.app.inject({
      url: '/api/media/history',
      headers: auth(t.tenantB.key),
      remoteAddress: '203.0.113.10',
    });
    assert.equal(good.statusCode, 200);
  });
});
