/** The HTTP contract, through app.inject() against a real database. */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { sql } from 'kysely';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';
import { ApiKeyService } from '../src/domain/tenant/api-key.service.ts';
import { repositories } from '../src/persistence/repositories.ts';
import { fixtures } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: '4096', MAX_UPLOAD_BYTES: '100000' });
});
after(async () => {
  await t.close();
});

async function submit(
  key = t.tenantA.key,
  body: Record<string, unknown> = { prompt: 'Describe it', media_url: 'https://example.com/a.mp4' },
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(key), ...headers },
    payload: body,
  });
}

async function countRows(table: 'media_analysis_requests' | 'audit_log' | 'media_files'): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(t.db.db);
  return r.rows[0]!.n;
}

async function countJobs(): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker.jobs`.execute(t.db.db);
  return r.rows[0]!.n;
}

describe('POST /api/media/analyze', () => {
  test('202 with Location, correlation id from X-Request-Id, row + audit + job committed together', async () => {
    const [rows, audits, jobs] = [
      await countRows('media_analysis_requests'),
      await countRows('audit_log'),
      await countJobs(),
    ];
    const res = await submit(
      t.tenantA.key,
      {
        prompt: 'What happens?',
        media_url: 'https://example.com/v.mp4',
        media_type: 'video',
        config: { model: 'm', max_tokens: 100, temperature: 0.2 },
        options: { extract_frames: true },
        metadata: { source: 'test' },
      },
      { 'x-request-id': 'req-123' },
    );
    assert.equal(res.statusCode, 202);
    const body = res.json();
    assert.equal(body.status, 'pending');
    assert.equal(body.correlation_id, 'req-123');
    assert.equal(res.headers['x-request-id'], 'req-123');
    assert.equal(res.headers.location, `/api/media/status/${body.analysis_id}`);
    assert.equal(typeof body.estimated_time, 'number');
    assert.equal(await countRows('media_analysis_requests'), rows + 1);
    assert.equal(await countRows('audit_log'), audits + 1);
    assert.equal(await countJobs(), jobs + 1);
    const row = await t.db.db
      .selectFrom('media_analysis_requests')
      .selectAll()
      .where('id', '=', body.analysis_id)
      .executeTakeFirstOrThrow();
    assert.equal(row.tenant_id, 'tenant-a');
    assert.equal(row.correlation_id, 'req-123');
    assert.match(row.prompt_hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(row.analysis_config, { model: 'm', max_tokens: 100, temperature: 0.2 });
    assert.ok(row.job_id);
  });

  test('an insane X-Request-Id is replaced by a generated one', async () => {
    const res = await submit(t.tenantA.key, undefined, { 'x-request-id': 'bad id with spaces <script>' });
    assert.equal(res.statusCode, 202);
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('same prompt, config and media give the same prompt_hash', async () => {
    const a = (await submit()).json();
    const b = (await submit()).json();
    const rows = await t.db.db
      .selectFrom('media_analysis_requests')
      .select(['id', 'prompt_hash'])
      .where('id', 'in', [a.analysis_id, b.analysis_id])
      .execute();
    assert.equal(rows[0]!.prompt_hash, rows[1]!.prompt_hash);
  });

  test('malformed JSON → 400 problem+json', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), 'content-type': 'application/json' },
      payload: '{"prompt": ',
    });
    assert.equal(res.statusCode, 400);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    const p = res.json();
    assert.equal(p.code, 'MALFORMED_JSON');
    assert.equal(p.status, 400);
    assert.equal(p.request_id, res.headers['x-request-id']);
  });

  test('schema violations and unknown fields → 422 with field errors', async () => {
    const res = await submit(t.tenantA.key, {
      prompt: '',
      media_url: 'https://example.com/x',
      surprise: 1,
      config: { temperature: 9 },
    });
    assert.equal(res.statusCode, 422);
    const p = res.json();
    assert.equal(p.code, 'VALIDATION_FAILED');
    const fields = p.errors.map((e: { field: string }) => e.field).sort();
    assert.ok(fields.includes('surprise'), JSON.stringify(p.errors));
    assert.ok(fields.includes('prompt'));
    assert.ok(fields.includes('config.temperature'));
    // Said in words a user can act on, not as the schema's regular expressions.
    const message = (field: string) => p.errors.find((e: { field: string }) => e.field === field)?.message;
    assert.equal(message('prompt'), 'must not be empty');
    assert.equal(message('surprise'), 'unknown field');
    assert.equal(message('config.temperature'), 'must be at most 2');
    const worded = await submit(t.tenantA.key, { prompt: 'x', media_url: 'example.com/x', media_type: 'movie' });
    const errs = worded.json().errors as Array<{ field: string; message: string }>;
    assert.deepEqual(errs.find((e) => e.field === 'media_url')?.message, 'must be an http:// or https:// URL');
    assert.match(errs.find((e) => e.field === 'media_type')?.message ?? '', /^must be one of: video, audio, /);
  });

  test('missing media, non-http URL, and a URL with credentials → 422', async () => {
    for (const body of [
      { prompt: 'x' },
      { prompt: 'x', media_url: 'ftp://example.com/a' },
      { prompt: 'x', media_url: 'http://user:pw@example.com/a' },
    ]) {
      const res = await submit(t.tenantA.key, body);
      assert.equal(res.statusCode, 422, JSON.stringify(body));
      assert.equal(res.json().code, 'VALIDATION_FAILED');
    }
  });

  test('a media_url written as a forbidden address is refused at submit with 422 and nothing stored', async () => {
    const before = (
      await t.db.db
        .selectFrom('media_analysis_requests')
        .select(({ fn }) => fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:9000/a.mp4',
      'http://[::1]/a.mp4',
      'http://10.1.2.3/a.mp4',
      'http://localhost/a.mp4',
    ]) {
      const res = await submit(t.tenantA.key, { prompt: 'x', media_url: url });
      assert.equal(res.statusCode, 422, url);
      assert.equal(res.json().code, 'MEDIA_URL_FORBIDDEN', url);
    }
    const after = (
      await t.db.db
        .selectFrom('media_analysis_requests')
        .select(({ fn }) => fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    assert.equal(Number(after), Number(before));
    // A name is judged after resolution by the download guard, not here.
    assert.equal(
      (await submit(t.tenantA.key, { prompt: 'x', media_url: 'https://media.example.com/a.mp4' })).statusCode,
      202,
    );
  });

  test('a body without content → 422, wrong content type → 415', async () => {
    const empty = await t.app.inject({ method: 'POST', url: '/api/media/analyze', headers: auth(t.tenantA.key) });
    assert.equal(empty.statusCode, 422);
    const xml = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    assert.equal(xml.statusCode, 415);
    assert.equal(xml.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a body over the limit → 413', async () => {
    const res = await submit(t.tenantA.key, { prompt: 'x'.repeat(5000), media_url: 'https://example.com/a' });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'PAYLOAD_TOO_LARGE');
  });

  test('multipart upload is stored under uploads/{date}/{id}/ with sha-256 and a media_files row', async () => {
    const data = await fs.readFile(await fixtures.image());
    const mp = multipart(
      { prompt: 'Describe the image', options: JSON.stringify({ ocr: true }) },
      { name: 'photo.png', data, type: 'image/png' },
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...mp.headers },
      payload: mp.payload,
    });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().analysis_id;
    const file = await t.db.db
      .selectFrom('media_files')
      .selectAll()
      .where('analysis_id', '=', id)
      .executeTakeFirstOrThrow();
    assert.match(file.relative_path, new RegExp(`^uploads/\\d{4}-\\d{2}-\\d{2}/${id}/source$`));
    assert.equal(Number(file.size_bytes), data.length);
    assert.equal(file.retention_days, 7);
    assert.ok(file.expires_at);
    const stored = await fs.readFile(`${t.storageRoot}/${file.relative_path}`);
    assert.deepEqual(stored, data);
    const status = (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json();
    assert.equal(status.original_filename, 'photo.png');
    // GET /api/media/{id} is the documented form of the same answer.
    const same = (await t.app.inject({ url: `/api/media/${id}`, headers: auth(t.tenantA.key) })).json();
    assert.deepEqual(same, status);
  });

  test('multipart: too large → 413 and nothing left behind; bad fields → 422 and nothing left behind', async () => {
    const before = await countRows('media_files');
    const big = multipart({ prompt: 'x' }, { name: 'big.bin', data: Buffer.alloc(150_000, 1) });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...big.headers },
      payload: big.payload,
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'MEDIA_TOO_LARGE');
    const bad = multipart({ prompt: '', config: '{not json' }, { name: 'a.png', data: Buffer.from('abc') });
    const res2 = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...bad.headers },
      payload: bad.payload,
    });
    assert.equal(res2.statusCode, 422);
    const both = multipart(
      { prompt: 'x', media_url: 'https://example.com/a' },
      { name: 'a.png', data: Buffer.from('abc') },
    );
    const res3 = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...both.headers },
      payload: both.payload,
    });
    assert.equal(res3.statusCode, 422);
    const wrongField = multipart({ prompt: 'x' }, { name: 'a.png', data: Buffer.from('abc'), field: 'upload' });
    const res4 = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...wrongField.headers },
      payload: wrongField.payload,
    });
    assert.equal(res4.statusCode, 422);
    const empty = multipart({ prompt: 'x' }, { name: 'empty.bin', data: Buffer.alloc(0) });
    const res5 = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...empty.headers },
      payload: empty.payload,
    });
    assert.equal(res5.statusCode, 422);
    assert.equal(await countRows('media_files'), before);
    const leftovers = await fs.readdir(`${t.storageRoot}/uploads`, { recursive: true }).catch(() => []);
    const files = [];
    for (const f of leftovers) {
      const st = await fs.stat(`${t.storageRoot}/uploads/${f}`);
      if (st.isFile()) files.push(f);
    }
    const known = await t.db.db.selectFrom('media_files').select('relative_path').execute();
    assert.equal(files.length, known.length, `orphan files: ${files.join(', ')}`);
  });
});

describe('authentication', () => {
  test('missing, malformed and unknown keys → 401; X-API-Key works', async () => {
    const none = await t.app.inject({ url: '/api/media/history' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'UNAUTHORIZED');
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    const bad = await t.app.inject({ url: '/api/media/history', headers: auth('nope') });
    assert.equal(bad.statusCode, 401);
    const unknown = await t.app.inject({ url: '/api/media/history', headers: auth('ma_00000000_' + 'a'.repeat(32)) });
    assert.equal(unknown.statusCode, 401);
    const ok = await t.app.inject({ url: '/api/media/history', headers: { 'x-api-key': t.tenantA.key } });
    assert.equal(ok.statusCode, 200);
  });

  test('a revoked key stops working (after the short cache)', async () => {
    const { key, row } = await t.keys.create('tenant-c', 'C');
    assert.equal((await t.app.inject({ url: '/api/media/history', headers: auth(key) })).statusCode, 200);
    await t.db.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', row.id).execute();
    const fresh = new ApiKeyService(t.db.db, repositories);
    assert.equal(await fresh.authenticate(key), null);
  });
});

describe('GET /api/media/status/:id', () => {
  test('200 with the documented fields; v1 mount serves the same', async () => {
    const id = (await submit()).json().analysis_id;
    for (const prefix of ['/api/media', '/api/v1/media']) {
      const res = await t.app.inject({ url: `${prefix}/status/${id}`, headers: auth(t.tenantA.key) });
      assert.equal(res.statusCode, 200);
      const b = res.json();
      assert.equal(b.analysis_id, id);
      assert.equal(b.status, 'pending');
      assert.equal(b.progress, 0);
      assert.equal(b.media_type, 'unknown');
      assert.equal(b.source_url, 'https://example.com/a.mp4');
      assert.equal(b.retry_count, 0);
      for (const k of [
        'created_at',
        'updated_at',
        'started_at',
        'completed_at',
        'result_summary',
        'error_message',
        'error_code',
      ])
        assert.ok(k in b, k);
    }
  });

  test('400 malformed id, 404 unknown, 404 for another tenant, 410 when deleted', async () => {
    const malformed = await t.app.inject({ url: '/api/media/status/not-a-uuid', headers: auth(t.tenantA.key) });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().code, 'INVALID_ID');
    const unknown = await t.app.inject({
      url: '/api/media/status/00000000-0000-4000-8000-000000000000',
      headers: auth(t.tenantA.key),
    });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'ANALYSIS_NOT_FOUND');
    const id = (await submit()).json().analysis_id;
    const other = await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantB.key) });
    assert.equal(other.statusCode, 404);
    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: `/api/media/${id}`, headers: auth(t.tenantA.key) })).statusCode,
      204,
    );
    const gone = await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) });
    assert.equal(gone.statusCode, 410);
    assert.equal(gone.json().code, 'ANALYSIS_GONE');
  });
});

describe('DELETE /api/media/:id', () => {
  test('204 soft delete: row kept with deleted_at, files due for cleanup, job removed, audit written; 410 again; 404 unknown', async () => {
    const id = (await submit()).json().analysis_id;
    const res = await t.app.inject({ method: 'DELETE', url: `/api/media/${id}`, headers: auth(t.tenantA.key) });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    const row = await t.db.db
      .selectFrom('media_analysis_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'deleted');
    assert.ok(row.deleted_at);
    const jobs = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = ${'analysis:' + id}`.execute(t.db.db);
    assert.equal(jobs.rows[0]!.n, 0);
    const audit = await t.db.db.selectFrom('audit_log').selectAll().where('record_id', '=', id).orderBy('id').execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['create', 'delete'],
    );
    assert.equal(audit[1]!.performed_by, t.tenantA.keyId);
    assert.equal(audit[1]!.ip_address, '127.0.0.1');
    const again = await t.app.inject({ method: 'DELETE', url: `/api/media/${id}`, headers: auth(t.tenantA.key) });
    assert.equal(again.statusCode, 410);
    const unknown = await t.app.inject({
      method: 'DELETE',
      url: '/api/media/00000000-0000-4000-8000-000000000000',
      headers: auth(t.tenantA.key),
    });
    assert.equal(unknown.statusCode, 404);
    const other = await t.app.inject({
      method: 'DELETE',
      url: `/api/media/${(await submit()).json().analysis_id}`,
      headers: auth(t.tenantB.key),
    });
    assert.equal(other.statusCode, 404);
  });

  test('deleted rows never appear in history', async () => {
    const id = (await submit()).json().analysis_id;
    await t.app.inject({ method: 'DELETE', url: `/api/media/${id}`, headers: auth(t.tenantA.key) });
    const h = (await t.app.inject({ url: '/api/media/history?per_page=100', headers: auth(t.tenantA.key) })).json();
    assert.ok(!h.data.some((d: { analysis_id: string }) => d.analysis_id === id));
    const del = (await t.app.inject({ url: '/api/media/history?status=deleted', headers: auth(t.tenantA.key) })).json();
    assert.equal(del.data.length, 0);
  });
});

