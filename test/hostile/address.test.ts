import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, literalHostVerdict } from '../../src/net/address-policy.ts';

test('defect 8: IPv4-compatible IPv6 ([::127.0.0.1], printed ::7f00:1) is refused', () => {
  for (const literal of ['[::127.0.0.1]', '[::169.254.169.254]', '[::8.8.8.8]', '[::a9fe:a9fe]']) {
    const host = new URL(`http://${literal}/x`).hostname.slice(1, -1);
    const verdict = classifyAddress(host);
    assert.equal(verdict.allowed, false, `${literal} → ${host} was ${verdict.range}`);
  }
  assert.equal(classifyAddress('::1').range, 'loopback');
  assert.equal(classifyAddress('::').range, 'unspecified');
  assert.equal(classifyAddress('2606:4700::1111').allowed, true);
});

test('literal forbidden hosts are known without DNS; names are left to resolution', () => {
  const refused = [
    'http://127.0.0.1/a.mp4',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[::ffff:10.0.0.1]/',
    'http://0x7f.1/',
    'http://2130706433/',
    'http://localhost:8080/',
    'http://metadata.google.internal/',
    'http://10.0.0.8/',
  ];
  for (const u of refused) assert.equal(literalHostVerdict(new URL(u))?.allowed, false, u);
  assert.equal(literalHostVerdict(new URL('http://example.com/a.mp4')), null);
  assert.equal(literalHostVerdict(new URL('http://93.184.215.14/a.mp4'))?.allowed, true);
  assert.equal(literalHostVerdict(new URL('http://127.0.0.1:9000/a.mp4'), ['127.0.0.1:9000']), null);
});
