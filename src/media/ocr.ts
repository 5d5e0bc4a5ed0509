/**
 * OCR through tesseract.js with the English model shipped in the
 * `@tesseract.js-data/eng` package. `langPath` points at that package: without it
 * tesseract.js would try to download the model at run time. One worker is created
 * lazily and reused; calls are serialised on it.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'tesseract.js';

const require = createRequire(import.meta.url);

export interface OcrResult {
  text: string;
  /** Mean word confidence, 0–1. */
  confidence: number;
  words: number;
}

/** Words below this confidence (0–100) are dropped as noise. */
export const MIN_WORD_CONFIDENCE = 40;

let workerPromise: Promise<Worker> | null = null;
let queue: Promise<unknown> = Promise.resolve();

async function getWorker(): Promise<Worker> {
  workerPromise ??= (async () => {
    const { createWorker, OEM } = await import('tesseract.js');
    const eng = require('@tesseract.js-data/eng') as { langPath: string; gzip: boolean };
    return createWorker('eng', OEM.LSTM_ONLY, {
      langPath: eng.langPath,
      gzip: eng.gzip,
      cacheMethod: 'none',
      logger: () => undefined,
      errorHandler: () => undefined,
    });
  })();
  return workerPromise;
}

export async function recognize(image: Buffer | string): Promise<OcrResult> {
  const run = queue.then(async () => {
    const worker = await getWorker();
    const { data } = await worker.recognize(image, {}, { text: true, blocks: true });
    const words = (data.blocks ?? []).flatMap((b) => b.paragraphs.flatMap((p) => p.lines.flatMap((l) => l.words)));
    const kept = words.filter((w) => w.confidence >= MIN_WORD_CONFIDENCE);
    const text = data.text
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    const confidence = kept.length ? kept.reduce((s, w) => s + w.confidence, 0) / kept.length / 100 : 0;
    return { text: kept.length ? text : '', confidence: Math.round(confidence * 1000) / 1000, words: kept.length };
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Stop the shared worker (at shutdown, and in tests). */
export async function terminateOcr(): Promise<void> {
  const w = workerPromise;
  workerPromise = null;
  if (w) await (await w).terminate();
}
