import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeDocx, pngHeaderOnly } from '../../test/helpers/fixtures.ts';
import { extractDocxImages, mediaParts } from './docx-images.ts';
import type { ZipEntry } from './zip-directory.ts';

const LIMITS = { maxImages: 30, minSidePx: 64, maxPixels: 50_000_000, maxBytes: 1024 * 1024, totalTimeoutMs: 60_000 };

const picture = (w: number, h: number, format: 'png' | 'jpeg' = 'png') =>
  sharp({ create: { width: w, height: h, channels: 3, background: '#3a6' } })
    .toFormat(format)
    .toBuffer();

async function withDocx<T>(docx: Buffer, fn: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-docx-img-'));
  try {
    const file = path.join(dir, 'doc.docx');
    await fs.writeFile(file, docx);
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    return await fn(file, out);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

test('picture parts in the order Word added them (image2 before image10), only under word/media', () => {
  const entry = (name: string): ZipEntry => ({
    name,
    method: 0,
    compressedSize: 1,
    uncompressedSize: 1,
    localHeaderOffset: 0,
  });
  const names = mediaParts(
    ['word/media/image10.png', 'word/document.xml', 'word/media/image2.jpeg', 'docProps/thumbnail.jpeg'].map(entry),
  ).map((e) => e.name);
  assert.deepEqual(names, ['word/media/image2.jpeg', 'word/media/image10.png']);
});

test('pictures are written as PNG; small, oversized, vector and undecodable parts are skipped and counted', async () => {
  const docx = makeDocx(
    ['text'],
    [
      ['image1.jpeg', await picture(320, 200, 'jpeg')],
      ['image2.png', await picture(40, 40)],
      ['image3.png', pngHeaderOnly(30_000, 30_000)],
      ['image4.emf', Buffer.from('vector')],
      ['image5.png', Buffer.from('not a png at all')],
      ['image6.png', await picture(100, 120)],
      // Named as a PNG, an SVG inside: the bytes decide, and an SVG is no photograph.
      [
        'image7.png',
        Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200"/></svg>',
        ),
      ],
    ],
  );
  const result = await withDocx(docx, async (file, dir) => {
    const r = await extractDocxImages(file, dir, LIMITS);
    const written = await Promise.all(r.images.map(async (i) => (await sharp(i.path).metadata()).format));
    return { ...r, written, files: (await fs.readdir(dir)).sort() };
  });
  assert.equal(result.failure, null);
  assert.equal(result.listed, 7);
  assert.deepEqual(
    result.images.map((i) => [i.part, i.width, i.height]),
    [
      ['word/media/image1.jpeg', 320, 200],
      ['word/media/image6.png', 100, 120],
    ],
  );
  assert.deepEqual(result.written, ['png', 'png']);
  // Nothing but the chosen pictures is left in the folder.
  assert.deepEqual(result.files, ['d1.png', 'd2.png']);
  assert.deepEqual(result.skipped, { small: 1, large: 1, beyondLimit: 0, unsupported: 2, unreadable: 1 });
});

test('a part that inflates past the size it declares is not held: unreadable, the rest still read', async () => {
  const docx = makeDocx(
    ['text'],
    [
      ['image1.png', await picture(100, 100)],
      ['image2.png', await picture(100, 100)],
    ],
  );
  // The directory's entry for image1 now declares 10 bytes (its uncompressed size, at +24).
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  let at = docx.indexOf(signature);
  while (at >= 0 && docx.toString('utf8', at + 46, at + 46 + docx.readUInt16LE(at + 28)) !== 'word/media/image1.png')
    at = docx.indexOf(signature, at + 4);
  assert.ok(at >= 0);
  docx.writeUInt32LE(10, at + 24);
  const r = await withDocx(docx, (file, dir) => extractDocxImages(file, dir, LIMITS));
  assert.deepEqual(
    r.images.map((i) => i.part),
    ['word/media/image2.png'],
  );
  assert.equal(r.skipped.unreadable, 1);
});

test('past the time limit: the pictures written so far are kept, and the reason given', async () => {
  const docx = makeDocx(['text'], [['image1.png', await picture(100, 100)]]);
  const r = await withDocx(docx, (file, dir) => extractDocxImages(file, dir, { ...LIMITS, totalTimeoutMs: -1 }));
  assert.deepEqual(r.images, []);
  assert.match(r.failure ?? '', /time limit/);
});

test('at most maxImages pictures; a part over maxBytes is not read', async () => {
  const big = await picture(600, 600);
  const docx = makeDocx(
    ['text'],
    [
      ['image1.png', await picture(100, 100)],
      ['image2.png', big],
      ['image3.png', await picture(100, 100)],
      ['image4.png', await picture(100, 100)],
    ],
  );
  const r = await withDocx(docx, (file, dir) =>
    extractDocxImages(file, dir, { ...LIMITS, maxImages: 2, maxBytes: big.length - 1 }),
  );
  assert.deepEqual(
    r.images.map((i) => i.part),
    ['word/media/image1.png', 'word/media/image3.png'],
  );
  assert.deepEqual(r.skipped, { small: 0, large: 1, beyondLimit: 1, unsupported: 0, unreadable: 0 });
});

test('a file that is not a zip gives no picture and the reason, not an error', async () => {
  const r = await withDocx(Buffer.from('plain text, not a zip'), (file, dir) => extractDocxImages(file, dir, LIMITS));
  assert.deepEqual(r.images, []);
  assert.match(r.failure ?? '', /could not be listed \(MEDIA_CORRUPT\)/);
});

test('an abort is thrown, and the pictures already written are removed', async () => {
  const docx = makeDocx(
    ['text'],
    [
      ['image1.png', await picture(100, 100)],
      ['image2.png', await picture(100, 100)],
    ],
  );
  // A signal that is aborted by the time the second part is reached (the first is written).
  let checks = 0;
  const signal = {
    throwIfAborted() {
      if (++checks > 1) throw new DOMException('aborted', 'AbortError');
    },
  } as unknown as AbortSignal;
  let left: string[] = ['not read'];
  await assert.rejects(
    withDocx(docx, async (file, dir) => {
      try {
        return await extractDocxImages(file, dir, LIMITS, signal);
      } finally {
        left = await fs.readdir(dir);
      }
    }),
    (err: Error) => err.name === 'AbortError',
  );
  assert.equal(checks, 2);
  assert.deepEqual(left, []);
});
