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
 * chose one; a document's page (`page`: a PDF page rendered for OCR) has its text found at a
 * larger side than a picture's. Uploaded pictures and video frames do not get the page rule:
 * a phone's portrait photograph is page-shaped too, and read at the page side the
 * photographs without text of the text evaluation, cut to 3:4 portraits of 1536x2048,
 * gave 6 invented words on 3 of 21 photographs (2 on 1 at the picture side) and took 2-5x
 * as long.
 */
export function ocrReading(kind: 'picture' | 'page'): OcrReading {
  return {
    minSide: TEXT_CALIBRATION.minReadSide.value,
    minSpaceProbability: TEXT_CALIBRATION.minSpaceProbability.value,
    pageDetectionSide: kind === 'page' ? TEXT_CALIBRATION.pageDetectionSide.value : 0,
  };
}
