import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLanguage, htmlToText } from './document-text.ts';
import { dedupeFrameText, normaliseLine } from '../pipeline/stages/frame-ocr.stage.ts';
import { parseRange } from '../http/routes/media.routes.ts';

const langs: Array<[string, string | null]> = [
  ['The cat and the dog are in the garden with the children.', 'en'],
  ['Der Hund und die Katze sind nicht in dem Garten, das ist gut.', 'de'],
  ['Le chat et le chien sont dans le jardin pour la journée.', 'fr'],
  ['El perro y el gato están en la casa con los niños para el día.', 'es'],
  ['hi', null],
];
for (const [text, lang] of langs)
  test(`language of "${text.slice(0, 20)}…" is ${lang}`, () => assert.equal(detectLanguage(text), lang));

test('HTML to text drops scripts and tags, keeps blocks and entities', () => {
  const r = htmlToText(
    '<html><head><title> T </title><style>x{}</style></head><body><h1>A</h1><p>b &amp; c&#33; &#x41;</p><script>evil()</script></body></html>',
  );
  assert.equal(r.title, 'T');
  assert.equal(r.text, 'A\nb & c! A');
});

test('frame OCR lines are de-duplicated across frames', () => {
  const lines = dedupeFrameText([
    { seconds: 1, text: 'HELLO CAPTION\nx' },
    { seconds: 2, text: 'Hello, caption!' },
    { seconds: 3, text: 'Other line' },
  ]);
  assert.deepEqual(lines, [
    { text: 'HELLO CAPTION', seconds: [1, 2] },
    { text: 'Other line', seconds: [3] },
  ]);
  assert.equal(normaliseLine('  A--b  '), 'a b');
});

const ranges: Array<[string | undefined, number, ReturnType<typeof parseRange>]> = [
  [undefined, 100, null],
  ['bytes=0-9', 100, { start: 0, end: 9 }],
  ['bytes=90-', 100, { start: 90, end: 99 }],
  ['bytes=-10', 100, { start: 90, end: 99 }],
  ['bytes=50-500', 100, { start: 50, end: 99 }],
  ['bytes=100-', 100, 'unsatisfiable'],
  ['bytes=5-2', 100, 'unsatisfiable'],
  ['bytes=0-1,5-6', 100, null],
  ['items=0-1', 100, null],
];
for (const [h, size, out] of ranges) test(`Range ${h}`, () => assert.deepEqual(parseRange(h, size), out));

test('a PDF over the page limit is refused before its text is read', async () => {
  const { pdfText } = await import('./document-text.ts');
  const { makePdf } = await import('../../test/helpers/fixtures.ts');
  const fs = await import('node:fs/promises');
  const os = await import('node:os');
  const file = `${os.tmpdir()}/ma-pages-${process.pid}.pdf`;
  await fs.writeFile(file, makePdf(['a', 'b', 'c']));
  await assert.rejects(
    pdfText(file, { maxPages: 2 }),
    (e: unknown) => (e as { code?: string }).code === 'DOCUMENT_TOO_LONG',
  );
  const ok = await pdfText(file, { maxPages: 3 });
  assert.equal(ok.pages, 3);
  await fs.rm(file);
});
