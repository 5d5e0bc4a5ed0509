/**
 * The pictures a PDF carries (photographs and figures embedded as images), with the page
 * each is on, so that faces in a document's pages can be found and joined to the tenant's
 * people like faces in a photograph. poppler's `pdfimages` lists a PDF's images
 * (`-list`) and writes them as PNG (`-png`, with the page in each file name, `-p`).
 *
 * The list comes first: masks and stencils are not pictures, an image too small to hold a
 * face worth describing is skipped, one larger than the pixel limit is never written
 * (a hostile PDF can declare a 100,000-pixel-wide image), and only the pages that hold a
 * chosen image are extracted, up to `maxImages`. pdfimages numbers the images of each run
 * from 0 in the order `-list` gives them, so each written file is matched to its listing
 * by its place among its page's images.
 *
 * Parsing and the choice are pure functions (unit tested); `extractPdfImages` is the runner.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runProcess, ProcessError } from '../platform/process-runner.ts';

/** One row of `pdfimages -list`. */
export interface ListedImage {
  page: number;
  type: string;
  width: number;
  height: number;
  /** The image's PDF object ("12 0"): an image drawn on several pages is one object; null for an inline image. */
  object: string | null;
}

/** A picture written from a PDF. */
export interface PdfImage {
  /** 1-based. */
  page: number;
  path: string;
  width: number;
  height: number;
}

export interface PdfImageLimits {
  /** Images extracted at most (the first ones in page order). */
  maxImages: number;
  /** An image whose shorter side is smaller is skipped. */
  minSidePx: number;
  /** An image with more pixels is skipped, and never written. */
  maxPixels: number;
  /** Time limit of one pdfimages run. */
  timeoutMs: number;
  /** Time limit of all of them together: past it, the pictures written so far are kept. */
  totalTimeoutMs: number;
}

/** What `-list` shows and what was skipped, for the caller's notes. */
export interface PdfImagesResult {
  images: PdfImage[];
  listed: number;
  skipped: { small: number; large: number; beyondLimit: number; repeated: number };
  /** Why pdfimages stopped early (the pictures written before are kept), or null. */
  failure: string | null;
}

/** Rows of `pdfimages -list` (a header, a rule, then one row per image, mask included). */
export function parseImageList(text: string): ListedImage[] {
  const rows: ListedImage[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+\d+\s+(\w+)\s+(\d+)\s+(\d+)\s/.exec(line);
    if (!m) continue;
    // Columns: page num type width height color comp bpc enc interp object gen x-ppi y-ppi size ratio.
    const cols = line.trim().split(/\s+/);
    const object = /^\d+$/.test(cols[10] ?? '') && /^\d+$/.test(cols[11] ?? '') ? `${cols[10]} ${cols[11]}` : null;
    rows.push({ page: Number(m[1]), type: m[2]!, width: Number(m[3]), height: Number(m[4]), object });
  }
  return rows;
}

/**
 * The images to extract: pictures (`image` rows: not masks or stencils) within the size
 * limits, on pages without an image over the pixel limit, each image object once (a logo
 * or a portrait drawn on every page is looked at where it first appears), in page order,
 * up to maxImages. Each keeps its index among its page's rows.
 */
export function chooseImages(
  rows: readonly ListedImage[],
  limits: Pick<PdfImageLimits, 'maxImages' | 'minSidePx' | 'maxPixels'>,
): { chosen: Array<ListedImage & { indexOnPage: number }>; skipped: PdfImagesResult['skipped'] } {
  const chosen: Array<ListedImage & { indexOnPage: number }> = [];
  const skipped = { small: 0, large: 0, beyondLimit: 0, repeated: 0 };
  const seenOnPage = new Map<number, number>();
  const objects = new Set<string>();
  // A page is extracted whole, so a page holding any image over the limit is not extracted at all.
  const tooLarge = (r: ListedImage) => r.width * r.height > limits.maxPixels;
  const largePages = new Set(rows.filter(tooLarge).map((r) => r.page));
  for (const row of rows) {
    const indexOnPage = seenOnPage.get(row.page) ?? 0;
    seenOnPage.set(row.page, indexOnPage + 1);
    if (row.type !== 'image') continue;
    if (row.object !== null && objects.has(row.object)) {
      skipped.repeated++;
      continue;
    }
    if (row.object !== null) objects.add(row.object);
    if (largePages.has(row.page)) skipped.large++;
    else if (Math.min(row.width, row.height) < limits.minSidePx) skipped.small++;
    else if (chosen.length >= limits.maxImages) skipped.beyondLimit++;
    else chosen.push({ ...row, indexOnPage });
  }
  return { chosen, skipped };
}

