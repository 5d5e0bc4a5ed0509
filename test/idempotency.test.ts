/** Idempotency-Key on POST /analyze: replay, conflicts, tenant scope, expiry. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';
import { multipart } from './helpers/multipart.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

const body = { prompt: 'Summarise', media_url: 'https://example.com/talk.mp3' };
const post = (key: string, idem: string, payload: Record<string, unknown> = body) =>
  t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(key), 'idempotency-key': idem },
    payload,
  });

async function rows(): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM media_analysis_requests`.execute(t.db.db)).rows[0]!.n;
}

test('same key and body replays the first response without a second row', async () => {
  const before = await rows();
  const first = await post(t.tenantA.key, 'k-1');
  assert.equal(first.statusCode, 202);
  const second = await post(t.tenantA.key, 'k-1', { media_url: body.media_url, prompt: body.prompt });
  assert.equal(second.statusCode, 202);
  assert.equal(second.headers['idempotent-replayed'], 'true');
  assert.deepEqual(second.json(), first.json());
  assert.equal(second.headers.location, first.headers.location);
  assert.equal(await rows(), before + 1);
});

test('same key with a different body → 422', async () => {
  await post(t.tenantA.key, 'k-2');
  const res = await post(t.tenantA.key, 'k-2', { ...body, prompt: 'Something else' });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().code, 'IDEMPOTENCY_KEY_REUSED');
});

test('a concurrent duplicate (first still in progress) → 409', async () => {
  await t.db.db
    .insertInto('idempotency_keys')
    .values({
      tenant_id: 'tenant-a',
      key: 'k-3',
      request_hash: 'x'.repeat(64),
      state: 'in_progress',
      expires_at: sql<Date>`now() + interval '1 hour'`,
    })
    .execute();
  const res = await post(t.tenantA.key, 'k-3');
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().code, 'IDEMPOTENCY_IN_PROGRESS');
});

test('truly concurrent requests with one key create exactly one analysis', async () => {
  const before = await rows();
  const results = await Promise.all(Array.from({ length: 6 }, () => post(t.tenantA.key, 'k-race')));
  const codes = results.map((r) => r.statusCode).sort();
  assert.ok(
    codes.every((c) => c === 202 || c === 409),
    codes.join(','),
  );
  assert.ok(codes.includes(202));
  assert.equal(await rows(), before + 1);
});

test('keys are scoped per tenant', async () => {
  const a = await post(t.tenantA.key, 'shared');
  const b = await post(t.tenantB.key, 'shared');
  assert.equal(a.statusCode, 202);
  assert.equal(b.statusCode, 202);
  assert.notEqual(a.json().analysis_id, b.json().analysis_id);
  assert.equal(b.headers['idempotent-replayed'], undefined);
});

test('an expired key (or an abandoned claim) can be used again', async () => {
  const first = await post(t.tenantA.key, 'k-exp');
  await t.db.db
    .updateTable('idempotency_keys')
    .set({ expires_at: sql<Date>`now() - interval '1 second'` })
    .where('key', '=', 'k-exp')
    .execute();
  const again = await post(t.tenantA.key, 'k-exp', { ...body, prompt: 'new' });
  assert.equal(again.statusCode, 202);
  assert.notEqual(again.json().analysis_id, first.json().analysis_id);
  await t.db.db
    .insertInto('idempotency_keys')
    .values({
      tenant_id: 'tenant-a',
      key: 'k-dead',
      request_hash: 'y'.repeat(64),
      state: 'in_progress',
      created_at: sql<Date>`now() - interval '2 minutes'`,
      expires_at: sql<Date>`now() + interval '1 hour'`,
    })
    .execute();
  assert.equal((await post(t.tenantA.key, 'k-dead')).statusCode, 202);
});

test('a bad key is refused; a body that fails validation never claims the key', async () => {
  const bad = await post(t.tenantA.key, 'has spaces in it');
  assert.equal(bad.statusCode, 400);
  const invalid = await post(t.tenantA.key, 'k-invalid', { prompt: '' });
  assert.equal(invalid.statusCode, 422);
  assert.equal((await post(t.tenantA.key, 'k-invalid')).statusCode, 202);
});

test('a create that fails after the key was claimed releases the key', async () => {
  const input = {
    tenantId: t.tenantA.tenant,
    prompt: 'p',
    sourceUrl: 'https://example.com/a.mp4',
    upload: null,
    mediaType: 'video' as const,
    config: {},
    options: {},
    metadata: {},
    correlationId: 'c',
  };
  const actor = { id: 'test', ip: null, correlationId: null };
  const idem = { key: 'k-released', fingerprint: { n: 1 }, render: (a: { id: string }) => ({ analysis_id: a.id }) };
  // The insert breaks a CHECK (correlation ids are at most 128 characters) after the claim.
  await assert.rejects(t.analyses.submit({ ...input, correlationId: 'x'.repeat(200) }, actor, idem));
  const claimed = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'k-released'`.execute(t.db.db);
  assert.equal(claimed.rows[0]!.n, 0, 'the claim was released');
  // Had the claim stayed, this would be 409 IDEMPOTENCY_IN_PROGRESS until it expired.
  const retried = await t.analyses.submit(input, actor, idem);
  assert.equal(retried.kind, 'created');
});

test('multipart replays too, and the duplicate upload is not kept', async () => {
  const mp = multipart({ prompt: 'Look' }, { name: 'a.txt', data: Buffer.from('hello world\n') });
  const send = () =>
    t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...mp.headers, 'idempotency-key': 'k-mp' },
      payload: mp.payload,
    });
  const first = await send();
  const second = await send();
  assert.equal(first.statusCode, 202);
  assert.equal(second.headers['idempotent-replayed'], 'true');
  const files = await t.db.db.selectFrom('media_files').select('analysis_id').execute();
  assert.equal(files.filter((f) => f.analysis_id === first.json().analysis_id).length, 1);
  assert.equal(files.length, 1);
});
