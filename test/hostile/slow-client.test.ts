/**
 * Slow-loris (issue #10, defect 7): a client that sends its headers or its upload a
 * byte at a time, or stops sending its body, is cut off by the server, and each cut is
 * counted in media_analysis_http_connections_closed_total. Real sockets, short limits.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp, auth, type TestApp } from '../helpers/app.ts';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_500;
const IDLE_TIMEOUT_MS = 1_000;
/** Node checks its timers once a second; allow that and a loaded machine. */
const SLACK_MS = 3_000;

describe('slow clients are cut off', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await createTestApp({
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      UPLOAD_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await t.close();
  });

  async function closedCount(reason: string): Promise<number> {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`media_analysis_http_connections_closed_total{reason="${reason}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  /**
   * Open a socket, send `head` at once, then one byte of `drip` every `everyMs` until the
   * server closes; resolve with how long the connection lived and what the server said.
   */
  function dripping(head: string, drip: string, everyMs: number): Promise<{ ms: number; answer: string }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      let i = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('data', (d) => (answer += d.toString('utf8')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ ms: Date.now() - started, answer });
      });
      socket.on('connect', () => {
        socket.write(head);
        if (everyMs > 0)
          timer = setInterval(() => {
            if (i < drip.length && !socket.destroyed) socket.write(drip[i++]!);
          }, everyMs);
      });
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the server kept a slow connection open for 20 s'));
      }, 20_000).unref();
    });
  }

  test('headers sent a byte at a time: closed after HTTP_HEADERS_TIMEOUT_MS with 408', async () => {
    const before = await closedCount('request_timeout');
    const { ms, answer } = await dripping('GET /api/media/history HTTP/1.1\r\n', 'X-Slow: ' + 'a'.repeat(200), 100);
    assert.ok(ms < HEADERS_TIMEOUT_MS + SLACK_MS, `lived ${ms} ms`);
    assert.match(answer, /^HTTP\/1.1 408/);
    assert.ok((await closedCount('request_timeout')) > before);
  });

  const multipartHead = (length: number) =>
    'POST /api/media/analyze HTTP/1.1\r\nHost: localhost\r\n' +
    `Authorization: ${auth(t.tenantA.key).authorization}\r\n` +
    'Content-Type: multipart/form-data; boundary=slow\r\n' +
    `Content-Length: ${length}\r\n\r\n` +
    '--slow\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nwhat is this\r\n' +
    '--slow\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n';

  test('an upload at a few bytes a second: closed after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const before = await closedCount('request_timeout');
    // Faster than the idle limit, so only the whole-request deadline can stop it.
    const { ms } = await dripping(multipartHead(100_000), 'x'.repeat(10_000), 200);
    assert.ok(ms >= REQUEST_TIMEOUT_MS - 100, `closed after ${ms} ms, before the deadline`);
    assert.ok(ms < REQUEST_TIMEOUT_MS + SLACK_MS, `lived ${ms} ms`);
    assert.ok((await closedCount('request_timeout')) > before);
  });

  test('an upload that stops sending: closed after UPLOAD_IDLE_TIMEOUT_MS', async () => {
    const before = await closedCount('body_idle');
    const { ms } = await dripping(multipartHead(100_000) + 'first bytes', '', 0);
    assert.ok(ms < IDLE_TIMEOUT_MS + SLACK_MS, `lived ${ms} ms`);
    assert.ok(ms < REQUEST_TIMEOUT_MS, `closed after ${ms} ms: by the request deadline, not the idle limit`);
    assert.equal(await closedCount('body_idle'), before + 1);
  });

  test('a normal request on the same server still works', async () => {
    await sleep(10);
    const res = await fetch(`http://127.0.0.1:${port}/api/media/history`, { headers: auth(t.tenantA.key) });
    assert.equal(res.status, 200);
  });
});
