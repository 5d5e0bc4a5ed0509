import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor } from './pagination.ts';

const id = '00000000-0000-4000-8000-000000000001';

test('a cursor round-trips for the sort it was issued for', () => {
  const raw = encodeCursor({ s: '2026-01-02T03:04:05.000Z', i: id, b: 'created_at', o: 'desc' });
  assert.deepEqual(decodeCursor(raw, 'created_at', 'desc'), { sortValue: new Date('2026-01-02T03:04:05Z'), id });
});

test('a cursor for another sort or order is refused', () => {
  const raw = encodeCursor({ s: '2026-01-02T03:04:05.000Z', i: id, b: 'created_at', o: 'desc' });
  assert.throws(() => decodeCursor(raw, 'updated_at', 'desc'), /different sort_by\/order/);
  assert.throws(() => decodeCursor(raw, 'created_at', 'asc'), /different sort_by\/order/);
});

test('garbled cursors are refused', () => {
  for (const raw of ['%%%', Buffer.from('{"s":"x","i":"y"}').toString('base64url'), 'bm90IGpzb24'])
    assert.throws(() => decodeCursor(raw, 'created_at', 'desc'), /not a valid cursor/);
});
