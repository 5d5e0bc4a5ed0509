import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEXT_CALIBRATION } from '../../domain/analysis/calibration.ts';
import { MAX_DETECTION_SIDE } from '../../media/ocr.ts';
import { ocrReading } from './ocr-acceptance.ts';

test('the page detection side is for a document’s pages only, not uploaded pictures or video frames', () => {
  assert.equal(ocrReading('page').pageDetectionSide, TEXT_CALIBRATION.pageDetectionSide.value);
  assert.ok(ocrReading('page').pageDetectionSide > MAX_DETECTION_SIDE);
  assert.equal(ocrReading('picture').pageDetectionSide, 0);
  assert.deepEqual(
    { ...ocrReading('picture'), pageDetectionSide: null },
    { ...ocrReading('page'), pageDetectionSide: null },
    'otherwise read alike',
  );
});
