import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, promptHash } from './fingerprint.ts';

test('canonicalJson sorts keys at every depth and drops undefined', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } }),
    '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
  );
  assert.equal(canonicalJson(null), 'null');
  assert.equal(canonicalJson('x'), '"x"');
});

test('promptHash: same media + prompt + config → same hash; any change → different', () => {
  const h = promptHash('p', { model: 'm', temperature: 0 }, { sha256: 'abc' });
  assert.equal(h, promptHash('p', { temperature: 0, model: 'm' }, { sha256: 'abc' }));
  assert.notEqual(h, promptHash('p2', { model: 'm', temperature: 0 }, { sha256: 'abc' }));
  assert.notEqual(h, promptHash('p', { model: 'm2', temperature: 0 }, { sha256: 'abc' }));
  assert.notEqual(h, promptHash('p', { model: 'm', temperature: 0 }, { sha256: 'abd' }));
  assert.equal(promptHash('p', {}, { url: 'u' }), promptHash('p', {}, { sha256: null, url: 'u' }));
  assert.match(h, /^[0-9a-f]{64}$/);
});
