/**
 * SSRF guard. Forbidden targets are refused before any connection is made, so the
 * private and metadata addresses below are never contacted; only 127.0.0.1 test
 * servers ever receive traffic.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import dns from 'node:dns/promises';
import { Readable } from 'node:stream';
import { classifyAddress, isForbiddenHostname, bareHost, literalHostVerdict } from '../src/net/address-policy.ts';
import {
  openDownload,
  createGuardedAgent,
  checkMediaUrl,
  mapNetworkError,
  type DownloadPolicy,
} from '../src/net/safe-download.ts';
import { AppError } from '../src/domain/errors.ts';
import { startMediaServer, type MediaServer } from './helpers/media-server.ts';

let a: MediaServer;
let b: MediaServer;
before(async () => {
  a = await startMediaServer();
  b = await startMediaServer();
});
after(async () => {
  await a.close();
  await b.close();
});

const basePolicy: DownloadPolicy = { maxBytes: 1_000_000, timeoutMs: 2_000, maxRedirects: 5, allowHosts: [] };

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('address classes', () => {
  const table: Array<[string, boolean, string]> = [
    ['127.0.0.1', false, 'loopback'],
    ['127.255.0.9', false, 'loopback'],
    ['10.1.2.3', false, 'private'],
    ['172.16.0.1', false, 'private'],
    ['192.168.1.1', false, 'private'],
    ['169.254.169.254', false, 'linkLocal'],
    ['100.64.0.1', false, 'carrierGradeNat'],
    ['100.100.100.200', false, 'carrierGradeNat'],
    ['0.0.0.0', false, 'unspecified'],
    ['255.255.255.255', false, 'broadcast'],
    ['224.0.0.1', false, 'multicast'],
    ['192.0.2.1', false, 'reserved'],
    ['::1', false, 'loopback'],
    ['::', false, 'unspecified'],
    ['fe80::1', false, 'linkLocal'],
    ['fd00:ec2::254', false, 'uniqueLocal'],
    ['fc00::1', false, 'uniqueLocal'],
    ['ff02::1', false, 'multicast'],
    ['::ffff:127.0.0.1', false, 'loopback'],
    ['::ffff:10.0.0.1', false, 'private'],
    ['::ffff:169.254.169.254', false, 'linkLocal'],
    ['64:ff9b::7f00:1', false, 'rfc6052'],
    ['2002:7f00:1::', false, '6to4'],
    ['2001::1', false, 'teredo'],
    ['8.8.8.8', true, 'unicast'],
    ['93.184.216.34', true, 'unicast'],
    ['2606:4700:4700::1111', true, 'unicast'],
    ['not-an-ip', false, 'invalid'],
  ];
  for (const [addr, allowed, range] of table) {
    test(`${addr} → ${allowed ? 'allowed' : 'refused'} (${range})`, () => {
      const v = classifyAddress(addr);
      assert.equal(v.allowed, allowed);
      assert.equal(v.range, range);
    });
  }

  test('forbidden host names and bracket stripping', () => {
    assert.ok(isForbiddenHostname('localhost'));
    assert.ok(isForbiddenHostname('LOCALHOST.'));
    assert.ok(isForbiddenHostname('api.localhost'));
    assert.ok(isForbiddenHostname('metadata.google.internal'));
    assert.ok(!isForbiddenHostname('example.com'));
    assert.equal(bareHost('[::1]'), '::1');
    assert.equal(bareHost('example.com'), 'example.com');
  });
});

describe('URL shape', () => {
  test('only http(s), no credentials, must parse', () => {
    assert.equal(checkMediaUrl('https://example.com/a.mp4').hostname, 'example.com');
    for (const bad of [
      'file:///etc/passwd',
      'gopher://x/',
      'ftp://example.com/a',
      'http://u:p@example.com/',
      'not a url',
      'data:text/plain,hi',
    ]) {
      assert.throws(
        () => checkMediaUrl(bad),
        (e: unknown) => e instanceof AppError && e.code === 'MEDIA_URL_FORBIDDEN',
        bad,
      );
    }
  });
});

describe('connect-time checks', () => {
  test('a host that does not exist is refused at once (MEDIA_DOWNLOAD_REFUSED, not retried), issue #25 defect 8', async () => {
    const agent = createGuardedAgent(basePolicy);
    await expectCode(openDownload('http://no-such-host.invalid/a.mp4', basePolicy, agent), 'MEDIA_DOWNLOAD_REFUSED');
    await agent.close();
  });

  test('an allow-list entry with a port trusts that port only, at submit as at connect (issue #25 defect 8)', () => {
    assert.equal(literalHostVerdict(new URL('http://127.0.0.1:9000/a.mp4'), ['127.0.0.1:9000']), null);
    assert.equal(literalHostVerdict(new URL('http://127.0.0.1:9001/a.mp4'), ['127.0.0.1:9000'])?.allowed, false);
    assert.equal(literalHostVerdict(new URL('http://127.0.0.1:9001/a.mp4'), ['127.0.0.1']), null);
    assert.equal(literalHostVerdict(new URL('http://[::1]:80/a.mp4'), ['[::1]:80']), null);
  });

  test('loopback in every spelling is refused and never reached', async () => {
    a.routes.set('/secret', { kind: 'body', data: Buffer.from('secret') });
    const agent = createGuardedAgent(basePolicy);
    const spellings = [
      `http://127.0.0.1:${a.port}/secret`,
      `http://localhost:${a.port}/secret`,
      `http://[::1]:${a.port}/secret`,
      `http://[::ffff:127.0.0.1]:${a.port}/secret`,
      `http://2130706433:${a.port}/secret`,
      `http://0x7f.1:${a.port}/secret`,
      `http://0.0.0.0:${a.port}/secret`,
      `http://127.1:${a.port}/secret`,
    ];
    for (const url of spellings) await expectCode(openDownload(url, basePolicy, agent), 'MEDIA_URL_FORBIDDEN');
    assert.equal(a.hits.get('/secret'), undefined);
    await agent.close();
  });

  test('private, link-local (metadata), CGNAT and IPv6 private targets are refused before connecting', async () => {
    const agent = createGuardedAgent(basePolicy);
    for (const url of [
      'http://10.0.0.1/x',
      'http://172.20.1.1/x',
      'http://192.168.0.10/x',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/x',
      'http://[fe80::1]/x',
      'http://[fd00:ec2::254]/x',
      'https://[::ffff:10.0.0.1]/x',
      'http://metadata.google.internal/x',
    ]) {
      const started = Date.now();
      await expectCode(openDownload(url, basePolicy, agent), 'MEDIA_URL_FORBIDDEN');
      assert.ok(Date.now() - started < 1_000, `${url} was refused without a connect attempt`);
    }
    await agent.close();
  });

  test('a host name that resolves to this machine is refused by its address', async (t) => {
    const answers = await dns.lookup(os.hostname(), { all: true }).catch(() => []);
    if (answers.length === 0 || answers.some((x) => classifyAddress(x.address).allowed)) {
      t.skip('the host name does not resolve to a private address here');
      return;
    }
    const agent = createGuardedAgent(basePolicy);
    await expectCode(
      openDownload(`http://${os.hostname()}:${a.port}/secret`, basePolicy, agent),
      'MEDIA_URL_FORBIDDEN',
    );
    await agent.close();
  });

  test('every redirect hop is re-checked', async () => {
    const policy = { ...basePolicy, allowHosts: [`127.0.0.1:${a.port}`] };
    const agent = createGuardedAgent(policy);
    a.routes.set('/to-b', { kind: 'redirect', to: `http://localhost:${b.port}/data` });
    a.routes.set('/to-private', { kind: 'redirect', to: 'http://10.9.8.7/data' });
    a.routes.set('/to-metadata', { kind: 'redirect', to: 'http://169.254.169.254/latest/meta-data/' });
    a.routes.set('/to-file', { kind: 'redirect', to: 'file:///etc/passwd' });
    b.routes.set('/data', { kind: 'body', data: Buffer.from('b') });
    await expectCode(openDownload(a.url('/to-b'), policy, agent), 'MEDIA_URL_FORBIDDEN');
    await expectCode(openDownload(a.url('/to-private'), policy, agent), 'MEDIA_URL_FORBIDDEN');
    await expectCode(openDownload(a.url('/to-metadata'), policy, agent), 'MEDIA_URL_FORBIDDEN');
    await expectCode(openDownload(a.url('/to-file'), policy, agent), 'MEDIA_URL_FORBIDDEN');
    assert.equal(b.hits.get('/data'), undefined);
    await agent.close();
  });

  test('redirects within the allowed host are followed, up to the limit', async () => {
    const policy = { ...basePolicy, allowHosts: [`127.0.0.1:${a.port}`] };
    const agent = createGuardedAgent(policy);
    a.routes.set('/final', { kind: 'body', data: Buffer.from('ok') });
    for (let i = 0; i < 7; i++)
      a.routes.set(`/hop${i}`, {
        kind: 'redirect',
        to: i === 6 ? '/final' : `/hop${i + 1}`,
        status: i % 2 ? 301 : 307,
      });
    const ok = await openDownload(a.url('/hop2'), policy, agent);
    assert.equal(ok.redirects, 5);
    assert.equal(await readAll(ok.body), 'ok');
    await expectCode(openDownload(a.url('/hop0'), policy, agent), 'TOO_MANY_REDIRECTS');
    a.routes.set('/no-location', { kind: 'status', status: 302 });
    await expectCode(openDownload(a.url('/no-location'), policy, agent), 'MEDIA_DOWNLOAD_REFUSED');
    await agent.close();
  });

  test('size and time limits', async () => {
    const policy = { ...basePolicy, maxBytes: 100, timeoutMs: 500, allowHosts: [`127.0.0.1:${a.port}`] };
    const agent = createGuardedAgent(policy);
    a.routes.set('/big', { kind: 'body', data: Buffer.alloc(1000) });
    await expectCode(openDownload(a.url('/big'), policy, agent), 'MEDIA_TOO_LARGE');
    a.routes.set('/hang', { kind: 'hang' });
    const started = Date.now();
    await expectCode(openDownload(a.url('/hang'), policy, agent), 'MEDIA_DOWNLOAD_TIMEOUT');
    assert.ok(Date.now() - started < 2_000);
    a.routes.set('/teapot', { kind: 'status', status: 418 });
    await assert.rejects(
      openDownload(a.url('/teapot'), policy, agent),
      (e: unknown) => e instanceof AppError && e.code === 'MEDIA_DOWNLOAD_REFUSED' && e.permanent,
    );
    a.routes.set('/busy', { kind: 'status', status: 429 });
    await assert.rejects(
      openDownload(a.url('/busy'), policy, agent),
      (e: unknown) => e instanceof AppError && e.code === 'MEDIA_DOWNLOAD_FAILED' && !e.permanent,
    );
    await agent.close();
  });

  test('network errors map to transient download failures', () => {
    const mapped = mapNetworkError(new Error('ECONNRESET')) as AppError;
    assert.equal(mapped.code, 'MEDIA_DOWNLOAD_FAILED');
    assert.equal(mapped.permanent, false);
    const inner = new AppError('MEDIA_URL_FORBIDDEN', 'x');
    assert.equal(mapNetworkError(Object.assign(new Error('wrapped'), { cause: inner })), inner);
  });
});

async function readAll(body: Readable): Promise<string> {
  let s = '';
  for await (const chunk of body) s += String(chunk);
  return s;
}
