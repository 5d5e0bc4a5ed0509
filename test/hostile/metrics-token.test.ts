/** /metrics shows every tenant's counts: with METRICS_TOKEN set, it needs that bearer token (issue #10, defect 8). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../helpers/app.ts';

test('with METRICS_TOKEN, /metrics answers 401 without the token, a wrong token or an API key; 200 with it', async () => {
  const t = await createTestApp({ METRICS_TOKEN: 'scrape-secret-123' });
  try {
    const get = (headers: Record<string, string>) => t.app.inject({ url: '/metrics', headers });
    const none = await get({});
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'UNAUTHORIZED');
    assert.equal((await get({ authorization: 'Bearer scrape-secret-12' })).statusCode, 401);
    assert.equal((await get({ authorization: `Bearer ${t.tenantA.key}` })).statusCode, 401);
    const ok = await get({ authorization: 'Bearer scrape-secret-123' });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /media_analysis_http_connections_closed_total/);
  } finally {
    await t.close();
  }
});
