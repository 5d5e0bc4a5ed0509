import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SemanticIndex, type CodePage, type CodeSource } from './semantic-index.ts';
import { hammingOver } from './hamming-wasm.ts';
import {
  CODE_BYTES,
  CODE_WORDS,
  MAGNITUDE_LEVELS,
  magnitudeCode,
  popcount32,
  quantizeInt8,
  signCode,
} from '../nlp/vector-codec.ts';

interface Row {
  id: number;
  tenantId: string;
  code: Buffer;
  /** Absent: a row from before migration 0012, served with its embedding instead. */
  magnitude?: Buffer;
  embedding?: Buffer;
}

/** A table in memory: rows served in id order, grouped by tenant per page, as the repository serves them. */
function tableOf(rows: Row[]): CodeSource {
  return {
    async codesAfter(afterId, limit) {
      const page = rows.filter((r) => r.id > afterId).slice(0, limit);
      const pages = new Map<string, Row[]>();
      for (const r of page) {
        const list = pages.get(r.tenantId) ?? [];
        list.push(r);
        pages.set(r.tenantId, list);
      }
      const out: CodePage[] = [...pages].map(([tenantId, p]) => {
        const bare = p.filter((r) => !r.magnitude);
        return {
          tenantId,
          ids: p.map((r) => r.id),
          codes: Buffer.concat(p.map((r) => r.code)),
          magnitudes: Buffer.concat(p.map((r) => r.magnitude ?? Buffer.alloc(CODE_BYTES))),
          bare: {
            ids: bare.map((r) => r.id),
            embeddings: Buffer.concat(bare.map((r) => r.embedding ?? Buffer.alloc(0))),
          },
        };
      });
      return { pages: out, rows: page.length, lastId: page.at(-1)?.id ?? afterId };
    },
    async countUpTo(upToId) {
      return rows.filter((r) => r.id <= upToId).length;
    },
  };
}

function distance(a: Buffer, b: Buffer): number {
  let d = 0;
  for (let w = 0; w < CODE_WORDS; w++) d += popcount32(a.readUInt32LE(w * 4) ^ b.readUInt32LE(w * 4));
  return d;
}

test('the WebAssembly scan finds exactly the codes nearest by Hamming distance, per tenant, across growth', async () => {
  // 70,000 rows (the memory grows many times; loading takes two pages) in two tenants.
  const rows = Array.from({ length: 70_000 }, (_, i) => ({
    id: i + 1,
    tenantId: i % 7 === 0 ? 'b' : 'a',
    code: crypto.randomBytes(CODE_BYTES),
    magnitude: crypto.randomBytes(CODE_BYTES),
  }));
  const index = new SemanticIndex(tableOf(rows));
  await index.catchUp();
  assert.equal(index.size(), rows.length);
  for (let q = 0; q < 5; q++) {
    const query = crypto.randomBytes(CODE_BYTES);
    for (const tenant of ['a', 'b']) {
      const k = 50;
      const got = index.nearest(tenant, query, k);
      assert.equal(got.length, k);
      const mine = rows.filter((r) => r.tenantId === tenant);
      const byDistance = mine.map((r) => ({ id: r.id, d: distance(r.code, query) })).sort((x, y) => x.d - y.d);
      const kth = byDistance[k - 1]!.d;
      const distanceOf = new Map(byDistance.map((r) => [r.id, r.d]));
      // Everything strictly nearer than the k-th distance is in; nothing farther is.
      for (const r of byDistance.filter((x) => x.d < kth)) assert.ok(got.includes(r.id));
      for (const id of got) assert.ok(distanceOf.get(id)! <= kth, `${id} belongs to ${tenant} and is near`);
    }
  }
  // A code identical to a stored one is at distance 0: first.
  assert.equal(index.nearest('a', rows[1]!.code, 1)[0], rows[1]!.id);
  assert.deepEqual(index.nearest('nobody', rows[1]!.code, 5), []);
  assert.ok(index.memoryBytes() >= rows.length * (CODE_BYTES + 8));
});

test('the index catches up with new rows', async () => {
  const row = (id: number): Row => ({
    id,
    tenantId: 'a',
    code: crypto.randomBytes(CODE_BYTES),
    magnitude: crypto.randomBytes(CODE_BYTES),
  });
  const rows = [1, 2, 3].map(row);
  const index = new SemanticIndex(tableOf(rows));
  await index.catchUp();
  rows.push(row(4));
  await index.catchUp();
  assert.equal(index.size(), 4);
  assert.equal(index.nearest('a', rows[3]!.code, 1)[0], 4);
});

