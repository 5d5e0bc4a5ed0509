import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from './range.ts';

const ranges: Array<[string | undefined, number, ReturnType<typeof parseRange>]> = [
  [undefined, 100, null],
  ['bytes=0-9', 100, { start: 0, end: 9 }],
  ['bytes=90-', 100, { start: 90, end: 99 }],
  ['bytes=-10', 100, { start: 90, end: 99 }],
  ['bytes=50-500', 100, { start: 50, end: 99 }],
  ['bytes=100-', 100, 'unsatisfiable'],
  ['bytes=5-2', 100, 'unsatisfiable'],
  ['bytes=-500', 100, { start: 0, end: 99 }],
  ['bytes=0-1,5-6', 100, null],
  ['bytes=0-4,5-9', 100, { start: 0, end: 9 }],
  ['bytes=-', 100, null],
  ['bytes=abc', 100, null],
  ['bytes=-0', 100, 'unsatisfiable'],
  ['items=0-1', 100, null],
];
for (const [h, size, out] of ranges) test(`Range ${h}`, () => assert.deepEqual(parseRange(h, size), out));
