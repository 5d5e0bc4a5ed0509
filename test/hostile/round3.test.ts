/**
 * Hostile input and leaks, round 3 (issue #25): malformed multipart and cursors end in
 * a 4xx problem with a stable code (defect 6), and deleting an analysis takes its content
 * out of the event log for every reader: replays of one analysis or of the tenant, and
 * the live `deleted` event (defect 4).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createTestApp, auth, type TestApp } from '../helpers/app.ts';
import { rawRequest } from '../helpers/net.ts';
import { httpEdgeCases, parseAnswer } from './http-edge-cases.ts';
import { applyTransition } from '../../src/domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../../src/persistence/analysis.repository.ts';
import type { Actor } from '../../src/contract/analysis.types.ts';
import { streamEvents, type StreamEvent } from '../../sdk/src/sse.ts';
import { repositories } from '../../src/persistence/repositories.ts';

const actor: Actor = { id: 'test', ip: null, correlationId: null };
const SECRET_SUMMARY = 'The board approved the secret merger with Initech';

describe('round 3', () => {
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

  function assertProblem(
    res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
    status: number,
    code: string,
  ) {
    assert.equal(res.statusCode, status, `status ${res.statusCode}: ${JSON.stringify(res.json())}`);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    assert.equal((res.json() as { code: string }).code, code);
  }

  const post = (contentType: string, payload: string | Buffer) =>
    t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), 'content-type': contentType },
      payload,
    });

  async function partialFiles(): Promise<string[]> {
    const all = await fs.readdir(t.storageRoot, { recursive: true });
    return all.filter((f) => path.basename(f).includes('.partial-'));
  }

  test('defect 1: a multipart upload cut off before its closing boundary gets a 400 and leaves no file', async () => {
    const body = Buffer.from(
      '--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nwhat\r\n' +
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
    );
    const head =
      'POST /api/media/analyze HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
      `Authorization: Bearer ${t.tenantA.key}\r\n` +
      `Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: ${body.length}\r\n\r\n`;
    const started = Date.now();
    const { port } = t.app.server.address() as AddressInfo;
    const answer = await rawRequest(port, Buffer.concat([Buffer.from(head), body]), 8000);
    assert.match(answer, /^HTTP\/1\.1 400 /, `answer after ${Date.now() - started} ms: ${answer.slice(0, 200)}`);
    assert.match(answer, /INVALID_MULTIPART/);
    assert.ok(Date.now() - started < 5000, 'answered within a few seconds of the body ending');
    assert.deepEqual(await partialFiles(), [], 'the partial upload is removed');
  });

  test('every malformed request of the hostile benchmark gets its problem over a real socket', async () => {
    const { port } = t.app.server.address() as AddressInfo;
    for (const c of httpEdgeCases) {
      const got = parseAnswer(await rawRequest(port, c.request(t.tenantA.key), 5000));
      assert.deepEqual(got, c.expect, c.name);
    }
    assert.deepEqual(await partialFiles(), []);
  });

  test('defect 6: multipart without a boundary, or with an empty one, is a 400 problem', async () => {
    const body = '--x\r\nContent-Disposition: form-data; name="prompt"\r\n\r\np\r\n--x--\r\n';
    assertProblem(await post('multipart/form-data', body), 400, 'INVALID_MULTIPART');
    assertProblem(await post('multipart/form-data; boundary=', body), 400, 'INVALID_MULTIPART');
  });

  test('defect 6: a control character in the uploaded file name is refused with INVALID_TEXT', async () => {
    for (const name of ['a\u0000b.png', 'a\u0007.mp4']) {
      const boundary = 'ma-round3';
      const payload = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nwhat is it\r\n`),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        ),
        Buffer.from('0123456789'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      assertProblem(await post(`multipart/form-data; boundary=${boundary}`, payload), 422, 'INVALID_TEXT');
    }
  });

  test('defect 6: a cursor that decodes to JSON null (or a number) is a 400, not a TypeError', async () => {
    for (const raw of ['null', '42', '"s"', '[]']) {
      const cursor = Buffer.from(raw).toString('base64url');
      const res = await t.app.inject({ url: `/api/media/history?cursor=${cursor}`, headers: auth(t.tenantA.key) });
      assertProblem(res, 400, 'INVALID_PARAMETER');
    }
  });

  test('defect 6: text/plain is a 415, as the OpenAPI document promises', async () => {
    assertProblem(await post('text/plain', 'hello'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  async function completedAnalysis(summary = SECRET_SUMMARY): Promise<string> {
    const a = await t.analyses.create(
      {
        tenantId: t.tenantA.tenant,
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
    for (const name of ['start', 'complete'] as const) {
      const current = (await analysisRepository.findById(t.db.db, a.id))!;
      const patch = name === 'complete' ? { progress: 100, results: JSON.stringify({ summary }) } : {};
      assert.ok(
        await t.db.db.transaction().execute((trx) => applyTransition(repositories, trx, current, name, patch, actor)),
      );
    }
    return a.id;
  }

  async function collect(path: string, until: (e: StreamEvent) => boolean): Promise<StreamEvent[]> {
    const out: StreamEvent[] = [];
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 5000);
    try {
      for await (const e of streamEvents(`${base}${path}`, {
        headers: { authorization: `Bearer ${t.tenantA.key}` },
        reconnect: false,
        signal: stop.signal,
      })) {
        out.push(e);
        if (until(e)) break;
      }
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
    }
    return out;
  }

  test('defect 9: a partial analysis can be retried (the failed stages run again); a complete one cannot', async () => {
    const partial = await completedAnalysis('partial');
    const whole = await completedAnalysis('whole');
    await t.db.db
      .updateTable('media_analysis_requests')
      .set({ results: JSON.stringify({ summary: 'partial', partial: true }) })
      .where('id', '=', partial)
      .execute();
    const retry = (id: string) =>
      t.app.inject({ method: 'POST', url: `/api/media/${id}/retry`, headers: auth(t.tenantA.key) });
    const r = await retry(partial);
    assert.equal(r.statusCode, 200, JSON.stringify(r.json()));
    assert.equal(r.json<{ status: string }>().status, 'pending');
    const row = await analysisRepository.findById(t.db.db, partial);
    assert.equal(row?.results, null, 'the old results are cleared for the new run');
    assertProblem(await retry(whole), 409, 'INVALID_TRANSITION');
  });

  test('defect 3: revoking a key ends the streams opened with it, with a final unauthorized event', async () => {
    const { key, row } = await t.keys.create(t.tenantA.tenant, 'short-lived');
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 8000);
    const seen: StreamEvent[] = [];
    const reading = (async () => {
      for await (const e of streamEvents(`${base}/api/events`, {
        headers: { authorization: `Bearer ${key}` },
        reconnect: false,
        signal: stop.signal,
      }))
        seen.push(e);
    })().catch((err: unknown) => {
      if (!stop.signal.aborted) throw err;
    });
    await new Promise((r) => setTimeout(r, 300));
    const admin = await t.keys.create('admin', 'admin', true);
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/admin/keys/${row.id}`,
      headers: auth(admin.key),
    });
    assert.equal(revoked.statusCode, 204);
    const started = Date.now();
    await reading;
    clearTimeout(timer);
    assert.ok(!stop.signal.aborted, 'the stream ended by itself');
    assert.ok(Date.now() - started < 3000, `ended ${Date.now() - started} ms after the revoke`);
    assert.equal(seen.at(-1)?.event, 'unauthorized');
    // Nothing after the revoke reaches the old key: a completed analysis is not announced.
    await completedAnalysis('not deleted');
    assert.ok(!seen.some((e) => e.event === 'completed'));
  });

  test('defect 4: after DELETE, no replay and no live event carries the analysis content', async () => {
    const id = await completedAnalysis();
    // A tenant stream open while the delete happens sees the deleted event live.
    const live = collect('/api/events', (e) => e.event === 'deleted');
    await new Promise((r) => setTimeout(r, 300));
    const del = await t.app.inject({ method: 'DELETE', url: `/api/media/${id}`, headers: auth(t.tenantA.key) });
    assert.ok(del.statusCode < 300, `delete answered ${del.statusCode}`);
    const liveEvents = await live;
    assert.ok(
      liveEvents.some((e) => e.event === 'deleted'),
      'the live stream saw the delete',
    );

    const replayOne = await collect(`/api/media/${id}/events?last_event_id=0`, (e) => e.event === 'deleted');
    const replayAll = await collect('/api/events?last_event_id=0', (e) => e.event === 'deleted');
    for (const [name, events] of [
      ['live', liveEvents],
      ['one analysis', replayOne],
      ['tenant', replayAll],
    ] as const) {
      assert.ok(events.length > 0, `${name}: no event at all`);
      assert.ok(
        events.some((e) => e.event === 'completed' || e.event === 'deleted'),
        `${name}: the terminal events are there`,
      );
      assert.ok(!JSON.stringify(events).includes('secret merger'), `${name} replays the deleted content`);
    }
  });
});
