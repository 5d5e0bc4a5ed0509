import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LocalFileStorage, PathEscapeError, analysisDir, securePath, sourcePath } from './storage.ts';
import { AppError } from '../domain/errors.ts';

test('securePath keeps everything inside the root', () => {
  assert.equal(securePath('/srv/data', 'uploads/a/b'), '/srv/data/uploads/a/b');
  for (const bad of ['', '../etc/passwd', 'uploads/../../etc', '/etc/passwd', 'a\0b', '.', 'uploads/..']) {
    assert.throws(() => securePath('/srv/data', bad), PathEscapeError, JSON.stringify(bad));
  }
});

test('layout: {area}/{YYYY-MM-DD}/{id}', () => {
  const id = '0b616ecf-40cb-4a1f-a62b-0ef0d58093c1';
  assert.equal(analysisDir('frames', id, new Date('2026-11-22T23:59:59Z')), `frames/2026-11-22/${id}`);
  assert.equal(sourcePath(id, new Date('2026-01-02T00:00:00Z')), `uploads/2026-01-02/${id}/source`);
  assert.throws(() => analysisDir('uploads', '../../x', new Date()), PathEscapeError);
});

test('writeStream hashes and sizes; over the limit nothing is left', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-st-'));
  const s = new LocalFileStorage(root);
  const f = await s.writeStream('a/b/c.bin', Readable.from([Buffer.from('hello '), Buffer.from('world')]));
  assert.equal(f.sizeBytes, 11);
  assert.equal(f.sha256, 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9');
  assert.ok(await s.exists('a/b/c.bin'));
  await assert.rejects(
    s.writeStream('a/big.bin', Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), { maxBytes: 15 }),
    (e: unknown) => e instanceof AppError && e.code === 'MEDIA_TOO_LARGE',
  );
  assert.deepEqual((await fs.readdir(path.join(root, 'a'))).sort(), ['b']);
  const b = await s.writeBuffer('x/y.txt', 'hi');
  assert.equal(b.sizeBytes, 2);
  await s.remove('x/y.txt');
  assert.equal(await s.exists('x/y.txt'), false);
  await s.removeDir('a');
  assert.equal(await s.exists('a/b/c.bin'), false);
  await fs.rm(root, { recursive: true });
});
