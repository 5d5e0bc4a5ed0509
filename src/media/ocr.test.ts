import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEXT_CALIBRATION } from '../domain/analysis/calibration.ts';
import { acceptText, recognize, terminateOcr, type OcrAcceptance } from './ocr.ts';

const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const acceptance: OcrAcceptance = {
  minWordConfidence: TEXT_CALIBRATION.minWordConfidence.value,
  minLineConfidence: TEXT_CALIBRATION.minLineConfidence.value,
  minLineAlphanumerics: TEXT_CALIBRATION.minLineAlphanumerics.value,
};

after(() => terminateOcr());

// Issue #22: tesseract read "V/& / < / Na yr / _ Sit" into a photograph of fruit, and
// "§ £ 5 / “3 | / 0 h aN A" into the astronaut portrait; both were summarised and indexed.
for (const photo of [`${SKIMAGE}/coffee.png`, `${OPENCV}/fruits.jpg`, `${SKIMAGE}/astronaut.png`])
  test(`no text is read into a photograph without text (${photo.split('/').pop()})`, async () => {
    const r = await recognize(photo, acceptance);
    assert.equal(r.text, '', JSON.stringify(r));
    assert.equal(r.words, 0);
    assert.deepEqual(r.lines, []);
  });

test('a scanned page is read: at least 95 % of its words, each line with its confidence', async () => {
  const r = await recognize(`${SKIMAGE}/page.png`, acceptance);
  const expected =
    'Region-based segmentation Let us first determine markers of the coins and the background. These markers are pixels that we can label unambiguously as either object or background. Here, the markers are found at the two extreme parts of the histogram of grey values:';
  const norm = (s: string) =>
    s
      .toLowerCase()
      .split(/\s+/)
      .map((w) => w.replace(/[^\p{L}\p{N}]+/gu, ''))
      .filter(Boolean);
  const got = new Set(norm(r.text));
  const want = norm(expected);
  const read = want.filter((w) => got.has(w)).length;
  assert.ok(read / want.length >= 0.95, `${read} of ${want.length} words: ${r.text}`);
  assert.ok(r.lines.length >= 6);
  for (const l of r.lines) assert.ok(l.confidence >= acceptance.minLineConfidence, JSON.stringify(l));
  assert.equal(r.text, r.lines.map((l) => l.text).join('\n'));
});

test('below-threshold words and lines are kept apart, never in text', () => {
  const box = (y: number, words: Array<[string, number]>) => ({
    words: words.map(([text, confidence]) => ({ text, confidence })),
    x: 100,
    y,
    height: 20,
  });
  const r = acceptText(
    [
      box(10, [['NOTICE', 0.99]]),
      box(50, [['V/&', 0.3]]),
      box(90, [['0', 0.9]]),
      box(130, [
        ['DOUBLE', 0.98],
        ['xq', 0.1],
      ]),
    ],
    { minWordConfidence: 0.5, minLineConfidence: 0.5, minLineAlphanumerics: 2 },
  );
  assert.equal(r.text, 'NOTICE\nDOUBLE');
  assert.deepEqual(
    r.rejected.map((l) => l.text),
    ['V/&', '0', 'xq'],
  );
  assert.equal(r.words, 2);
  assert.ok(r.confidence > 0.98);
});
