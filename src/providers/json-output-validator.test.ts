import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { JsonOutputValidator } from './json-output-validator.ts';

/** A schema that differs per `n`, as every analysis may send its own. */
const schemaFor = (n: number) => ({
  type: 'object',
  properties: { [`field_${n}`]: { type: 'integer' } },
  required: [`field_${n}`],
  additionalProperties: false,
});

test('checks data against the schema and says what does not match', () => {
  const v = new JsonOutputValidator();
  assert.equal(v.check(schemaFor(1), { field_1: 3 }), null);
  assert.equal(v.check(schemaFor(1), { field_1: 'x' }), 'data/field_1 must be integer');
  assert.match(v.check(schemaFor(1), { field_1: 1, other: true }) ?? '', /must NOT have additional properties/);
});

test('a repeated schema is compiled once', () => {
  const v = new JsonOutputValidator();
  const first = v.compile(schemaFor(7));
  // A structurally equal schema (a new object, as parsed from another request) hits the cache.
  assert.equal(v.compile(JSON.parse(JSON.stringify(schemaFor(7))) as object), first);
  assert.equal(v.size, 1);
});

test('compiled schemas do not accumulate: at most maxSchemas are held, evicted ones are collected', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const max = 8;
  const v = new JsonOutputValidator(max);
  const early = new WeakRef(v.compile(schemaFor(0)));
  for (let n = 1; n <= max * 4; n++) assert.equal(v.check(schemaFor(n), { [`field_${n}`]: n }), null);
  assert.equal(v.size, max);
  // Nothing else holds the first validator (or its Ajv instance): once evicted it is garbage.
  for (let i = 0; i < 10 && early.deref() !== undefined; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  assert.equal(early.deref(), undefined, 'an evicted compiled schema is still reachable');
});
