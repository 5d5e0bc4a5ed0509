/** The S3 driver against a real S3-protocol server (s3rver) started here. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { S3_MIN_PART_BYTES } from '../src/storage/s3-client.ts';
import { S3Storage } from '../src/storage/s3-storage.ts';
import { AppError } from '../src/domain/errors.ts';
import { startTestS3, S3RVER_CREDENTIALS, type TestS3 } from './helpers/s3.ts';

let s3: TestS3;
let store: S3Storage;
before(async () => {
  s3 = await startTestS3();
  store = new S3Storage(await s3.settings('media/'), { credentials: S3RVER_CREDENTIALS });
});
after(async () => {
  await store.close();
  await s3.stop();
});

const ID = '0b8f7c1e-7e0a-4c57-9f3a-6f0a4d5e1c2b';
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** A stream of `total` pseudo-random bytes in 256 KiB chunks (like an HTTP request body). */
function body(total: number, seed = 1): { stream: Readable; bytes: Buffer } {
  const bytes = Buffer.alloc(total);
  for (let i = 0; i < total; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  const chunks: Buffer[] = [];
  for (let i = 0; i < total; i += 256 * 1024) chunks.push(bytes.subarray(i, i + 256 * 1024));
  return { stream: Readable.from(chunks), bytes };
}

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test('a large upload streams in as a multipart upload; size, hash, Range and listing agree', async () => {
  const { stream, bytes } = body(2 * S3_MIN_PART_BYTES + 12345);
  const before = s3.requests.length;
  const stored = await store.writeStream(`uploads/2026-12-01/${ID}/source`, stream, { maxBytes: 50e6 });
  assert.equal(stored.sizeBytes, bytes.length);
  assert.equal(stored.sha256, sha(bytes));
  assert.equal(stored.location, `s3://${s3.bucket}/media/uploads/2026-12-01/${ID}/source`);
  const calls = s3.requests.slice(before);
  assert.ok(
    calls.some((c) => c.startsWith('POST') && c.includes('uploads')),
    'CreateMultipartUpload',
  );
  assert.equal(calls.filter((c) => c.startsWith('PUT') && c.includes('partNumber=')).length, 3);
  assert.deepEqual(await store.stat(`uploads/2026-12-01/${ID}/source`), { sizeBytes: bytes.length });

  const slice = await collect(await store.read(`uploads/2026-12-01/${ID}/source`, { start: 100, end: 5_000_099 }));
  assert.equal(slice.length, 5_000_000);
  assert.ok(slice.equals(bytes.subarray(100, 5_000_100)));

  const listed: string[] = [];
  for await (const f of store.list()) listed.push(f);
  assert.ok(listed.includes(`uploads/2026-12-01/${ID}/source`));
});

test('over the size limit: MEDIA_TOO_LARGE, the multipart upload aborted, no object left', async () => {
  const { stream } = body(4 * S3_MIN_PART_BYTES);
  const rel = `uploads/2026-12-01/${ID}/too-big`;
  const before = s3.requests.length;
  await assert.rejects(
    store.writeStream(rel, stream, { maxBytes: 2 * S3_MIN_PART_BYTES + 1000 }),
    (err: unknown) => err instanceof AppError && err.code === 'MEDIA_TOO_LARGE',
  );
  assert.equal(await store.stat(rel), null);
  const calls = s3.requests.slice(before);
  assert.ok(
    calls.some((c) => c.startsWith('POST') && c.includes('uploads')),
    `a multipart upload was started: ${calls.join(', ')}`,
  );
  assert.ok(
    calls.some((c) => c.startsWith('DELETE') && c.includes('uploadId=')),
    `AbortMultipartUpload sent: ${calls.join(', ')}`,
  );
});

test('a client that disconnects mid-upload leaves nothing behind', async () => {
  const rel = `uploads/2026-12-01/${ID}/disconnected`;
  const chunk = Buffer.alloc(1024 * 1024, 1);
  let sent = 0;
  const stream = new Readable({
    read() {
      sent++;
      if (sent <= 7) this.push(chunk);
      else this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    },
  });
  const before = s3.requests.length;
  await assert.rejects(store.writeStream(rel, stream), /aborted/);
  assert.equal(await store.stat(rel), null);
  assert.ok(s3.requests.slice(before).some((c) => c.startsWith('DELETE') && c.includes('uploadId=')));
});

test('a worker materializes a source into scratch, persists what a tool wrote, and releases scratch', async () => {
  const src = `uploads/2026-12-01/${ID}/source`;
  const local = await store.materialize(src);
  assert.ok(local.startsWith(store.root));
  const again = await store.materialize(src);
  assert.equal(again, local, 'a second call reuses the copy');
  const produced = store.resolve(`outputs/2026-12-01/${ID}/result.json`);
  await fs.mkdir(path.dirname(produced), { recursive: true });
  await fs.writeFile(produced, '{"ok":true}');
  const stored = await store.persist(`outputs/2026-12-01/${ID}/result.json`, 'application/json');
  assert.equal(stored.sizeBytes, 11);
  assert.equal((await collect(await store.read(`outputs/2026-12-01/${ID}/result.json`))).toString(), '{"ok":true}');
  const viaBuffer = await store.writeBuffer(`frames/2026-12-01/${ID}/f1.txt`, 'frame');
  assert.equal(viaBuffer.sha256, sha(Buffer.from('frame')));

  await store.releaseScratch(ID);
  await assert.rejects(fs.stat(local), /ENOENT/);
  await assert.rejects(fs.stat(produced), /ENOENT/);
  assert.equal(await store.exists(src), true, 'the store keeps the files');
});

test('presigned URL serves the object (with Range) and expires', async () => {
  const url = await store.presign(`outputs/2026-12-01/${ID}/result.json`, {
    ttlSeconds: 60,
    filename: 'result.json',
    contentType: 'application/json',
  });
  const u = new URL(url);
  assert.equal(u.searchParams.get('X-Amz-Expires'), '60');
  const res = await fetch(url, { headers: { range: 'bytes=1-4' } });
  assert.equal(res.status, 206);
  assert.equal(await res.text(), '"ok"');
  assert.match(res.headers.get('content-disposition') ?? '', /result\.json/);
});

test('remove and removeDir delete objects and their scratch copies', async () => {
  await store.writeBuffer(`contact-sheets/2026-12-01/${ID}/a.jpg`, 'a');
  await store.writeBuffer(`contact-sheets/2026-12-01/${ID}/b.jpg`, 'b');
  await store.removeDir(`contact-sheets/2026-12-01/${ID}`);
  assert.equal(await store.exists(`contact-sheets/2026-12-01/${ID}/a.jpg`), false);
  assert.equal(await store.exists(`contact-sheets/2026-12-01/${ID}/b.jpg`), false);
  await store.remove(`frames/2026-12-01/${ID}/f1.txt`);
  assert.equal(await store.exists(`frames/2026-12-01/${ID}/f1.txt`), false);
  await store.remove(`frames/2026-12-01/${ID}/never-existed`);
  await assert.rejects(store.read(`frames/2026-12-01/${ID}/f1.txt`), (e: unknown) => {
    return e instanceof AppError && e.code === 'ARTIFACT_NOT_FOUND';
  });
});

test('paths are checked like local ones', () => {
  assert.throws(() => store.key('../etc/passwd'), /escapes/);
  assert.throws(() => store.key('/abs'), /escapes/);
});

test('an unreachable store fails fast with a retryable STORAGE_UNAVAILABLE', async () => {
  const down = new S3Storage(
    { ...(await s3.settings()), endpoint: await s3.unreachableEndpoint() },
    { credentials: S3RVER_CREDENTIALS },
  );
  try {
    const started = Date.now();
    const isUnavailable = (e: unknown) => e instanceof AppError && e.code === 'STORAGE_UNAVAILABLE' && !e.permanent;
    await assert.rejects(down.writeStream(`uploads/2026-12-01/${ID}/x`, body(1000).stream), isUnavailable);
    await assert.rejects(down.stat(`uploads/2026-12-01/${ID}/x`), isUnavailable);
    await assert.rejects(down.check(), isUnavailable);
    await assert.rejects(down.materialize(`uploads/2026-12-01/${ID}/x`), isUnavailable);
    assert.ok(Date.now() - started < 10_000, 'no long hang');
  } finally {
    await down.close();
  }
});

test('sweepScratch removes folders of dead processes on this host and keeps live ones', async () => {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-sweep-'));
  try {
    const own = path.join(parent, `${os.hostname()}-${process.pid}-aaaaaaaa`);
    const dead = path.join(parent, `${os.hostname()}-999999999-bbbbbbbb`);
    const alive = path.join(parent, `${os.hostname()}-${process.ppid}-cccccccc`);
    for (const d of [dead, alive]) await fs.mkdir(path.join(d, 'uploads'), { recursive: true });
    const s = new S3Storage({ ...(await s3.settings()), scratchDir: own }, { credentials: S3RVER_CREDENTIALS });
    assert.equal(await s.sweepScratch(), 1);
    assert.deepEqual((await fs.readdir(parent)).sort(), [path.basename(own), path.basename(alive)].sort());
    await s.close();
  } finally {
    await fs.rm(parent, { recursive: true, force: true });
  }
});
