/**
 * Cache-aside and degradation: cached status and history, invalidation on every
 * change (also from other processes, through NOTIFY), Redis failing over to the
 * in-process cache with no errors, and PostgreSQL going away: stale reads from cache,
 * fast 503 + Retry-After for writes, recovery on its own.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { AppCache } from '../src/cache/cache.ts';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../src/persistence/embedded-postgres.ts';
import { freePort } from './helpers/net.ts';

const submit = (t: TestApp, prompt = 'p') =>
  t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: auth(t.tenantA.key),
    payload: { prompt, media_url: 'https://example.com/a.mp4' },
  });

describe('cache-aside with invalidation', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  test('status: miss, then hit; a cancel shows at once; a change from another connection shows within moments', async () => {
    const id = (await submit(t)).json().analysis_id;
    const get = () => t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) });
    const first = await get();
    assert.equal(first.headers['x-cache'], 'miss');
    const second = await get();
    assert.equal(second.headers['x-cache'], 'hit');
    assert.deepEqual(second.json(), first.json());
    await t.app.inject({ method: 'POST', url: `/api/media/${id}/cancel`, headers: auth(t.tenantA.key) });
    assert.equal((await get()).json().status, 'cancelled');
    // Another process (a worker) changes the row: the NOTIFY drops the cached copy.
    const other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
    await other.query(`UPDATE media_analysis_requests SET metadata = '{"touched":true}' WHERE id = $1`, [id]);
    await other.end();
    await waitFor(async () => (await get()).json().metadata.touched === true, 2000, 20);
  });

  test('history pages are cached per tenant and retired by a new analysis', async () => {
    const url = '/api/media/history?per_page=5';
    const a = await t.app.inject({ url, headers: auth(t.tenantB.key) });
    assert.equal(a.headers['x-cache'], undefined);
    const b = await t.app.inject({ url, headers: auth(t.tenantB.key) });
    assert.equal(b.headers['x-cache'], 'hit');
    await submit({ ...t, tenantA: t.tenantB } as TestApp, 'new one');
    const c = await t.app.inject({ url, headers: auth(t.tenantB.key) });
    assert.equal(c.headers['x-cache'], undefined);
    assert.equal(c.json().pagination.total, a.json().pagination.total + 1);
  });
});

describe('a load that raced a change is not stored', () => {
  test('a drop after the load began wins over the loaded value; loads after it are stored', async () => {
    const c = new AppCache({});
    const before = c.loadToken();
    await c.del('status:t:1'); // the row changed while `before`'s load was in flight
    assert.equal(await c.set('status:t:1', 'processing', 300, before), false);
    assert.equal(await c.get('status:t:1'), null);
    const after = c.loadToken();
    assert.equal(await c.set('status:t:1', 'failed', 300, after), true);
    assert.equal(await c.get('status:t:1'), 'failed');
    // Other keys are not affected by that drop.
    assert.equal(await c.set('status:t:2', 'x', 300, before), true);
  });

  test('after missed notifications every copy goes and older loads are refused', async () => {
    const c = new AppCache({});
    await c.set('status:t:1', 'a', 300);
    const inFlight = c.loadToken();
    c.invalidateAll();
    assert.equal(await c.get('status:t:1'), null);
    assert.equal(await c.set('status:t:2', 'b', 300, inFlight), false);
    assert.equal(await c.set('status:t:2', 'b', 300, c.loadToken()), true);
  });
});

describe(
  'Redis, and Redis going away',
  { skip: spawnSync('redis-server', ['--version']).status !== 0 && 'redis-server is not installed' },
  () => {
    let redis: ChildProcess;
    let port: number;
    before(async () => {
      port = await freePort();
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      await waitFor(
        async () =>
          new Promise<boolean>((resolve) => {
            const s = net.connect(port, '127.0.0.1', () => {
              s.end();
              resolve(true);
            });
            s.on('error', () => resolve(false));
          }),
        5000,
      );
    });
    after(() => {
      redis.kill('SIGKILL');
    });

    test('shared through Redis; when Redis stops, lookups fall back to memory with zero errors surfaced', async () => {
      const a = new AppCache({ redisUrl: `redis://127.0.0.1:${port}` });
      const b = new AppCache({ redisUrl: `redis://127.0.0.1:${port}` });
      // Closed whatever happens: a live client keeps reconnecting and the test process would never exit.
      try {
        // Both clients connected: with the offline queue off, a command before that goes to memory.
        await waitFor(async () => a.redisClient?.status === 'ready' && b.redisClient?.status === 'ready', 5000);
        await a.set('k', 'v', 60);
        assert.equal(await b.get('k'), 'v', 'another process sees it through Redis');
        await b.del('k');
        assert.equal(await a.get('k'), null, 'deleted everywhere');
        redis.kill('SIGKILL');
        await waitFor(async () => a.redisClient?.status !== 'ready', 5000);
        let failures = 0;
        for (let i = 0; i < 200; i++) {
          try {
            await a.set(`x${i}`, String(i), 60);
            assert.equal(await a.get(`x${i}`), String(i));
          } catch {
            failures++;
          }
        }
        assert.equal(failures, 0);
        assert.equal(await a.ping(), 'down');
        assert.ok(a.stats.errors > 0);
        assert.equal(a.breaker.status.state, 'open', 'the Redis circuit opened, so calls stop waiting on it');
      } finally {
        await a.close();
        await b.close();
      }
    });
  },
);

describe('PostgreSQL going away', () => {
  let pgHandle: EmbeddedHandle;
  let t: TestApp;
  let dataDir: string;
  let pgPort: number;
  const savedUrl = process.env.DATABASE_URL;
  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-pgdown-'));
    await fs.chmod(dataDir, 0o755);
    pgPort = await freePort();
    pgHandle = await startEmbeddedPostgres({ dataDir, port: pgPort, database: 'postgres' });
    process.env.DATABASE_URL = pgHandle.connectionString;
    t = await createTestApp({ DATABASE_CONNECT_TIMEOUT_MS: '1000' });
  });
  after(async () => {
    await t.close().catch(() => undefined);
    await pgHandle.stop().catch(() => undefined);
    process.env.DATABASE_URL = savedUrl;
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('reads come from cache marked stale, writes get 503 + Retry-After within 1 s, and it recovers by itself', async () => {
    const id = (await submit(t)).json().analysis_id;
    assert.equal(
      (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).statusCode,
      200,
    );
    await pgHandle.stop();
    // Drop the cached copy's freshness so the read has to go to the (absent) database.
    await t.cache.set(
      `status:${t.tenantA.tenant}:${id}`,
      (await t.cache.get(`status:${t.tenantA.tenant}:${id}`))!,
      0.001,
    );
    await waitFor(async () => (await t.cache.get(`status:${t.tenantA.tenant}:${id}`)) === null, 2000, 5);
    const stale = await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) });
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.headers['x-cache'], 'stale');
    assert.match(String(stale.headers.warning), /stale/);
    const started = Date.now();
    const write = await submit(t, 'during outage');
    assert.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`);
    assert.equal(write.statusCode, 503);
    assert.equal(write.json().code, 'SERVICE_UNAVAILABLE');
    assert.equal(write.headers['retry-after'], '5');
    assert.doesNotMatch(write.body, /ECONNREFUSED|127\.0\.0\.1|password/);
    const ready = await t.app.inject({ url: '/health/ready' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().status, 'offline');
    // After a few failed connects the database circuit opens: answers no longer even try.
    for (let i = 0; i < 3; i++) await submit(t, 'x');
    const open = (await t.app.inject({ url: '/health/ready' })).json();
    assert.equal(open.checks.database.circuit, 'open');
    const fast = Date.now();
    assert.equal((await submit(t, 'y')).statusCode, 503);
    assert.ok(Date.now() - fast < 200);

    pgHandle = await startEmbeddedPostgres({ dataDir, port: pgPort, database: 'postgres' });
    const recovered = await waitFor(
      async () => {
        const r = await submit(t, 'after outage');
        return r.statusCode === 202 ? r : null;
      },
      15_000,
      200,
    );
    assert.equal(recovered.statusCode, 202);
    assert.equal((await t.app.inject({ url: '/health/ready' })).statusCode, 200);
  });
});

describe('pool exhaustion', () => {
  test('more concurrent requests than connections queue briefly, then get 503 + Retry-After', async () => {
    // 1.5 s: long enough for the app's own first connection on a loaded machine (300 ms was not).
    const t = await createTestApp({ DATABASE_POOL_MAX: '1', DATABASE_CONNECT_TIMEOUT_MS: '1500' });
    try {
      const held = await t.db.pool.connect();
      const started = Date.now();
      const res = await submit(t, 'no connection left');
      const waited = Date.now() - started;
      held.release();
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.headers['retry-after'], '5');
      // It waited for a connection about DATABASE_CONNECT_TIMEOUT_MS, then gave up: not at once and
      // not for ever (the upper bound leaves room for a loaded machine; it is not a speed figure).
      assert.ok(waited >= 1_400 && waited < 10_000, `waited ${waited} ms`);
      assert.equal((await submit(t, 'after')).statusCode, 202);
    } finally {
      await t.close();
    }
  });
});
