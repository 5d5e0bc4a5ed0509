/** The OCR thresholds the stages pass to the adapter: TEXT_CALIBRATION, chosen by `npm run eval text`. */
import { TEXT_CALIBRATION } from '../../domain/analysis/calibration.ts';
import type { OcrAcceptance, OcrReading } from '../../media/ocr.ts';

export function ocrAcceptance(): OcrAcceptance {
  return {
    minWordConfidence: TEXT_CALIBRATION.minWordConfidence.value,
    minLineConfidence: TEXT_CALIBRATION.minLineConfidence.value,
    minLineAlphanumerics: TEXT_CALIBRATION.minLineAlphanumerics.value,
  };
}

/**
 * How pictures are read (TEXT_CALIBRATION.minReadSide, minSpaceProbability,
 * pageDetectionSide): small ones enlarged first, a space read where the recogniser all but
 * chose one, a whole page's text found at a larger side than a picture's.
 */
export function ocrReading(): OcrReading {
  return {
    minSide: TEXT_CALIBRATION.minReadSide.value,
    minSpaceProbability: TEXT_CALIBRATION.minSpaceProbability.value,
    pageDetectionSide: TEXT_CALIBRATION.pageDetectionSide.value,
  };
}