/** `pdfimages` writes `<prefix>-<page>-<n>.png` with `-p`; n counts from 0 in each run. */
export function parseImageFileName(name: string): { page: number; n: number } | null {
  const m = /-(\d+)-(\d+)\.png$/.exec(name);
  return m ? { page: Number(m[1]), n: Number(m[2]) } : null;
}

export function listArgs(pdf: string): string[] {
  return ['-list', pdf];
}

export function extractPageArgs(pdf: string, page: number, prefix: string): string[] {
  return ['-png', '-p', '-f', String(page), '-l', String(page), pdf, prefix];
}

/** The listing's size limit: a longer listing (a PDF of countless images) is not read. */
const LIST_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The chosen pictures of `pdf`, written as PNG into `dir` (which the caller owns; its
 * files are the caller's to record or remove). pdfimages failing — the file unreadable to
 * it, a run past its time limit, the program missing — gives the pictures written so far
 * and the reason, never an error: the document's text is what a document analysis is for,
 * and it is read by its own stage. Only an abort (cancel, shutdown) is thrown.
 */
export async function extractPdfImages(
  pdf: string,
  dir: string,
  limits: PdfImageLimits,
  signal?: AbortSignal,
  pdfimagesPath = 'pdfimages',
): Promise<PdfImagesResult> {
  const images: PdfImage[] = [];
  const deadline = Date.now() + limits.totalTimeoutMs;
  const result = (listed: number, skipped: PdfImagesResult['skipped'], failure: string | null): PdfImagesResult => ({
    images,
    listed,
    skipped,
    failure,
  });
  const none = { small: 0, large: 0, beyondLimit: 0, repeated: 0 };
  const runOnce = async (args: string[], maxStdoutBytes?: number) => {
    const timeoutMs = Math.min(limits.timeoutMs, deadline - Date.now());
    if (timeoutMs <= 0) throw new ProcessError('pdfimages: out of time', 'timeout', null, '');
    return runProcess(pdfimagesPath, args, { timeoutMs, signal, ...(maxStdoutBytes ? { maxStdoutBytes } : {}) });
  };
  const why = (err: unknown): string => {
    if (!(err instanceof ProcessError) || err.reason === 'aborted') throw err;
    return err.reason === 'timeout'
      ? 'pdfimages ran past its time limit'
      : err.reason === 'spawn'
        ? 'pdfimages could not be started (poppler-utils, PDFIMAGES_PATH)'
        : 'pdfimages could not read the file';
  };
  let listing: Buffer;
  try {
    listing = (await runOnce(listArgs(pdf), LIST_MAX_BYTES + 1)).stdout;
  } catch (err) {
    return result(0, none, why(err));
  }
  if (listing.length > LIST_MAX_BYTES) return result(0, none, 'the PDF lists more images than are read');
  const rows = parseImageList(listing.toString('utf8'));
  const { chosen, skipped } = chooseImages(rows, limits);
  const pages = [...new Set(chosen.map((c) => c.page))];
  for (const page of pages) {
    const prefix = path.join(dir, `p${page}`);
    try {
      await runOnce(extractPageArgs(pdf, page, prefix));
    } catch (err) {
      const reason = why(err);
      // What the failed run wrote of its page is not kept.
      for (const name of await fs.readdir(dir))
        if (name.startsWith(`p${page}-`)) await fs.rm(path.join(dir, name), { force: true });
      return result(rows.length, skipped, reason);
    }
    const written = new Map<number, string>();
    for (const name of await fs.readdir(dir)) {
      if (!name.startsWith(`p${page}-`)) continue;
      const parsed = parseImageFileName(name);
      if (parsed && parsed.page === page) written.set(parsed.n, path.join(dir, name));
    }
    for (const c of chosen.filter((x) => x.page === page)) {
      const file = written.get(c.indexOnPage);
      if (file) images.push({ page, path: file, width: c.width, height: c.height });
    }
    // The page's other images (masks, skipped ones) are not kept on disk.
    const keep = new Set(images.map((i) => i.path));
    for (const file of written.values()) if (!keep.has(file)) await fs.rm(file, { force: true });
  }
  return result(rows.length, skipped, null);
}
