/**
 * Exports through the real app: shots and chapters as CSV and JSON from a stored result,
 * the catalogue's 404 when a result has none, the whole result as JSON, and tenant isolation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';
import { seedCompletedAnalysis } from './helpers/console-seed.ts';
import type { AnalysisResults } from '../src/contract/results.schema.ts';

let t: TestApp;

before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

const completed = (results: AnalysisResults) =>
  seedCompletedAnalysis(t, { tenant: t.tenantA.tenant, filename: 'talk.mp4', mediaType: 'video', results });

const get = (url: string, key = t.tenantA.key) => t.app.inject({ url, headers: auth(key) });

test('shots and chapters as CSV and JSON; 404 with a code when a result has none; other tenants 404', async () => {
  const id = await completed({
    shots: {
      status: 'completed',
      count: 2,
      items: [
        { index: 0, start: 0, end: 4, cut_score: 100, keyframe_seconds: 1 },
        { index: 1, start: 4, end: 9, cut_score: 31.5, keyframe_seconds: 6 },
      ],
      threshold: 10,
      pass_ms: 5,
    },
    objects: {
      status: 'completed',
      model: 'detector',
      min_score: 0.5,
      labels: [{ label: 'boat', max_count: 3, seconds: [6], best_score: 0.9 }],
      per_shot: [{ shot: 1, start: 4, end: 9, labels: [{ label: 'boat', count: 3 }] }],
      frames: [{ seconds: 6, shot: 1, items: [] }],
      notes: [],
    },
    understanding: { chapters: [{ start: 0, end: 150, title: 'Harbour, boats and "the tide"' }] },
  });
  const csv = await get(`/api/media/${id}/shots.csv`);
  assert.equal(csv.statusCode, 200, csv.body);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const rows = parse(csv.body, { columns: true }) as Array<Record<string, string>>;
  assert.deepEqual(
    rows.map((r) => [r.start, r.end, r.objects]),
    [
      ['0', '4', ''],
      ['4', '9', '3 boat'],
    ],
  );
  const chapters = await get(`/api/v1/media/${id}/chapters.json`);
  assert.equal(chapters.statusCode, 200);
  assert.deepEqual(chapters.json().items, [{ index: 0, start: 0, end: 150, title: 'Harbour, boats and "the tide"' }]);
  assert.equal((await get(`/api/media/${id}/shots.json`, t.tenantB.key)).statusCode, 404);
  assert.equal((await get(`/api/media/${id}/shots.xml`)).statusCode, 400);

  const plain = await completed({ summary: 'no pictures here' });
  const none = await get(`/api/media/${plain}/shots.csv`);
  assert.equal(none.statusCode, 404);
  assert.equal(none.json().code, 'SHOTS_NOT_FOUND');
  assert.equal((await get(`/api/media/${plain}/chapters.csv`)).json().code, 'CHAPTERS_NOT_FOUND');
});

test('result.json and the status answer the stored results unchanged, fields the contract does not declare too', async () => {
  // As an earlier version stored it: a top-level field and a section field the contract has
  // since dropped. The responses are documented by the contract but must not lose them.
  const results: AnalysisResults & { keywords: string[] } = {
    summary: 'a harbour at dawn',
    keywords: ['harbour', 'boat'],
    cues: { status: 'completed', black: [{ start: 0, end: 1 }], frozen: [], ...{ threshold_db: -60 } },
  };
  const id = await completed(results);
  const res = await get(`/api/media/${id}/result.json`);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-disposition']), new RegExp(`${id}\\.json`));
  assert.deepEqual(res.json(), { analysis_id: id, status: 'completed', results });
  assert.equal((await get(`/api/media/${id}/result.json`, t.tenantB.key)).statusCode, 404);
  // The status: the first answer is built and cached, the second comes from the cache; both are the stored results.
  const miss = await get(`/api/media/${id}`);
  const hit = await get(`/api/media/${id}`);
  assert.deepEqual([miss.headers['x-cache'], hit.headers['x-cache']], ['miss', 'hit']);
  assert.deepEqual(miss.json().results, results);
  assert.equal(hit.body, miss.body);
});
