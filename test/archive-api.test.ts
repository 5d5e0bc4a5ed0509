/** Archived analyses through the API: status, history with include_archived, retry, cancel, delete. */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { archiveOldAnalyses } from '../src/domain/analysis/archive.service.ts';
import { repositories } from '../src/persistence/repositories.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

/** An analysis of `tenant` in `status`, created `createdDaysAgo` days ago and last changed a day later. */
async function seed(
  status: string,
  createdDaysAgo: number,
  tenant = t.tenantA.tenant,
  partial = false,
): Promise<string> {
  const id = crypto.randomUUID();
  await t.db.pool.query(
    `INSERT INTO media_analysis_requests
       (id, correlation_id, prompt, prompt_hash, source_url, media_type, status, progress, tenant_id,
        created_at, updated_at, completed_at, deleted_at, results, error_code)
     VALUES ($1::uuid, 'c-' || $1::text, 'describe', repeat('a', 64), 'https://example.com/a.mp4', 'video', $2::text,
             CASE WHEN $2::text = 'completed' THEN 100 ELSE 0 END, $3,
             now() - make_interval(secs => $4::float8 * 86400),
             now() - make_interval(secs => ($4::float8 - 1) * 86400),
             now() - make_interval(secs => ($4::float8 - 1) * 86400),
             CASE WHEN $2::text = 'deleted' THEN now() - make_interval(secs => ($4::float8 - 1) * 86400) END,
             CASE WHEN $2::text = 'completed' THEN '{"summary":"ok"}'::jsonb || CASE WHEN $5::boolean THEN '{"partial":true}'::jsonb ELSE '{}' END END,
             CASE WHEN $2::text = 'failed' THEN 'PROVIDER_ERROR' END)`,
    [id, status, tenant, createdDaysAgo, partial],
  );
  return id;
}

const archive = () => archiveOldAnalyses(t.db.db, repositories, 90);

async function isArchived(id: string): Promise<boolean> {
  return (await t.db.pool.query('SELECT 1 FROM media_analysis_archive WHERE id = $1', [id])).rowCount === 1;
}

function get(url: string, key = t.tenantA.key) {
  return t.app.inject({ method: 'GET', url, headers: auth(key) });
}

describe('GET /{id} of an archived analysis', () => {
  test('answers 200 like a live finished one plus archived/archived_at, on every path; another tenant 404', async () => {
    const id = await seed('completed', 200);
    const live = await seed('completed', 2);
    await t.db.pool.query(
      `INSERT INTO media_analysis_results (analysis_id, provider, model, prompt_used, latency_ms, answer)
       VALUES ($1, 'fake', 'm1', 'describe', 12, 'a cat')`,
      [id],
    );
    assert.ok((await archive()) >= 1);
    assert.ok(await isArchived(id));

    const liveBody = (await get(`/api/media/${live}`)).json();
    assert.equal(liveBody.archived, undefined, 'a live analysis has no archive fields');
    for (const url of [`/api/media/${id}`, `/api/media/status/${id}`, `/api/v1/media/${id}`]) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      const body = res.json();
      assert.equal(body.analysis_id, id);
      assert.equal(body.status, 'completed');
      assert.deepEqual(body.results, { summary: 'ok' });
      assert.equal(body.result_summary, 'ok');
      assert.equal(body.archived, true);
      assert.ok(Date.parse(body.archived_at) > Date.now() - 60_000);
      assert.deepEqual(body.stages, []);
      assert.deepEqual(Object.keys(body).sort(), [...Object.keys(liveBody), 'archived', 'archived_at'].sort());
    }
    const cached = await get(`/api/media/${id}`);
    assert.equal(cached.headers['x-cache'], 'hit');
    assert.equal(cached.json().archived, true);

    for (const url of [`/api/media/${id}`, `/api/media/status/${id}`, `/api/v1/media/${id}`])
      assert.equal((await get(url, t.tenantB.key)).statusCode, 404, url);
    assert.equal((await get(`/api/media/${id}/result.json`)).statusCode, 200, 'exports read the archive too');
    const events = await get(`/api/media/${id}/events`);
    assert.equal(events.statusCode, 200, 'the event stream answers with the final state and ends');
    assert.match(events.body, /event: completed/);
    assert.equal((await get(`/api/media/${id}/events`, t.tenantB.key)).statusCode, 404);
  });

  test('a cached live status is dropped when the analysis is archived', async () => {
    const id = await seed('completed', 300);
    await get(`/api/media/${id}`);
    assert.equal((await get(`/api/media/${id}`)).headers['x-cache'], 'hit');
    assert.ok((await archive()) >= 1);
    const body = await waitFor(async () => {
      const b = (await get(`/api/media/${id}`)).json();
      return b.archived === true ? b : undefined;
    }, 5_000);
    assert.equal(body.status, 'completed');
  });

  test('an analysis deleted before it was archived answers 410', async () => {
    const id = await seed('deleted', 150);
    await archive();
    assert.ok(await isArchived(id));
    assert.equal((await get(`/api/media/${id}`)).statusCode, 410);
  });
});

