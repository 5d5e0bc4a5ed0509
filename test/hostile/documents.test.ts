/**
 * Hostile documents at the adapter level: each ends with its code within seconds, and
 * this process (the worker's stand-in) keeps a bounded footprint.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../src/domain/errors.ts';
import { docxText, pdfText, plainText, renderDpi, MIN_OCR_DPI } from '../../src/media/document-text.ts';
import { checkDocxBounds } from '../../src/media/docx-bounds.ts';
import { extractDocumentText, probePdfSandboxed } from '../../src/media/document-extract.ts';
import { DOCX_MIME } from '../../src/contract/document-formats.ts';
import { blankPdf, deeplyNestedPdf, docxBomb, lyingPagesPdf, manyEntriesZip } from './hostile-fixtures.ts';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-hostile-docs-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, data: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

/** Await `p`, expecting an AppError with `code` within `maxMs`, and RSS growth under `maxRssGrowthMb`. */
async function failsWith(p: () => Promise<unknown>, code: string, maxMs: number, maxRssGrowthMb = 200) {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  try {
    const err = await p().then(
      () => assert.fail(`expected ${code}`),
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    assert.ok(err instanceof AppError, `expected AppError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(ms < maxMs, `${code} took ${Math.round(ms)} ms (limit ${maxMs})`);
    const growth = (peak - rssBefore) / 1024 / 1024;
    assert.ok(growth < maxRssGrowthMb, `RSS grew ${Math.round(growth)} MiB`);
    return err;
  } finally {
    clearInterval(sampler);
  }
}

const sandbox = { memoryMb: 512, timeoutMs: 60_000 };

test('defect 1: a DOCX bomb (7.5 M paragraphs, 262 MB of XML) is DOCUMENT_TOO_LARGE before decoding', async () => {
  const file = await write('bomb.docx', await docxBomb(7_500_000));
  assert.ok((await fs.stat(file)).size < 2 * 1024 * 1024);
  const err = await failsWith(() => docxText(file), 'DOCUMENT_TOO_LARGE', 3_000, 100);
  assert.match(err.message, /unpacks to \d+ bytes/);
});

test('a DOCX whose directory lies about its size is stopped while inflating', async () => {
  const file = await write('liar.docx', await docxBomb(7_500_000, { declaredSize: 1000 }));
  await failsWith(() => docxText(file), 'DOCUMENT_TOO_LARGE', 10_000, 100);
});

test('a DOCX with too many XML nodes is refused from the stream', async () => {
  const file = await write('nodes.docx', await docxBomb(400_000));
  const err = await failsWith(() => docxText(file), 'DOCUMENT_TOO_LARGE', 5_000, 100);
  assert.match(err.message, /XML nodes/);
});

test('a zip with thousands of parts is refused from its directory', async () => {
  const file = await write('entries.docx', await manyEntriesZip(5_000));
  const err = await failsWith(() => checkDocxBounds(file), 'DOCUMENT_TOO_LARGE', 2_000);
  assert.match(err.message, /5002 parts/);
});

test('a file that is not a zip at all is MEDIA_CORRUPT', async () => {
  const file = await write('notzip.docx', 'PK\u0003\u0004 just some bytes');
  await failsWith(() => docxText(file), 'MEDIA_CORRUPT', 2_000);
});

test('a normal DOCX still reads, in the sandbox', async () => {
  const file = await write('ok.docx', await docxBomb(20));
  const doc = await extractDocumentText(file, DOCX_MIME, { maxPages: 10, ocr: false }, sandbox);
  assert.equal(doc.format, 'docx');
  assert.equal(doc.text.replace(/\s+/g, ''), 'a'.repeat(20));
});

test('defect 3: a deeply nested PDF is MEDIA_CORRUPT (permanent), in process and in the sandbox', async () => {
  const file = await write('deep.pdf', deeplyNestedPdf());
  const direct = await failsWith(() => pdfText(file, { maxPages: 10 }), 'MEDIA_CORRUPT', 10_000);
  assert.equal(direct.permanent, true);
  const boxed = await failsWith(
    () => extractDocumentText(file, 'application/pdf', { maxPages: 10, ocr: false }, sandbox),
    'MEDIA_CORRUPT',
    15_000,
  );
  assert.equal(boxed.permanent, true);
  assert.doesNotMatch(boxed.message, new RegExp(dir));
});

test('defect 3: a PDF whose page tree claims 10,000 pages is read for what it holds', async () => {
  const file = await write('liar.pdf', lyingPagesPdf(10_000));
  const doc = await pdfText(file, { maxPages: 2_000 });
  assert.equal(doc.pages, 1);
  const probe = await probePdfSandboxed(file, sandbox);
  assert.equal(probe.pages, 1);
});

test('defect 3: a renderer that refuses a page (pdftoppm exit 99) is MEDIA_CORRUPT, not retried', async () => {
  const file = await write('refused.pdf', blankPdf(1));
  const err = await failsWith(
    () => pdfText(file, { maxPages: 10, pdftoppmPath: 'false', ocr: async () => ({ text: '', confidence: 0 }) }),
    'MEDIA_CORRUPT',
    5_000,
  );
  assert.equal(err.permanent, true);
});

test('render resolution fits the pixel limit (table)', () => {
  const cases: Array<[number, number, number, number | null]> = [
    [612, 792, 50_000_000, 200],
    [612, 792, 1_000_000, 103],
    [7200, 7200, 16_000_000, null],
    [2000, 2000, 16_000_000, 144],
    [0, 792, 16_000_000, null],
  ];
  for (const [w, h, px, dpi] of cases) {
    const got = renderDpi(w, h, px);
    assert.equal(got, dpi, `${w}x${h}pt in ${px}px`);
    if (got !== null) {
      assert.ok(got >= MIN_OCR_DPI);
      assert.ok((((w / 72) * h) / 72) * got * got <= px);
    }
  }
});

test('defect 4: a 7200×7200 pt page is not rendered at 20,000 px; OCR skips it, in seconds', async () => {
  const file = await write('huge-page.pdf', blankPdf(1, 7200, 7200));
  let rendered = 0;
  const t0 = performance.now();
  const doc = await pdfText(file, {
    maxPages: 10,
    maxPixels: 50_000_000,
    ocr: async () => {
      rendered++;
      return { text: '', confidence: 0 };
    },
  });
  assert.equal(rendered, 0);
  assert.equal(doc.ocr_skipped_pages, 1);
  assert.ok(performance.now() - t0 < 5_000);
});

test('defect 4: a page within bounds is rendered at a lowered resolution and OCR is capped per document', async () => {
  const file = await write('many-blank.pdf', blankPdf(12, 1000, 1000));
  const sizes: number[] = [];
  const t0 = performance.now();
  const doc = await pdfText(file, {
    maxPages: 2_000,
    maxPixels: 4_000_000,
    maxOcrPages: 2,
    ocr: async (png) => {
      sizes.push(png.readUInt32BE(16) * png.readUInt32BE(20));
      return { text: '', confidence: 0 };
    },
  });
  assert.equal(sizes.length, 2);
  for (const px of sizes) assert.ok(px <= 4_000_000 && px > 3_000_000, `rendered ${px} px`);
  assert.equal(doc.ocr_skipped_pages, 10);
  assert.ok(performance.now() - t0 < 60_000, `took ${Math.round(performance.now() - t0)} ms`);
});

test('plain text over the size limit is DOCUMENT_TOO_LARGE without reading it', async () => {
  const file = await write('big.txt', 'x'.repeat(2048));
  await failsWith(() => plainText(file, 'text/plain', 1024), 'DOCUMENT_TOO_LARGE', 1_000);
});

test('an HTML page built to make the tag stripper quadratic is stopped by the sandbox time limit', async () => {
  const file = await write('redos.html', '<html>' + '<script '.repeat(200_000));
  await failsWith(
    () => extractDocumentText(file, 'text/html', { maxPages: 1, ocr: false }, { memoryMb: 512, timeoutMs: 3_000 }),
    'MEDIA_TOO_COMPLEX',
    10_000,
  );
});
