/**
 * History paging: offset pages up to a window, and an opaque keyset cursor beyond it.
 * The cursor is base64url JSON of the last row's sort value and id, plus the sort it was
 * issued for, so a cursor cannot be replayed against another ordering.
 */
import { errors } from '../domain/errors.ts';

/** Offset paging stops here (like a search engine's result window); deeper pages use the cursor. */
export const MAX_OFFSET_ROWS = 10_000;

/** What a cursor carries: sort value, id, sort column (`b`y) and order. */
interface Cursor {
  s: string;
  i: string;
  b: string;
  o: string;
}

/** 8-4-4-4-12 hex digits: a cursor id that is not one (36 dashes, say) never reaches SQL. */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** The position a cursor points after; INVALID_PARAMETER when it is garbled or for another sort. */
export function decodeCursor(raw: string, sortBy: string, order: string): { sortValue: Date; id: string } {
  let cursor: Partial<Cursor>;
  try {
    cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw errors.invalidParameter('cursor', 'is not a valid cursor');
  }
  // Valid JSON that is not an object (`null`, a number, a list) is as garbled as bad JSON.
  if (typeof cursor !== 'object' || cursor === null || Array.isArray(cursor))
    throw errors.invalidParameter('cursor', 'is not a valid cursor');
  const sortValue = new Date(String(cursor.s));
  if (typeof cursor.i !== 'string' || !UUID_PATTERN.test(cursor.i) || Number.isNaN(sortValue.getTime()))
    throw errors.invalidParameter('cursor', 'is not a valid cursor');
  if (cursor.b !== sortBy || cursor.o !== order)
    throw errors.invalidParameter('cursor', 'was issued for a different sort_by/order');
  return { sortValue, id: cursor.i };
}
