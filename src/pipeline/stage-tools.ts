/**
 * The adapters a stage reaches the world through: media tools (FFmpeg, probes, frames,
 * shots, OCR, local speech, documents, images), the guarded download, provider calls
 * and the text embedder. The composition root hands them in as `ctx.deps.tools`; stages
 * import none of these modules' code (depcruise rule `stages-through-deps`), so a stage
 * can be run with other tools. Each field is the adapter module itself (its pure helpers
 * come along with the code that does I/O).
 */
import type * as contactSheet from '../media/contact-sheet.ts';
import type * as detectType from '../media/detect-type.ts';
import type * as documentExtract from '../media/document-extract.ts';
import type * as documentProbe from '../media/document-probe.ts';
import type * as ffmpeg from '../media/ffmpeg.ts';
import type * as ffprobe from '../media/ffprobe.ts';
import type * as frames from '../media/frames.ts';
import type * as imageAnalysis from '../media/image-analysis.ts';
import type * as imageProbe from '../media/image-probe.ts';
import type * as localSpeech from '../media/local-speech.ts';
import type * as ocr from '../media/ocr.ts';
import type * as docxImages from '../media/docx-images.ts';
import type * as pdfImages from '../media/pdf-images.ts';
import type * as shots from '../media/shots.ts';
import type * as modelHost from '../media/vision/model-host.ts';
import type * as faceThumbnail from '../media/vision/face-thumbnail.ts';
import type * as download from '../net/safe-download.ts';
import type { Embedder } from '../nlp/embedder.ts';
import type * as providerCall from '../providers/provider-call.ts';

export interface StageTools {
  contactSheet: Pick<typeof contactSheet, 'composeContactSheet' | 'parseGrid'>;
  detectType: Pick<typeof detectType, 'detectFile'>;
  documents: Pick<typeof documentExtract, 'extractDocumentText' | 'probePdfSandboxed'> &
    Pick<typeof documentProbe, 'probeText'> &
    Pick<typeof pdfImages, 'extractPdfImages'> &
    Pick<typeof docxImages, 'extractDocxImages'>;
  ffmpeg: typeof ffmpeg;
  ffprobe: Pick<typeof ffprobe, 'probeFile'>;
  frames: Pick<typeof frames, 'extractFramesInBatches'>;
  images: Pick<typeof imageAnalysis, 'summarizeExif' | 'dominantColours' | 'thumbnail'> &
    Pick<typeof imageProbe, 'probeImage'>;
  localSpeech: Pick<typeof localSpeech, 'markLowConfidence' | 'transcribeTrack'>;
  ocr: Pick<typeof ocr, 'recognize' | 'OCR_ENGINE'>;
  shots: Pick<typeof shots, 'detectShots'>;
  /** A person's face cut out of a frame, for the people stage's thumbnails. */
  faces: Pick<typeof faceThumbnail, 'faceThumbnail'>;
  /** The error class the vision model host throws (a stage tells a model failure from a bug). */
  modelHost: Pick<typeof modelHost, 'ModelHostError'>;
  download: Pick<typeof download, 'openDownload' | 'mapNetworkError'>;
  providers: Pick<typeof providerCall, 'callProvider'>;
  /** The process's text embedder (a worker thread, started on first use). */
  embedder: () => Embedder;
}
