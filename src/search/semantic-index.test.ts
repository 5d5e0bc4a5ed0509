import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SemanticIndex, type CodePage, type CodeSource } from './semantic-index.ts';
import { CODE_BYTES, CODE_WORDS, popcount32, signCode } from '../nlp/vector-codec.ts';

/** A table in memory: rows (id, tenant, code) served in id order, grouped by tenant per page. */
function tableOf(rows: Array<{ id: number; tenantId: string; code: Buffer }>): CodeSource {
  return {
    async codesAfter(afterId, limit) {
      const page = rows.filter((r) => r.id > afterId).slice(0, limit);
      const pages = new Map<string, { ids: number[]; codes: Buffer[] }>();
      for (const r of page) {
        const p = pages.get(r.tenantId) ?? { ids: [], codes: [] };
        p.ids.push(r.id);
        p.codes.push(r.code);
        pages.set(r.tenantId, p);
      }
      const out: CodePage[] = [...pages].map(([tenantId, p]) => ({
        tenantId,
        ids: p.ids,
        codes: Buffer.concat(p.codes),
      }));
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

test('the index catches up with new rows and reloads after deletions', async () => {
  const rows = [1, 2, 3].map((id) => ({ id, tenantId: 'a', code: crypto.randomBytes(CODE_BYTES) }));
  const index = new SemanticIndex(tableOf(rows));
  await index.catchUp();
  rows.push({ id: 4, tenantId: 'a', code: crypto.randomBytes(CODE_BYTES) });
  await index.catchUp();
  assert.equal(index.size(), 4);
  assert.equal(index.nearest('a', rows[3]!.code, 1)[0], 4);
});

test('the second stage re-ranks the Hamming pool by the query against the sign bits', async () => {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  const vector = () => Float32Array.from({ length: CODE_BYTES * 8 }, gauss);
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i + 1, tenantId: 'a', code: signCode(vector()) }));
  const index = new SemanticIndex(tableOf(rows));
  await index.catchUp();
  const codeOf = new Map(rows.map((r) => [r.id, r.code]));
  const estimate = (q: Float32Array, code: Buffer) => {
    let s = 0;
    for (let i = 0; i < q.length; i++) s += q[i]! * ((code[i >> 3]! >> (i & 7)) & 1 ? 1 : -1);
    return s;
  };
  for (let t = 0; t < 5; t++) {
    const q = vector();
    const pool = index.nearest('a', signCode(q), 400);
    const expected = pool
      .map((id) => ({ id, s: estimate(q, codeOf.get(id)!) }))
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
