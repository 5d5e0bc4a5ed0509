/** The adapters handed to pipeline stages (`PipelineDeps.tools`, see pipeline/stage-tools.ts). */
import { composeContactSheet, parseGrid } from '../media/contact-sheet.ts';
import { detectFile } from '../media/detect-type.ts';
import { extractDocumentText, probePdfSandboxed } from '../media/document-extract.ts';
import { probeText } from '../media/document-probe.ts';
import * as ffmpeg from '../media/ffmpeg.ts';
import { probeFile } from '../media/ffprobe.ts';
import { extractFramesInBatches } from '../media/frames.ts';
import { dominantColours, summarizeExif, thumbnail } from '../media/image-analysis.ts';
import { probeImage } from '../media/image-probe.ts';
import { markLowConfidence, transcribeTrack } from '../media/local-speech.ts';
import { OCR_ENGINE, recognize } from '../media/ocr.ts';
import { extractDocxImages } from '../media/docx-images.ts';
import { extractPdfImages } from '../media/pdf-images.ts';
import { detectShots } from '../media/shots.ts';
import { ModelHostError } from '../media/vision/model-host.ts';
import { faceThumbnail } from '../media/vision/face-thumbnail.ts';
import { mapNetworkError, openDownload } from '../net/safe-download.ts';
import { sharedEmbedder } from '../nlp/embedder.ts';
import { callProvider } from '../providers/provider-call.ts';
import type { StageTools } from '../pipeline/stage-tools.ts';

export const stageTools: StageTools = {
  contactSheet: { composeContactSheet, parseGrid },
  detectType: { detectFile },
  documents: { extractDocumentText, probePdfSandboxed, probeText, extractPdfImages, extractDocxImages },
  ffmpeg,
  ffprobe: { probeFile },
  frames: { extractFramesInBatches },
  images: { summarizeExif, dominantColours, thumbnail, probeImage },
  localSpeech: { markLowConfidence, transcribeTrack },
  ocr: { recognize, OCR_ENGINE },
  shots: { detectShots },
  faces: { faceThumbnail },
  modelHost: { ModelHostError },
  download: { openDownload, mapNetworkError },
  providers: { callProvider },
  embedder: sharedEmbedder,
};
