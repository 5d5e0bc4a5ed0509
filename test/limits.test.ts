/** Per-key rate limits (429 + Retry-After + RateLimit headers) and the per-tenant cap on concurrent analyses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createTestApp, auth, waitFor } from './helpers/app.ts';
import { startMediaServer } from './helpers/media-server.ts';

test('each API key has its own budget; over it: 429 problem+json with Retry-After and RateLimit headers', async () => {
  const t = await createTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' });
  try {
    const get = (key: string) => t.app.inject({ url: '/api/media/history', headers: auth(key) });
    for (let i = 0; i < 5; i++) {
      const ok = await get(t.tenantA.key);
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['ratelimit-limit'], '5');
      assert.equal(ok.headers['ratelimit-remaining'], String(4 - i));
    }
    const limited = await get(t.tenantA.key);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().code, 'RATE_LIMITED');
    assert.match(String(limited.headers['content-type']), /problem\+json/);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.ok(limited.headers['ratelimit-reset']);
    assert.equal((await get(t.tenantB.key)).statusCode, 200, 'another key is not affected');
    assert.equal((await t.app.inject({ url: '/health' })).statusCode, 200, 'health is never limited');
  } finally {
    await t.close();
  }
});

test('over the tenant cap, analyses wait in pending instead of being refused, then all finish', async () => {
  const server = await startMediaServer();
  const t = await createTestApp({ DOWNLOAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`, RATE_LIMIT_MAX: '0' });
  try {
    server.routes.set('/slow.txt', {
      kind: 'drip',
      data: Buffer.from('slow text body\n'.repeat(40)),
      chunk: 100,
      everyMs: 100,
    });
    await t.startWorker({ concurrency: 4, tenantMaxConcurrent: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/media/analyze',
        headers: auth(t.tenantA.key),
        payload: { prompt: `p${i}`, media_url: server.url('/slow.txt') },
      });
      assert.equal(res.statusCode, 202);
      ids.push(res.json().analysis_id);
    }
    let maxProcessing = 0;
    await waitFor(
      async () => {
        const r = await sql<{
          status: string;
          n: number;
        }>`SELECT status, count(*)::int AS n FROM media_analysis_requests GROUP BY status`.execute(t.db.db);
        const processing = r.rows.find((x) => x.status === 'processing')?.n ?? 0;
        maxProcessing = Math.max(maxProcessing, processing);
        return (r.rows.find((x) => x.status === 'completed')?.n ?? 0) === 3;
      },
      30_000,
      25,
    );
    assert.equal(maxProcessing, 1, 'never more than the cap at once');
  } finally {
    await t.close();
    await server.close();
  }
});
