import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeIllustratedPdf, makePdf } from '../../test/helpers/fixtures.ts';
import { photo } from '../../test/helpers/photos.ts';
import { chooseImages, extractPdfImages, parseImageFileName, parseImageList } from './pdf-images.ts';

const LIST = `page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio
--------------------------------------------------------------------------------------------
   1     0 image     600   400  rgb     3   8  jpeg   no         4  0    71    71 46.2K 6.6%
   2     1 image     512   512  rgb     3   8  jpeg   no         7  0    60    60 44.3K 5.8%
   2     2 smask     512   512  gray    1   8  image  no         8  0    60    60  1.2K 0.5%
   3     3 image      40    30  rgb     3   8  jpeg   no        10  0    60    60  1.0K 5.8%
   4     4 image   90000 90000  rgb     3   8  jpeg   no        12  0    60    60  1.0K 0.0%
   4     5 image     300   300  rgb     3   8  jpeg   no        13  0    60    60  9.0K 3.0%
   5     6 image     512   512  rgb     3   8  jpeg   no         7  0    60    60 44.3K 5.8%
`;

test('the listing: one row per image, masks included, with page and size', () => {
  const rows = parseImageList(LIST);
  assert.equal(rows.length, 7);
  assert.deepEqual(rows[0], { page: 1, type: 'image', width: 600, height: 400, object: '4 0' });
  assert.equal(rows[2]!.type, 'smask');
  assert.deepEqual(parseImageList('page num type\n----\n'), []);
});

test('the choice: pictures only, each object once, not too small, never a page holding one over the pixel limit, up to the count', () => {
  const rows = parseImageList(LIST);
  const { chosen, skipped } = chooseImages(rows, { maxImages: 10, minSidePx: 64, maxPixels: 50_000_000 });
  assert.deepEqual(
    chosen.map((c) => [c.page, c.indexOnPage]),
    [
      [1, 0],
      [2, 0],
    ],
  );
  // Page 4's 300x300 picture shares its page with a 90000x90000 one: the page is not extracted;
  // page 5 draws page 2's picture (object 7) again.
  assert.deepEqual(skipped, { small: 1, large: 2, beyondLimit: 0, repeated: 1 });
  const one = chooseImages(rows, { maxImages: 1, minSidePx: 64, maxPixels: 50_000_000 });
  assert.deepEqual(
    one.chosen.map((c) => c.page),
    [1],
  );
  assert.equal(one.skipped.beyondLimit, 1);
});

test("pdfimages's file names: page and number", () => {
  assert.deepEqual(parseImageFileName('p2-002-000.png'), { page: 2, n: 0 });
  assert.equal(parseImageFileName('p2-002-000.jpg'), null);
});

const ASTRONAUT = photo('astronaut.png');
const COFFEE = photo('coffee.png');
const skip =
  (!existsSync('/usr/bin/pdfimages') || !existsSync(ASTRONAUT)) && 'poppler-utils or python3-skimage missing';

test('a real PDF: the photographs come out as PNG with their pages; a text-only PDF gives none', { skip }, async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pdf-images-'));
  try {
    const jpeg = async (file: string) => {
      const { data, info } = await sharp(file).jpeg().toBuffer({ resolveWithObject: true });
      return { jpeg: data, width: info.width, height: info.height };
    };
    const pdf = path.join(dir, 'report.pdf');
    await fs.writeFile(
      pdf,
      makeIllustratedPdf([
        { text: 'Mission report' },
        { text: 'The commander', picture: await jpeg(ASTRONAUT) },
        { text: 'Coffee', picture: await jpeg(COFFEE) },
      ]),
    );
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    const limits = { maxImages: 10, minSidePx: 64, maxPixels: 50_000_000, timeoutMs: 30_000, totalTimeoutMs: 60_000 };
    const r = await extractPdfImages(pdf, out, limits);
    assert.equal(r.listed, 2);
    assert.deepEqual(
      r.images.map((i) => [i.page, i.width, i.height]),
      [
        [2, 512, 512],
        [3, 600, 400],
      ],
    );
    // The written picture is the photograph (a lossy copy of it), not another one.
    const meta = await sharp(r.images[0]!.path).metadata();
    assert.equal(meta.format, 'png');
    const [a, b] = await Promise.all(
      [r.images[0]!.path, ASTRONAUT].map((f) => sharp(f).resize(16, 16).greyscale().raw().toBuffer()),
    );
    const meanDiff = a!.reduce((n, v, i) => n + Math.abs(v - b![i]!), 0) / a!.length;
    assert.ok(meanDiff < 8, `mean grey difference ${meanDiff}`);

    const limited = path.join(dir, 'limited');
    await fs.mkdir(limited);
    const first = await extractPdfImages(pdf, limited, { ...limits, maxImages: 1 });
    assert.deepEqual(
      first.images.map((i) => i.page),
      [2],
    );
    assert.deepEqual(await fs.readdir(limited), [path.basename(first.images[0]!.path)]);

    const plain = path.join(dir, 'plain.pdf');
    await fs.writeFile(plain, makePdf(['only text']));
    assert.deepEqual((await extractPdfImages(plain, out, limits)).images, []);
    const broken = path.join(dir, 'broken.pdf');
    await fs.writeFile(broken, 'not a pdf at all');
    const unread = await extractPdfImages(broken, out, limits);
    assert.deepEqual(unread.images, []);
    assert.equal(unread.failure, 'pdfimages could not read the file');
    // No program, or no time left: no pictures and the reason, never an error.
    const missing = await extractPdfImages(pdf, out, limits, undefined, '/nonexistent/pdfimages');
    assert.deepEqual(
      [missing.images, missing.failure],
      [[], 'pdfimages could not be started (poppler-utils, PDFIMAGES_PATH)'],
    );
    const late = await extractPdfImages(pdf, out, { ...limits, totalTimeoutMs: 0 });
    assert.deepEqual([late.images, late.failure], [[], 'pdfimages ran past its time limit']);
    // An abort is not swallowed.
    await assert.rejects(extractPdfImages(pdf, out, limits, AbortSignal.abort()));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
