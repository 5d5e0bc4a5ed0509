/**
 * Issue #22: text OCR read into a photograph without text ("V/& / < / Na yr / _ Sit" in a
 * photograph of fruit) was summarised, quoted by the extracted answer and indexed. Below
 * its calibrated thresholds it is now none of these.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { recognize, terminateOcr } from '../media/ocr.ts';
import { ocrAcceptance } from './stages/ocr-acceptance.ts';
import { visionDescription } from './summary.ts';
import { askedFacts } from './stages/extracted-answer.ts';
import type { AnalysisSections } from './results.types.ts';

after(() => terminateOcr());

test('a photograph of fruit: no on-screen text in the summary or the answer; what was read stays apart', async () => {
  const ocr = await recognize('/usr/share/doc/opencv-doc/examples/data/fruits.jpg', ocrAcceptance());
  const results = {
    probe: {
      kind: 'image',
      width: 512,
      height: 480,
      format: 'jpeg',
      channels: 3,
      hasAlpha: false,
      orientation: null,
      pages: null,
    },
    objects: { status: 'completed', labels: [{ label: 'orange', max_count: 2 }], per_shot: [] },
    image: {
      width: 512,
      height: 480,
      format: 'jpeg',
      exif: null,
      dominant_colours: [],
      thumbnail: 't.jpg',
      ocr: { ...ocr, ms: 1 },
    },
  } as unknown as AnalysisSections;
  assert.equal(ocr.text, '');
  assert.doesNotMatch(visionDescription(results), /on-screen text/);
  assert.deepEqual(askedFacts('What text is written on it?', results).on_screen_text, []);
  for (const r of ocr.rejected) assert.equal(typeof r.confidence, 'number');
});