describe('GET /history?include_archived=true', () => {
  let expected: string[];
  let archivedIds: Set<string>;
  let liveCount: number;
  let historyKey: string;
  const partialIds = new Set<string>();
  before(async () => {
    // A fresh tenant, so earlier tests' rows do not matter; live and archived interleave in time.
    const key = await t.keys.create('tenant-history', 'H');
    historyKey = key.key;
    const tenant = 'tenant-history';
    const rows: Array<{ id: string; days: number; archived: boolean }> = [];
    for (let i = 0; i < 7; i++) {
      const days = i % 2 === 0 ? 100 + i : 95 + i - 0.5;
      // Completed with a failed optional stage: one archived (i = 1), one live (i = 2).
      const archivedId = await seed(i % 3 === 0 ? 'failed' : 'completed', days, tenant, i === 1);
      const liveId = await seed('completed', 10 + i, tenant, i === 2);
      if (i === 1) partialIds.add(archivedId);
      if (i === 2) partialIds.add(liveId);
      rows.push({ id: archivedId, days, archived: true });
      rows.push({ id: liveId, days: 10 + i, archived: false });
    }
    await seed('deleted', 120, tenant); // archived, deleted: never listed
    await seed('completed', 130, t.tenantB.tenant); // another tenant's archive
    await archive();
    for (const r of rows) assert.equal(await isArchived(r.id), r.archived);
    expected = rows.sort((a, b) => a.days - b.days).map((r) => r.id);
    archivedIds = new Set(rows.filter((r) => r.archived).map((r) => r.id));
    liveCount = rows.length - archivedIds.size;
  });
  const page = (query: string) => get(`/api/media/history?${query}`, historyKey);

  test('default history is unchanged: live rows only', async () => {
    const body = (await page('per_page=100')).json();
    assert.equal(body.pagination.total, liveCount);
    assert.ok(body.data.every((d: { archived?: boolean }) => d.archived === undefined));
  });

  test('cursor pages walk live and archived rows in created_at order, archived ones marked', async () => {
    const seen: Array<{ analysis_id: string; archived?: boolean }> = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await page(`include_archived=true&per_page=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.pagination.total, expected.length);
      seen.push(...body.data);
      cursor = body.pagination.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(
      seen.map((s) => s.analysis_id),
      expected,
    );
    for (const s of seen) assert.equal(s.archived === true, archivedIds.has(s.analysis_id), s.analysis_id);
  });

  test('the partial flag is read from live and archived results alike', async () => {
    const body = (await page('include_archived=true&per_page=100')).json();
    const flagged = body.data
      .filter((d: { partial: boolean }) => d.partial === true)
      .map((d: { analysis_id: string }) => d.analysis_id);
    assert.deepEqual(new Set(flagged), partialIds);
    assert.equal(partialIds.size, 2);
    const live = (await page('per_page=100')).json();
    assert.deepEqual(
      live.data.filter((d: { partial: boolean }) => d.partial).map((d: { analysis_id: string }) => d.analysis_id),
      [...partialIds].filter((id) => !archivedIds.has(id)),
    );
  });

  test('offset pages, ascending order and updated_at sort span both tables', async () => {
    const p2 = (await page('include_archived=true&per_page=4&page=2')).json();
    assert.deepEqual(
      p2.data.map((d: { analysis_id: string }) => d.analysis_id),
      expected.slice(4, 8),
    );
    const asc: string[] = [];
    let cursor: string | null = null;
    do {
      const body: { data: Array<{ analysis_id: string }>; pagination: { next_cursor: string | null } } = (
        await page(`include_archived=true&per_page=5&sort_by=updated_at&order=asc${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      asc.push(...body.data.map((d: { analysis_id: string }) => d.analysis_id));
      cursor = body.pagination.next_cursor;
    } while (cursor);
    assert.deepEqual(asc, [...expected].reverse());
    const failed = (await page('include_archived=true&status=failed&per_page=100')).json();
    assert.ok(failed.data.length >= 1 && failed.data.every((d: { status: string }) => d.status === 'failed'));
    assert.equal(failed.pagination.total, failed.data.length);
  });

  test('live-only ascending cursor pages neither repeat nor skip rows (microsecond timestamps)', async () => {
    const live = expected.filter((id) => !archivedIds.has(id)).reverse();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const body: { data: Array<{ analysis_id: string }>; pagination: { next_cursor: string | null } } = (
        await page(`per_page=2&order=asc${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...body.data.map((d) => d.analysis_id));
      cursor = body.pagination.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, live);
  });

  test('include_archived must be a boolean', async () => {
    assert.equal((await page('include_archived=maybe')).statusCode, 400);
  });
});

describe('transitions of an archived analysis', () => {
  const post = (id: string, action: string, key = t.tenantA.key) =>
    t.app.inject({ method: 'POST', url: `/api/media/${id}/${action}`, headers: auth(key) });
  const del = (id: string, key = t.tenantA.key) =>
    t.app.inject({ method: 'DELETE', url: `/api/media/${id}`, headers: auth(key) });

  test('retry of an archived failed analysis restores it and retries it; another tenant gets 404', async () => {
    const id = await seed('failed', 210);
    await t.db.pool.query(
      `INSERT INTO media_analysis_results (analysis_id, provider, model, prompt_used, latency_ms)
       VALUES ($1, 'fake', 'm1', 'describe', 5)`,
      [id],
    );
    await archive();
    assert.ok(await isArchived(id));
    assert.equal((await get(`/api/media/${id}`)).json().archived, true, 'cached as archived');
    assert.equal((await post(id, 'retry', t.tenantB.key)).statusCode, 404);
    assert.ok(await isArchived(id));

    const res = await post(id, 'retry');
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'pending');
    assert.equal(body.retry_count, 1);
    assert.equal(body.archived, undefined);
    assert.equal(await isArchived(id), false);
    const row = await t.db.pool.query('SELECT status, job_id FROM media_analysis_requests WHERE id = $1', [id]);
    assert.equal(row.rows[0].status, 'pending');
    assert.ok(row.rows[0].job_id);
    const results = await t.db.pool.query('SELECT 1 FROM media_analysis_results WHERE analysis_id = $1', [id]);
    assert.equal(results.rowCount, 1, 'model results came back with it');
    const after = (await get(`/api/media/${id}`)).json();
    assert.equal(after.status, 'pending', 'the cached archived status was dropped');
    assert.equal(after.archived, undefined);
  });

  test('retry or cancel of an archived completed analysis answers like a live one (409) and leaves it archived', async () => {
    const archived = await seed('completed', 220);
    const live = await seed('completed', 3);
    await archive();
    for (const action of ['retry', 'cancel']) {
      const [a, l] = [await post(archived, action), await post(live, action)];
      assert.equal(a.statusCode, 409, action);
      assert.equal(a.statusCode, l.statusCode);
      assert.equal(a.json().code, l.json().code);
    }
    assert.ok(await isArchived(archived));
  });

  test('delete of an archived analysis: restored and soft-deleted (410 after), audited; other tenant 404', async () => {
    const id = await seed('cancelled', 230);
    await archive();
    assert.ok(await isArchived(id));
    assert.equal((await del(id, t.tenantB.key)).statusCode, 404);
    assert.ok(await isArchived(id));

    assert.equal((await del(id)).statusCode, 204);
    assert.equal(await isArchived(id), false);
    const row = await t.db.pool.query('SELECT status, deleted_at FROM media_analysis_requests WHERE id = $1', [id]);
    assert.equal(row.rows[0].status, 'deleted');
    assert.ok(row.rows[0].deleted_at);
    const audit = await t.db.pool.query(`SELECT 1 FROM audit_log WHERE record_id = $1 AND action = 'delete'`, [id]);
    assert.equal(audit.rowCount, 1);
    assert.equal((await get(`/api/media/${id}`)).statusCode, 410);
    assert.equal((await del(id)).statusCode, 410);
    const history = (await get('/api/media/history?include_archived=true&per_page=100')).json();
    assert.ok(!history.data.some((d: { analysis_id: string }) => d.analysis_id === id));
  });
});
