/**
 * The pictures a DOCX carries, so that faces in a Word document are found and joined to
 * the tenant's people like faces in a PDF's pages. A DOCX is a zip; Word keeps each
 * embedded picture once under `word/media/` (a picture pasted twice is one part), named
 * in the order it was added (image1.png, image2.jpeg, …). A DOCX has no pages (they
 * exist only once a program lays the text out), so its pictures carry none.
 *
 * The zip's directory comes first (zip-directory.ts): a part that declares more bytes
 * than `maxBytes`, or inflates to more than it declares, is never held, nor more bytes in
 * all than a DOCX's text may hold, within a time limit; a picture is decoded by sharp with
 * the pixel limit (a 100,000-pixel-wide PNG is refused from its header); vector drawings
 * (EMF, WMF, SVG) and formats sharp does not read are skipped. Each chosen picture is
 * written as PNG into `dir`. A damaged zip or picture gives the pictures written so far
 * and the reason, never an error: the document's text is what a document analysis is
 * for. Only an abort (cancel, shutdown) is thrown.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { AppError } from '../domain/errors.ts';
import { DEFAULT_DOCX_LIMITS } from './docx-bounds.ts';
import { readZipDirectory, streamZipEntry, type ZipEntry } from './zip-directory.ts';

export interface DocxImage {
  /** The part's name in the zip (word/media/image1.png). */
  part: string;
  path: string;
  width: number;
  height: number;
}

export interface DocxImageLimits {
  /** Pictures written at most (the first ones in the parts' order). */
  maxImages: number;
  /** A picture whose shorter side is smaller is skipped. */
  minSidePx: number;
  /** A picture with more pixels is skipped (refused from its header, never decoded). */
  maxPixels: number;
  /** A picture part declaring more bytes than this is skipped. */
  maxBytes: number;
  /** Time for all the pictures together: past it, the pictures written so far are kept. */
  totalTimeoutMs: number;
}

export interface DocxImagesResult {
  images: DocxImage[];
  /** Picture parts in word/media/. */
  listed: number;
  skipped: { small: number; large: number; beyondLimit: number; unsupported: number; unreadable: number };
  /** Why reading stopped before the last part (the pictures written until then are kept), or null. */
  failure: string | null;
}

const MEDIA_PART = /^word\/media\/[^/]+$/;
/** What sharp decodes; Word's vector drawings (emf, wmf) and svg are not photographs. */
const RASTER = /\.(png|jpe?g|gif|tiff?|webp)$/i;
/** What sharp must find in the part's bytes (its `format`) for the part to be read as a picture. */
const FORMATS = new Set(['png', 'jpeg', 'gif', 'tiff', 'webp']);

/** The picture parts of a DOCX in the order they were added (image2 before image10). */
export function mediaParts(entries: ZipEntry[]): ZipEntry[] {
  const collator = new Intl.Collator('en', { numeric: true });
  return entries.filter((e) => MEDIA_PART.test(e.name)).sort((a, b) => collator.compare(a.name, b.name));
}

async function readPart(docx: string, entry: ZipEntry, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await streamZipEntry(docx, entry, maxBytes, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks);
}

/**
 * The chosen pictures of `docx`, written as PNG into `dir` (which the caller owns). A part
 * is inflated at most to the size it declares (a part that inflates past it is unreadable),
 * all parts together to the text's bound (DocxLimits.maxUncompressedBytes), and all of it
 * within `limits.totalTimeoutMs`; past either, the pictures written so far are kept and
 * `failure` says why. On an abort or an unexpected error the pictures written are removed.
 */
export async function extractDocxImages(
  docx: string,
  dir: string,
  limits: DocxImageLimits,
  signal?: AbortSignal,
): Promise<DocxImagesResult> {
  const images: DocxImage[] = [];
  const skipped = { small: 0, large: 0, beyondLimit: 0, unsupported: 0, unreadable: 0 };
  let parts: ZipEntry[];
  try {
    parts = mediaParts(await readZipDirectory(docx, DEFAULT_DOCX_LIMITS.maxEntries));
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { images, listed: 0, skipped, failure: `the DOCX's pictures could not be listed (${err.code})` };
  }
  const deadline = Date.now() + limits.totalTimeoutMs;
  let inflated = 0;
  let failure: string | null = null;
  try {
    for (const part of parts) {
      signal?.throwIfAborted();
      if (!RASTER.test(part.name)) {
        skipped.unsupported++;
        continue;
      }
      if (images.length >= limits.maxImages) {
        skipped.beyondLimit++;
        continue;
      }
      if (part.uncompressedSize > limits.maxBytes) {
        skipped.large++;
        continue;
      }
      if (Date.now() > deadline) {
        failure = "the DOCX's pictures took longer than their time limit";
        break;
      }
      if (inflated + part.uncompressedSize > DEFAULT_DOCX_LIMITS.maxUncompressedBytes) {
        failure = "the DOCX's pictures are larger in all than a document's limit";
        break;
      }
      inflated += part.uncompressedSize;
      let bytes: Buffer;
      try {
        bytes = await readPart(docx, part, part.uncompressedSize);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        skipped.unreadable++;
        continue;
      }
      const written = await writePicture(bytes, path.join(dir, `d${images.length + 1}.png`), limits);
      if (typeof written === 'string') skipped[written]++;
      else images.push({ part: part.name, ...written });
    }
  } catch (err) {
    await Promise.all(images.map((i) => fs.rm(i.path, { force: true })));
    throw err;
  }
  return { images, listed: parts.length, skipped, failure };
}

async function writePicture(
  bytes: Buffer,
  file: string,
  limits: DocxImageLimits,
): Promise<{ path: string; width: number; height: number } | 'small' | 'large' | 'unsupported' | 'unreadable'> {
  try {
    // Header only: a declared size over the limit is refused before any pixel is decoded.
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    // The content decides, not the part's name: an SVG or a PDF named image1.png is no photograph.
    if (!meta.format || !FORMATS.has(meta.format)) return 'unsupported';
    if (!meta.width || !meta.height) return 'unreadable';
    // EXIF orientations 5–8 turn the picture a quarter: it is written upright.
    const turned = (meta.orientation ?? 1) >= 5;
    const [width, height] = turned ? [meta.height, meta.width] : [meta.width, meta.height];
    if (width * height > limits.maxPixels) return 'large';
    if (Math.min(width, height) < limits.minSidePx) return 'small';
    await sharp(bytes, { limitInputPixels: limits.maxPixels }).rotate().png().toFile(file);
    return { path: file, width, height };
  } catch {
    await fs.rm(file, { force: true });
    return 'unreadable';
  }
}
