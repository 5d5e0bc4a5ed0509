/**
 * The service on object storage, through the API and a real worker: an upload lands in
 * the S3-protocol server (s3rver), a worker completes it from scratch, artifacts are
 * served as a 302 to a presigned URL (ARTIFACT_DELIVERY=redirect) whose bytes are the
 * stored ones; with the store down, uploads get a clear 503 with Retry-After and nothing
 * is recorded, while reads of stored rows keep working.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import crypto from 'node:crypto';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { startTestS3, type TestS3 } from './helpers/s3.ts';
import { fixtures } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';

let s3: TestS3;
let t: TestApp;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

before(async () => {
  s3 = await startTestS3();
  const env = s3.env('api/');
  // The driver takes credentials from the standard AWS chain (here: the environment).
  process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
  const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...settings } = env;
  t = await createTestApp({ ...settings, ARTIFACT_DELIVERY: 'redirect', ARTIFACT_URL_TTL_SECONDS: '60' });
  await t.startWorker({ concurrency: 1 });
});
after(async () => {
  await t.close();
  await s3.stop().catch(() => undefined);
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
});

const upload = async (data: Buffer, name: string) => {
  const mp = multipart({ prompt: 'What is this?' }, { name, data });
  return t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
};

test('upload → store → worker → completed; the artifact redirects to a presigned URL with the stored bytes', async () => {
  const image = await fs.readFile(await fixtures.image());
  const res = await upload(image, 'dot.png');
  assert.equal(res.statusCode, 202, res.body);
  const id = res.json().analysis_id as string;
  assert.ok(s3.requests.some((r) => r.startsWith('PUT ') && r.includes(`/${s3.bucket}/api/uploads/`)));
  const s = await waitFor(async () => {
    const r = (await t.app.inject({ url: `/api/media/${id}`, headers: auth(t.tenantA.key) })).json();
    return ['completed', 'failed'].includes(r.status) ? r : null;
  }, 60_000);
  assert.equal(s.status, 'completed', s.error_message);
  const list = (await t.app.inject({ url: `/api/media/${id}/artifacts`, headers: auth(t.tenantA.key) })).json();
  const source = list.data.find((a: { area: string }) => a.area === 'uploads');
  assert.ok(source, JSON.stringify(list.data));
  const art = await t.app.inject({ url: source.url, headers: auth(t.tenantA.key) });
  assert.equal(art.statusCode, 302, art.body);
  const location = String(art.headers.location);
  assert.match(location, /X-Amz-Signature=/);
  assert.ok(location.startsWith(s3.endpoint));
  const fetched = Buffer.from(await (await fetch(location)).arrayBuffer());
  const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  assert.equal(sha(fetched), sha(image));
  // Another tenant is refused before any URL is made.
  assert.equal((await t.app.inject({ url: source.url, headers: auth(t.tenantB.key) })).statusCode, 404);
});

test('the store down: uploads get 503 STORAGE_UNAVAILABLE with Retry-After and leave no row; stored rows still read', async () => {
  const before = await t.db.db
    .selectFrom('media_analysis_requests')
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const history = (await t.app.inject({ url: '/api/media/history', headers: auth(t.tenantA.key) })).json();
  const stored = history.data[0].analysis_id as string;
  await s3.stop();
  const res = await upload(Buffer.from('plain notes\n'), 'notes.txt');
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.json().code, 'STORAGE_UNAVAILABLE');
  assert.ok(res.headers['retry-after']);
  const after = await t.db.db
    .selectFrom('media_analysis_requests')
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(Number(after.n), Number(before.n), 'no analysis row for the refused upload');
  const status = await t.app.inject({ url: `/api/media/${stored}`, headers: auth(t.tenantA.key) });
  assert.equal(status.statusCode, 200);
  assert.equal(status.json().status, 'completed');
});
