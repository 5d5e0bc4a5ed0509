import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDatabaseUnreachable } from './database-errors.ts';

const cases: Array<[unknown, boolean]> = [
  [{ code: '57P01' }, true],
  [{ code: '57P03' }, true],
  [{ code: '08006' }, true],
  [{ code: '53300' }, true],
  [{ code: 'ECONNREFUSED' }, true],
  [new Error('Connection terminated unexpectedly'), true],
  [new Error('timeout exceeded when trying to connect'), true],
  [{ code: '23505' }, false], // unique_violation: a query error, the database is fine
  [{ code: '42P01' }, false],
  [new Error('boom'), false],
  [null, false],
  ['ECONNREFUSED', false],
];
for (const [err, expected] of cases)
  test(`unreachable(${JSON.stringify(err) ?? String(err)}) = ${expected}`, () =>
    assert.equal(isDatabaseUnreachable(err), expected));