describe('retry and cancel', () => {
  test('cancel pending → 200 cancelled; cancel again → 409; retry → pending with retry_count 1; retry pending → 409', async () => {
    const id = (await submit()).json().analysis_id;
    const c = await t.app.inject({ method: 'POST', url: `/api/media/${id}/cancel`, headers: auth(t.tenantA.key) });
    assert.equal(c.statusCode, 200);
    assert.equal(c.json().status, 'cancelled');
    const c2 = await t.app.inject({ method: 'POST', url: `/api/media/${id}/cancel`, headers: auth(t.tenantA.key) });
    assert.equal(c2.statusCode, 409);
    assert.equal(c2.json().code, 'INVALID_TRANSITION');
    const r = await t.app.inject({ method: 'POST', url: `/api/media/${id}/retry`, headers: auth(t.tenantA.key) });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().status, 'pending');
    assert.equal(r.json().retry_count, 1);
    const jobs = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = ${'analysis:' + id}`.execute(t.db.db);
    assert.equal(jobs.rows[0]!.n, 1);
    const r2 = await t.app.inject({ method: 'POST', url: `/api/media/${id}/retry`, headers: auth(t.tenantA.key) });
    assert.equal(r2.statusCode, 409);
    const other = await t.app.inject({ method: 'POST', url: `/api/media/${id}/cancel`, headers: auth(t.tenantB.key) });
    assert.equal(other.statusCode, 404);
    const audit = await t.db.db
      .selectFrom('audit_log')
      .select('action')
      .where('record_id', '=', id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['create', 'cancel', 'retry'],
    );
  });

  test('retry is limited to 10', async () => {
    const id = (await submit()).json().analysis_id;
    await t.db.db
      .updateTable('media_analysis_requests')
      .set({ status: 'failed', retry_count: 10 })
      .where('id', '=', id)
      .execute();
    const r = await t.app.inject({ method: 'POST', url: `/api/media/${id}/retry`, headers: auth(t.tenantA.key) });
    assert.equal(r.statusCode, 409);
    assert.equal(r.json().code, 'RETRY_LIMIT_REACHED');
  });

  test('retry and cancel of a deleted analysis → 410; of a malformed id → 400', async () => {
    const id = (await submit()).json().analysis_id;
    await t.app.inject({ method: 'DELETE', url: `/api/media/${id}`, headers: auth(t.tenantA.key) });
    assert.equal(
      (await t.app.inject({ method: 'POST', url: `/api/media/${id}/retry`, headers: auth(t.tenantA.key) })).statusCode,
      410,
    );
    assert.equal(
      (await t.app.inject({ method: 'POST', url: `/api/media/${id}/cancel`, headers: auth(t.tenantA.key) })).statusCode,
      410,
    );
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/api/media/xyz/cancel', headers: auth(t.tenantA.key) })).statusCode,
      400,
    );
  });
});

describe('GET /api/media/history', () => {
  test('filters, sorting, offset pages and cursor pages agree', async () => {
    const { key } = await t.keys.create('tenant-h', 'history');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push(
        (
          await submit(key, {
            prompt: `p${i}`,
            media_url: 'https://example.com/a',
            media_type: i % 2 ? 'audio' : 'video',
          })
        ).json().analysis_id,
      );
    await t.app.inject({ method: 'POST', url: `/api/media/${ids[0]}/cancel`, headers: auth(key) });

    const all = (await t.app.inject({ url: '/api/media/history', headers: auth(key) })).json();
    assert.equal(all.pagination.total, 7);
    assert.equal(all.pagination.per_page, 20);
    assert.deepEqual(
      all.data.map((d: { analysis_id: string }) => d.analysis_id),
      [...ids].reverse(),
    );

    const audio = (await t.app.inject({ url: '/api/media/history?media_type=audio', headers: auth(key) })).json();
    assert.equal(audio.pagination.total, 3);
    const cancelled = (await t.app.inject({ url: '/api/media/history?status=cancelled', headers: auth(key) })).json();
    assert.deepEqual(
      cancelled.data.map((d: { analysis_id: string }) => d.analysis_id),
      [ids[0]],
    );
    const asc = (
      await t.app.inject({ url: '/api/media/history?order=asc&sort_by=created_at', headers: auth(key) })
    ).json();
    assert.equal(asc.data[0].analysis_id, ids[0]);

    const p2 = (await t.app.inject({ url: '/api/media/history?per_page=3&page=2', headers: auth(key) })).json();
    assert.equal(p2.pagination.total_pages, 3);
    assert.deepEqual(
      p2.data.map((d: { analysis_id: string }) => d.analysis_id),
      [ids[3], ids[2], ids[1]],
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/media/history?per_page=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ url, headers: auth(key) })).json();
      seen.push(...page.data.map((d: { analysis_id: string }) => d.analysis_id));
      cursor = page.pagination.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());

    const future = (
      await t.app.inject({
        url: `/api/media/history?date_from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
        headers: auth(key),
      })
    ).json();
    assert.equal(future.pagination.total, 0);
    const past = (
      await t.app.inject({
        url: `/api/media/history?date_to=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
        headers: auth(key),
      })
    ).json();
    assert.equal(past.pagination.total, 0);
    const updated = (
      await t.app.inject({ url: '/api/media/history?sort_by=updated_at&per_page=1', headers: auth(key) })
    ).json();
    assert.equal(updated.data[0].analysis_id, ids[0]);
    assert.ok(updated.pagination.next_cursor);
  });

  test('bad parameters → 400', async () => {
    for (const q of [
      'per_page=0',
      'per_page=101',
      'page=0',
      'status=bogus',
      'media_type=x',
      'sort_by=prompt',
      'order=up',
      'date_from=yesterday',
      'cursor=%%%',
      'cursor=eyJ4IjoxfQ',
      'unknown=1',
      `date_from=2026-02-01T00:00:00Z&date_to=2026-01-01T00:00:00Z`,
    ]) {
      const res = await t.app.inject({ url: `/api/media/history?${q}`, headers: auth(t.tenantA.key) });
      assert.equal(res.statusCode, 400, q);
      assert.equal(res.json().code, 'INVALID_PARAMETER', q);
    }
    const first = (await t.app.inject({ url: '/api/media/history?per_page=1', headers: auth(t.tenantA.key) })).json();
    const wrongOrder = await t.app.inject({
      url: `/api/media/history?per_page=1&order=asc&cursor=${first.pagination.next_cursor}`,
      headers: auth(t.tenantA.key),
    });
    assert.equal(wrongOrder.statusCode, 400);
  });

  test('deep offset pages are refused with a pointer to the cursor', async () => {
    const res = await t.app.inject({ url: '/api/media/history?per_page=100&page=101', headers: auth(t.tenantA.key) });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().detail, /next_cursor/);
  });

  test('the trigger-kept counters agree with count(*) after inserts, transitions and deletes', async () => {
    const real = await sql<{ tenant_id: string; status: string; media_type: string; n: number }>`
      SELECT tenant_id, status, media_type, count(*)::int AS n FROM media_analysis_requests GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`.execute(
      t.db.db,
    );
    const kept = await sql<{ tenant_id: string; status: string; media_type: string; n: number }>`
      SELECT tenant_id, status, media_type, sum(n)::int AS n FROM analysis_counts GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3`.execute(
      t.db.db,
    );
    assert.ok(real.rows.length > 3);
    assert.deepEqual(kept.rows, real.rows);
  });

  test("a tenant never sees another tenant's rows", async () => {
    const idA = (await submit(t.tenantA.key)).json().analysis_id;
    const hb = (await t.app.inject({ url: '/api/media/history?per_page=100', headers: auth(t.tenantB.key) })).json();
    assert.ok(!hb.data.some((d: { analysis_id: string }) => d.analysis_id === idA));
  });
});

describe('documents and errors', () => {
  test('/openapi.json describes the API; /docs serves the UI', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    assert.match(doc.openapi, /^3\./);
    const analyze = doc.paths['/api/media/analyze'].post;
    // Both bodies are documented (so /docs can upload a file), and the 415 for anything else.
    assert.deepEqual(Object.keys(analyze.requestBody.content).sort(), ['application/json', 'multipart/form-data']);
    assert.equal(analyze.requestBody.content['multipart/form-data'].schema.properties.file.format, 'binary');
    assert.ok(analyze.responses['415']);
    assert.ok(doc.paths['/api/media/{id}'].get);
    // The older GET /api/media/status/{id} is still served, but left out of the document (ambiguous beside /{id}/…).
    assert.equal(doc.paths['/api/media/status/{id}'], undefined);
    assert.ok(doc.paths['/api/media/history'].get);
    assert.ok(doc.paths['/api/media/{id}'].delete);
    const docs = await t.app.inject({ url: '/docs/' });
    assert.equal(docs.statusCode, 200);
  });

  test('unknown routes → 404 problem+json', async () => {
    const res = await t.app.inject({ url: '/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'NOT_FOUND');
    assert.match(String(res.headers['content-type']), /problem\+json/);
  });

  test('health: liveness and readiness', async () => {
    assert.equal((await t.app.inject({ url: '/health' })).json().status, 'ok');
    const ready = await t.app.inject({ url: '/health/ready' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.database.status, 'up');
    assert.match(ready.json().checks.disk.detail, /^\d+ % used$/);
    assert.equal(ready.json().checks.database.circuit, 'closed');
  });

  test('every log line of a request carries its request id', async () => {
    const res = await submit(t.tenantA.key, undefined, { 'x-request-id': 'trace-me-42' });
    assert.equal(res.statusCode, 202);
    const lines = t.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => JSON.stringify(l).includes('trace-me-42'));
    assert.ok(lines.length >= 2);
    for (const l of lines) assert.equal(l.request_id, 'trace-me-42');
    assert.ok(!t.logs.some((l) => l.includes(t.tenantA.key)), 'API key leaked into logs');
  });
});
