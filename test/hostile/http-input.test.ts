/**
 * Hostile input at the HTTP edge (issue #10, defects 5, 6 and 8): ids in any case, text
 * PostgreSQL cannot store, deep nesting, garbled cursors and repeated fields each end
 * in a 4xx problem+json with a stable code, never a 500 and never a stale read.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, auth, type TestApp } from '../helpers/app.ts';
import { multipart } from '../helpers/multipart.ts';

describe('hostile input at the HTTP edge', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  const analyze = (payload: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), 'content-type': 'application/json' },
      payload,
    });

  function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, code: string) {
    assert.ok(res.statusCode === 400 || res.statusCode === 422, `status ${res.statusCode}`);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    assert.equal((res.json() as { code: string }).code, code);
  }

  test('defect 5: after DELETE, the status of an upper-case id is not served from the cache', async () => {
    const created = await analyze(JSON.stringify({ prompt: 'p', media_url: 'https://example.com/a.mp4' }));
    const id = String(created.json<{ analysis_id: string }>().analysis_id);
    const upper = id.toUpperCase();
    const get = () => t.app.inject({ url: `/api/media/status/${upper}`, headers: auth(t.tenantA.key) });
    assert.equal((await get()).statusCode, 200);
    assert.equal((await get()).headers['x-cache'], 'hit');
    const del = await t.app.inject({ method: 'DELETE', url: `/api/media/${upper}`, headers: auth(t.tenantA.key) });
    assert.ok(del.statusCode < 300, `delete answered ${del.statusCode}`);
    const after = await get();
    assert.notEqual(after.statusCode, 200);
    assert.notEqual(after.headers['x-cache'], 'hit');
  });

  test('defect 6: NUL in the prompt or metadata is refused with INVALID_TEXT', async () => {
    assertProblem(
      await analyze(JSON.stringify({ prompt: 'a\u0000b', media_url: 'https://example.com/a.mp4' })),
      'INVALID_TEXT',
    );
    assertProblem(
      await analyze(
        JSON.stringify({ prompt: 'p', media_url: 'https://example.com/a.mp4', metadata: { ['k\u0000']: 'v' } }),
      ),
      'INVALID_TEXT',
    );
    assertProblem(
      await analyze(
        JSON.stringify({ prompt: 'p', media_url: 'https://example.com/a.mp4', metadata: { k: 'v\u0000' } }),
      ),
      'INVALID_TEXT',
    );
  });

  test('defect 6: a lone surrogate is refused with INVALID_TEXT', async () => {
    // Written as the JSON escape, so the body carries the lone surrogate itself.
    assertProblem(await analyze('{"prompt":"a\\ud800b","media_url":"https://example.com/a.mp4"}'), 'INVALID_TEXT');
    assertProblem(
      await analyze('{"prompt":"p","media_url":"https://example.com/a.mp4","metadata":{"k":"\\udfff"}}'),
      'INVALID_TEXT',
    );
  });

  test('defect 6: metadata nested 5,000 deep is refused with BODY_TOO_DEEP', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    assertProblem(
      await analyze(`{"prompt":"p","media_url":"https://example.com/a.mp4","metadata":${deep}}`),
      'BODY_TOO_DEEP',
    );
  });

  test('defect 6: a cursor whose id is 36 dashes is INVALID_PARAMETER', async () => {
    const cursor = Buffer.from(
      JSON.stringify({ s: new Date().toISOString(), i: '-'.repeat(36), b: 'created_at', o: 'desc' }),
    ).toString('base64url');
    const res = await t.app.inject({
      url: `/api/media/history?cursor=${cursor}`,
      headers: auth(t.tenantA.key),
    });
    assertProblem(res, 'INVALID_PARAMETER');
  });

  test('defect 8: a repeated prompt field in a multipart body is refused with DUPLICATE_FIELD', async () => {
    const body = multipart({ prompt: 'one', media_url: 'https://example.com/a.mp4' });
    const again = Buffer.from(`------ma-test-boundary\r\nContent-Disposition: form-data; name="prompt"\r\n\r\ntwo\r\n`);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...body.headers },
      payload: Buffer.concat([again, body.payload]),
    });
    assertProblem(res, 'DUPLICATE_FIELD');
  });

  test('defect 8: an uploaded HTML page is served as a sandboxed attachment, never as a page of ours', async () => {
    const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script>hello</body></html>');
    const body = multipart({ prompt: 'what is this page' }, { name: 'page.html', data: html, type: 'text/html' });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...body.headers },
      payload: body.payload,
    });
    assert.equal(created.statusCode, 202, created.body);
    const id = created.json<{ analysis_id: string }>().analysis_id;
    const list = await t.app.inject({ url: `/api/media/${id}/artifacts`, headers: auth(t.tenantA.key) });
    const source = list.json<{ data: { id: string; mime_type: string }[] }>().data[0];
    assert.ok(source, list.body);
    const res = await t.app.inject({ url: `/api/media/${id}/artifacts/${source.id}`, headers: auth(t.tenantA.key) });
    assert.equal(res.statusCode, 200);
    // Either it is not served as HTML at all, or as HTML only as a download.
    const type = String(res.headers['content-type']);
    const disposition = String(res.headers['content-disposition']);
    assert.ok(!/html/i.test(type) || /^attachment;/.test(disposition), `${type} served ${disposition}`);
    assert.match(String(res.headers['content-security-policy']), /^sandbox/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});
