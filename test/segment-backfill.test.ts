/**
 * Segments stored before migration 0012 have no magnitude bits: the index's feed serves
 * their embeddings instead (the index computes the bits), and the workers' backfill task
 * stores the bits the indexer would have written, in batches, once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, waitFor, type TestApp } from './helpers/app.ts';
import { segmentRepository } from '../src/persistence/segment.repository.ts';
import { backfillMagnitudes, backfillSureWords } from '../src/domain/search/segment-backfill.ts';
import { TASK } from '../src/persistence/job.repository.ts';
import { SemanticIndex } from '../src/search/semantic-index.ts';
import { CODE_BYTES, magnitudeCode, quantizeInt8, signCode } from '../src/nlp/vector-codec.ts';
import type { NewSegment } from '../src/contract/segment.types.ts';
import { repositories } from '../src/persistence/repositories.ts';

let t: TestApp;
let db: TestApp['db'];
before(async () => {
  t = await createTestApp();
  db = t.db;
});
after(async () => {
  await t.close();
});

const gauss = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());

async function analysis(tenant: string): Promise<string> {
  const id = crypto.randomUUID();
  await db.pool.query(
    `INSERT INTO media_analysis_requests
       (id, correlation_id, prompt, prompt_hash, source_url, media_type, status, progress, tenant_id)
     VALUES ($1::uuid, 'c-' || $1::text, 'describe', repeat('a', 64), 'https://example.com/a.mp4', 'video',
             'completed', 100, $2)`,
    [id, tenant],
  );
  return id;
}

function segments(analysisId: string, tenantId: string, n: number): NewSegment[] {
  return Array.from({ length: n }, (_, i) => {
    const v = Float32Array.from({ length: CODE_BYTES * 8 }, gauss);
    const embedding = quantizeInt8(v);
    return {
      analysisId,
      tenantId,
      kind: 'transcript',
      startSeconds: i,
      endSeconds: i + 1,
      page: null,
      text: `segment ${i}`,
      embedding,
      code: signCode(v),
      magnitude: magnitudeCode(embedding),
      keyframe: null,
    };
  });
}

test('transcript windows stored before sure words: marked, matched by their sure words, in batches, once', async () => {
  // Runs before the worker of the next test starts, so only this call backfills.
  const id = await analysis('tenant-s');
  const words = [
    { word: 'the', start: 0, end: 0.3 },
    { word: 'prickly', start: 0.4, end: 0.8, low_confidence: true },
    { word: 'hedgehog', start: 0.9, end: 1.4 },
    { word: 'sleeps', start: 1.5, end: 1.9 },
    { word: 'quietly', start: 5, end: 5.5 },
    { word: 'outside', start: 5.6, end: 6 },
    { word: 'bright', start: 20, end: 20.4 },
    { word: 'morning', start: 20.5, end: 21, low_confidence: true },
    { word: 'light', start: 21.1, end: 21.5 },
    { word: 'new', start: 30, end: 30.4 },
    { word: 'style', start: 30.5, end: 31, low_confidence: true },
  ];
  await db.pool.query(
    `UPDATE media_analysis_requests SET results = jsonb_build_object('transcript', jsonb_build_object('words', $2::jsonb))
     WHERE id = $1`,
    [id, JSON.stringify(words)],
  );
  const [a, b, c, d, e] = segments(id, 'tenant-s', 5);
  await segmentRepository.insertMany(db.db, [
    // As the indexer wrote them before 0014: every word in `text`, no sure words.
    { ...a!, startSeconds: 0, endSeconds: 1.9, text: 'the prickly hedgehog sleeps' },
    { ...b!, startSeconds: 5, endSeconds: 6, text: 'quietly outside' },
    // A window whose words are not the stored transcript's (a provider's): all its words, as before.
    { ...c!, startSeconds: 10, endSeconds: 12, text: 'a prickly provider line' },
    // From 0014 on: sure words, but the text unmarked.
    { ...d!, startSeconds: 20, endSeconds: 21.5, text: 'bright morning light', sure: 'bright.\nlight' },
    // As this release writes them: untouched.
    { ...e!, startSeconds: 30, endSeconds: 31, text: 'new [style?]', sure: 'new' },
  ]);
  const matches = async (word: string) =>
    (
      await db.pool.query<{ text: string }>(
        `SELECT text FROM media_segments
         WHERE analysis_id = $1 AND coalesce(sure_tsv, tsv) @@ to_tsquery('english', $2) ORDER BY id`,
        [id, word],
      )
    ).rows.map((r) => r.text);
  assert.deepEqual(await matches('prickly'), ['the prickly hedgehog sleeps', 'a prickly provider line'], 'before');

  assert.deepEqual(await matches('morning'), [], 'from 0014 on: not matched, but shown unmarked');
  assert.equal(await backfillSureWords(db.db, repositories, { batch: 2, pauseMs: 10 }), 4);
  const after = await db.pool.query<{ text: string; done: boolean }>(
    'SELECT text, sure_tsv IS NOT NULL AS done FROM media_segments WHERE analysis_id = $1 ORDER BY id',
    [id],
  );
  assert.deepEqual(
    after.rows.map((r) => r.text),
    [
      'the [prickly?] hedgehog sleeps',
      'quietly outside',
      'a prickly provider line',
      'bright [morning?] light',
      'new [style?]',
    ],
  );
  assert.ok(after.rows.every((r) => r.done));
  assert.deepEqual(await matches('prickly'), ['a prickly provider line'], 'the unsure word no longer finds its window');
  assert.deepEqual(await matches('hedgehog'), ['the [prickly?] hedgehog sleeps']);
  assert.deepEqual(await matches('morning'), []);
  assert.deepEqual(await matches('light'), ['bright [morning?] light']);
  assert.equal(await backfillSureWords(db.db, repositories), 0, 'nothing left');
  const index = await db.pool.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname = 'media_segments_transcript_without_sure_idx'`,
  );
  assert.equal(index.rows[0]?.valid, true);
  // The next test counts the table's rows.
  await db.pool.query('DELETE FROM media_segments WHERE analysis_id = $1', [id]);
});

test('rows without magnitude bits are served with their embeddings, then backfilled in batches, once', async () => {
  const a = await analysis('tenant-a');
  const b = await analysis('tenant-b');
  await segmentRepository.insertMany(db.db, [...segments(a, 'tenant-a', 13), ...segments(b, 'tenant-b', 4)]);
  // As if written before migration 0012: every third row of the table.
  const bare = await db.pool.query<{ id: string }>(
    'UPDATE media_segments SET magnitude = NULL WHERE id % 3 = 0 RETURNING id',
  );
  const bareIds = new Set(bare.rows.map((r) => Number(r.id)));
  assert.ok(bareIds.size >= 5);

  // The feed: zeros in place of the missing bits, and those rows' embeddings beside them.
  const stored = await db.pool.query<{ id: string; tenant_id: string; embedding: Buffer }>(
    'SELECT id, tenant_id, embedding FROM media_segments ORDER BY id',
  );
  const feed = await segmentRepository.codesAfter(db.db, 0, 1000);
  assert.equal(feed.rows, 17);
  for (const page of feed.pages) {
    const mine = stored.rows.filter((r) => r.tenant_id === page.tenantId);
    assert.deepEqual(
      page.ids,
      mine.map((r) => Number(r.id)),
    );
    const expectedBare = mine.filter((r) => bareIds.has(Number(r.id)));
    assert.deepEqual(
      page.bare.ids,
      expectedBare.map((r) => Number(r.id)),
    );
    assert.deepEqual(page.bare.embeddings, Buffer.concat(expectedBare.map((r) => r.embedding)));
    mine.forEach((r, i) => {
      const bits = page.magnitudes.subarray(i * CODE_BYTES, (i + 1) * CODE_BYTES);
      const expected = bareIds.has(Number(r.id)) ? Buffer.alloc(CODE_BYTES) : magnitudeCode(r.embedding);
      assert.deepEqual(Buffer.from(bits), expected, `segment ${r.id}`);
    });
  }

  // An index loaded now (bits computed from the embeddings) ranks as one loaded after the backfill.
  const queries = Array.from({ length: 5 }, () => Float32Array.from({ length: CODE_BYTES * 8 }, gauss));
  const ranked = async () => {
    const index = new SemanticIndex({
      codesAfter: (afterId, limit) => segmentRepository.codesAfter(db.db, afterId, limit),
      countUpTo: (upToId) => segmentRepository.countUpTo(db.db, upToId),
    });
    await index.catchUp();
    return queries.map((q) => ['tenant-a', 'tenant-b'].map((tenant) => index.nearestTo(tenant, q, 3, 10)));
  };
  const before = await ranked();

  // The backfill: batches of 2, every bare row once, the same bits the indexer writes.
  assert.equal(await backfillMagnitudes(db.db, repositories, { batch: 2, pauseMs: 10 }), bareIds.size);
  const after = await db.pool.query<{ embedding: Buffer; magnitude: Buffer | null }>(
    'SELECT embedding, magnitude FROM media_segments ORDER BY id',
  );
  for (const r of after.rows) assert.deepEqual(r.magnitude, magnitudeCode(r.embedding));
  assert.equal(await backfillMagnitudes(db.db, repositories, { batch: 2 }), 0, 'nothing left');
  assert.deepEqual(await ranked(), before);
  const fed = await segmentRepository.codesAfter(db.db, 0, 1000);
  assert.ok(fed.pages.every((p) => p.bare.ids.length === 0));

  // The workers run it as a task (on their cron each minute; queued by hand here).
  await db.pool.query('UPDATE media_segments SET magnitude = NULL WHERE id % 2 = 0');
  await t.startWorker({ concurrency: 1 });
  await db.pool.query('SELECT graphile_worker.add_job($1)', [TASK.backfillSegmentBits]);
  await waitFor(async () => {
    const left = await db.pool.query('SELECT 1 FROM media_segments WHERE magnitude IS NULL');
    return left.rowCount === 0 ? true : undefined;
  });
  const done = await db.pool.query<{ embedding: Buffer; magnitude: Buffer }>(
    'SELECT embedding, magnitude FROM media_segments',
  );
  for (const r of done.rows) assert.deepEqual(r.magnitude, magnitudeCode(r.embedding));

  // The rows left to do are found through the partial index of 0012 (built online).
  const index = await db.pool.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname = 'media_segments_without_magnitude_idx'`,
  );
  assert.equal(index.rows[0]?.valid, true);
});