test(
  'after deletions the index is rebuilt beside the one in use, and no search waits for the rebuild',
  { timeout: 10_000 },
  async () => {
    const row = (id: number): Row => ({
      id,
      tenantId: 'a',
      code: crypto.randomBytes(CODE_BYTES),
      magnitude: crypto.randomBytes(CODE_BYTES),
    });
    let rows = [1, 2, 3, 4, 5].map(row);
    // The rebuild's reads wait at this gate (as a long table would keep them busy).
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let rebuilding = false;
    const source: CodeSource = {
      codesAfter: async (afterId, limit) => {
        if (rebuilding && afterId === 0) await gate;
        return tableOf(rows).codesAfter(afterId, limit);
      },
      countUpTo: async (upToId) => {
        const n = await tableOf(rows).countUpTo(upToId);
        rebuilding = n < 5;
        return n;
      },
    };
    const index = new SemanticIndex(source, { recountIntervalMs: 0 });
    await index.catchUp();
    assert.equal(index.size(), 5);
    const deleted = rows[1]!;
    rows = rows.filter((r) => r.id !== 2);
    rows.push(row(6));
    // The recount finds the deletion; the search's catch-up returns with the old build plus the new row.
    await index.catchUp();
    assert.equal(index.size(), 6, 'the build in use keeps answering, new rows included');
    assert.equal(index.nearest('a', deleted.code, 1)[0], 2, 'a deleted code may still be found until the rebuild');
    open();
    await index.rebuilt();
    assert.equal(index.size(), 6, 'the finished rebuild waits for a catch-up to be swapped in');
    // A row added after the rebuild's last page: the swap must not lose it.
    const late = row(7);
    rows.push(late);
    await index.catchUp();
    assert.equal(index.size(), 6, 'the rebuild (1, 3, 4, 5, 6) and the late row');
    assert.notEqual(index.nearest('a', deleted.code, 1)[0], 2);
    assert.deepEqual(index.nearest('a', late.code, 1), [7]);
    assert.deepEqual(index.nearest('a', rows[4]!.code, 1), [6]);
  },
);

test('the second stage re-ranks the Hamming pool by the query against the sign and magnitude bits', async () => {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  const vector = () => Float32Array.from({ length: CODE_BYTES * 8 }, gauss);
  // Every third row is stored without its magnitude bits: the index computes them from the embedding.
  const rows: Row[] = Array.from({ length: 5000 }, (_, i) => {
    const v = vector();
    const embedding = quantizeInt8(v);
    const magnitude = magnitudeCode(embedding);
    return i % 3 === 0
      ? { id: i + 1, tenantId: 'a', code: signCode(v), embedding }
      : { id: i + 1, tenantId: 'a', code: signCode(v), magnitude };
  });
  const index = new SemanticIndex(tableOf(rows));
  await index.catchUp();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const [small, large] = MAGNITUDE_LEVELS;
  const bit = (bytes: Buffer, i: number) => (bytes[i >> 3]! >> (i & 7)) & 1;
  const estimate = (q: Float32Array, r: Row) => {
    const magnitude = r.magnitude ?? magnitudeCode(r.embedding!);
    let s = 0;
    for (let i = 0; i < q.length; i++) s += q[i]! * (bit(r.code, i) ? 1 : -1) * (bit(magnitude, i) ? large : small);
    return s;
  };
  for (let t = 0; t < 5; t++) {
    const q = vector();
    const pool = index.nearest('a', signCode(q), 400);
    const expected = pool
      .map((id) => ({ id, s: estimate(q, byId.get(id)!) }))
      .sort((x, y) => y.s - x.s || x.id - y.id)
      .slice(0, 50)
      .map((x) => x.id)
      .sort((x, y) => x - y);
    const got = index.nearestTo('a', q, 50, 400);
    assert.deepEqual(got, expected, 'the 50 best of the pool, in id order');
  }
  // A pool no larger than k is the Hamming scan alone.
  const q = vector();
  assert.deepEqual(index.nearestTo('a', q, 30, 10), index.nearest('a', signCode(q), 30));
});

test("magnitude bits mark the components above 0.98 of the vector's root mean square", () => {
  // (100, -100, 12 and 509 tens): RMS √(71,044 / 512) ≈ 11.78, so the cut is ≈ 11.55.
  const x = new Int8Array(CODE_BYTES * 8).fill(10);
  x[0] = 100;
  x[9] = -100;
  x[17] = 12;
  const bits = magnitudeCode(new Uint8Array(x.buffer));
  const set = Array.from({ length: x.length }, (_, i) => i).filter((i) => (bits[i >> 3]! >> (i & 7)) & 1);
  assert.deepEqual(set, [0, 9, 17]);
});

test('collect takes, in position order, every distance below the threshold and the first ties at it (eight at a time)', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const { collect } = hammingOver(memory);
  // 10,003 distances (not a multiple of eight), mostly far, some near in runs and alone, many ties.
  const n = 10_003;
  const distances = new Uint16Array(memory.buffer, 0, n);
  for (let i = 0; i < n; i++) distances[i] = 200 + (i % 97);
  for (const i of [0, 7, 8, 15, 16, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, n - 1]) distances[i] = 90;
  for (let i = 3; i < n; i += 251) distances[i] = 100;
  const positionsAt = (2 * n + 16) & ~3;
  for (const [threshold, quota, limit] of [
    [100, 5, 100],
    [100, 0, 100],
    [90, 3, 100],
    [100, 1000, 20],
    [50, 0, 10],
  ] as const) {
    const want: number[] = [];
    let left = quota;
    for (let i = 0; i < n && want.length < limit; i++)
      if (distances[i]! < threshold || (distances[i] === threshold && left-- > 0)) want.push(i);
    const count = collect(0, n, threshold, quota, positionsAt, limit);
    assert.deepEqual(Array.from(new Uint32Array(memory.buffer, positionsAt, count)), want, `threshold ${threshold}`);
  }
});
