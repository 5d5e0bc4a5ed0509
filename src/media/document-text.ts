/**
 * Document text: PDF (pdf.js, eval disabled) with page boundaries and an OCR fallback
 * for pages without a text layer (rendered by poppler's pdftoppm), DOCX (mammoth),
 * HTML (tags stripped, html-text.ts), TXT/Markdown/CSV as is; the language guessed
 * (language-guess.ts). The sandbox child loads this module by URL (document-extract.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../domain/errors.ts';
import { runProcess, ProcessError } from '../platform/process-runner.ts';
import { checkDocxBounds, DEFAULT_DOCX_LIMITS, type DocxLimits } from './docx-bounds.ts';
import { htmlToText } from './html-text.ts';
import { detectLanguage } from './language-guess.ts';
import type { OcrAcceptance, OcrReading } from './ocr.ts';

export interface PageText {
  page: number;
  text: string;
  source: 'text' | 'ocr' | 'none';
  ocr_confidence?: number;
}

export interface DocumentText {
  format: string;
  pages: number | null;
  title: string | null;
  language: string | null;
  characters: number;
  text: string;
  page_texts: PageText[] | null;
  ocr_pages: number;
  /** Pages without text that were not OCR'd (over MAX_OCR_PAGES, or too large to render). */
  ocr_skipped_pages?: number;
}

/** A page with fewer characters than this in its text layer is treated as scanned. */
export const MIN_TEXT_LAYER_CHARS = 3;

export type PageOcr = (png: Buffer) => Promise<{ text: string; confidence: number }>;

/**
 * The built-in OCR, keeping only what passes `acceptance`, reading as `reading` says (a
 * small rendered page enlarged like a small picture); loaded only when a page needs it.
 */
async function builtInOcr(acceptance: OcrAcceptance | undefined, reading: OcrReading | undefined): Promise<PageOcr> {
  if (!acceptance) throw new Error('ocr: true needs ocrAcceptance (TEXT_CALIBRATION)');
  const { recognize } = await import('./ocr.ts');
  return (png) => recognize(png, acceptance, reading);
}

/** Resolution pages are rendered at for OCR, unless the pixel limit asks for less. */
export const OCR_RENDER_DPI = 200;
/** Below this resolution OCR reads nothing useful: such a page is skipped, not rendered. */
export const MIN_OCR_DPI = 50;
/** Pixels of one page rendered for OCR, whatever MAX_IMAGE_PIXELS allows (an A4 page at 300 dpi is 8.7 M). */
export const MAX_OCR_PAGE_PIXELS = 16_000_000;
/** Pages OCR'd per document by default; the rest are left as `none`. */
export const DEFAULT_MAX_OCR_PAGES = 20;
const POINTS_PER_INCH = 72;

export interface PdfTextOptions {
  maxPages: number;
  /** OCR for pages without a text layer: a function, `true` for the built-in OCR, or off. */
  ocr?: PageOcr | boolean | undefined;
  /** The built-in OCR's calibrated thresholds (TEXT_CALIBRATION); required with `ocr: true`. */
  ocrAcceptance?: OcrAcceptance | undefined;
  /** How the built-in OCR reads a page (TEXT_CALIBRATION: minReadSide as for pictures, pageDetectionSide for the page). */
  ocrReading?: OcrReading | undefined;
  pdftoppmPath?: string;
  signal?: AbortSignal | undefined;
  /** Pixel limit of a rendered page (MAX_IMAGE_PIXELS); the resolution is lowered to fit. */
  maxPixels?: number;
  /** Pages OCR'd at most (MAX_OCR_PAGES). */
  maxOcrPages?: number;
  /** Time limit of rendering one page. */
  renderTimeoutMs?: number;
}

/**
 * The resolution that renders a `widthPt` × `heightPt` page within `maxPixels`, at most
 * OCR_RENDER_DPI; null when even MIN_OCR_DPI would exceed it (the page is skipped).
 */
export function renderDpi(widthPt: number, heightPt: number, maxPixels: number): number | null {
  const areaInches = (Math.abs(widthPt) / POINTS_PER_INCH) * (Math.abs(heightPt) / POINTS_PER_INCH);
  if (!(areaInches > 0)) return null;
  const dpi = Math.min(OCR_RENDER_DPI, Math.floor(Math.sqrt(maxPixels / areaInches)));
  return dpi >= MIN_OCR_DPI ? dpi : null;
}

/** pdf.js fails on hostile files in many ways (stack overflow, bad xref, …): all of them mean the file. */
function pdfCorrupt(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as Error;
  const why = e?.name === 'RangeError' ? 'its structure is nested too deeply' : (e?.message ?? String(err));
  return new AppError('MEDIA_CORRUPT', `The PDF could not be read: ${why}`, { cause: err });
}

export async function pdfText(file: string, opts: PdfTextOptions): Promise<DocumentText> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const data = new Uint8Array(await fs.readFile(file));
  const task = pdfjs.getDocument({
    data,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy();
    throw pdfCorrupt(err);
  }
  const maxPixels = Math.min(opts.maxPixels ?? MAX_OCR_PAGE_PIXELS, MAX_OCR_PAGE_PIXELS);
  const ocr: PageOcr | undefined =
    opts.ocr === true ? await builtInOcr(opts.ocrAcceptance, opts.ocrReading) : opts.ocr || undefined;
  try {
    if (doc.numPages > opts.maxPages)
      throw new AppError('DOCUMENT_TOO_LONG', `The PDF has ${doc.numPages} pages; the limit is ${opts.maxPages}`);
    const meta = await doc.getMetadata().catch(() => null);
    const info = (meta?.info ?? {}) as { Title?: unknown };
    const pages: PageText[] = [];
    const sizes = new Map<number, [number, number]>();
    for (let n = 1; n <= doc.numPages; n++) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const page = await doc.getPage(n).catch((err: unknown) => Promise.reject(pdfCorrupt(err)));
      const content = await page.getTextContent().catch((err: unknown) => Promise.reject(pdfCorrupt(err)));
      const viewport = page.getViewport({ scale: 1 });
      sizes.set(n, [viewport.width, viewport.height]);
      let line = '';
      const parts: string[] = [];
      for (const item of content.items) {
        if (!('str' in item)) continue;
        line += item.str;
        if (item.hasEOL) {
          parts.push(line);
          line = '';
        } else if (item.str && !item.str.endsWith(' ')) {
          line += ' ';
        }
      }
      if (line) parts.push(line);
      page.cleanup();
      const text = parts
        .map((p) => p.replace(/\s+/g, ' ').trim())
        .filter(Boolean)
        .join('\n');
      pages.push({ page: n, text, source: text.length >= MIN_TEXT_LAYER_CHARS ? 'text' : 'none' });
    }
    let ocrPages = 0;
    let ocrTried = 0;
    let ocrSkipped = 0;
    if (ocr) {
      const maxOcrPages = opts.maxOcrPages ?? DEFAULT_MAX_OCR_PAGES;
      for (const p of pages.filter((x) => x.source === 'none')) {
        const [width, height] = sizes.get(p.page)!;
        const dpi = renderDpi(width, height, maxPixels);
        if (ocrTried >= maxOcrPages || dpi === null) {
          ocrSkipped++;
          continue;
        }
        ocrTried++;
        const png = await renderPdfPage(file, p.page, dpi, opts);
        if (!png) continue;
        const r = await ocr(png);
        if (r.text) {
          p.text = r.text;
          p.source = 'ocr';
          p.ocr_confidence = r.confidence;
          ocrPages++;
        }
      }
    }
    const text = pages.map((p) => p.text).join('\n\f\n');
    return {
      format: 'pdf',
      pages: doc.numPages,
      title: typeof info.Title === 'string' && info.Title ? info.Title : null,
      language: detectLanguage(text),
      characters: text.length,
      text,
      page_texts: pages,
      ocr_pages: ocrPages,
      ...(ocrSkipped > 0 ? { ocr_skipped_pages: ocrSkipped } : {}),
    };
  } catch (err) {
    throw err instanceof AppError || opts.signal?.aborted ? err : pdfCorrupt(err);
  } finally {
    await task.destroy();
  }
}

/** Render one PDF page to a greyscale PNG with pdftoppm; null when pdftoppm is not installed. */
async function renderPdfPage(file: string, page: number, dpi: number, opts: PdfTextOptions): Promise<Buffer | null> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-pdfpage-'));
  try {
    await runProcess(
      opts.pdftoppmPath ?? 'pdftoppm',
      [
        '-r',
        String(dpi),
        '-f',
        String(page),
        '-l',
        String(page),
        '-gray',
        '-png',
        '-singlefile',
        file,
        path.join(dir, 'page'),
      ],
      { timeoutMs: opts.renderTimeoutMs ?? 60_000, signal: opts.signal },
    );
    return await fs.readFile(path.join(dir, 'page.png'));
  } catch (err) {
    if ((err as { reason?: string }).reason === 'spawn') return null;
    if (err instanceof ProcessError && err.reason !== 'aborted')
      // pdftoppm refusing a page (exit 99 on a PDF that lies about its pages) is the file's fault.
      throw new AppError('MEDIA_CORRUPT', `Page ${page} of the PDF could not be rendered (${err.reason})`, {
        cause: err,
      });
    throw err;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** DOCX text through mammoth, after checking the zip and its XML against `limits`. */
export async function docxText(file: string, limits: DocxLimits = DEFAULT_DOCX_LIMITS): Promise<DocumentText> {
  await checkDocxBounds(file, limits);
  const mammoth = await import('mammoth');
  let raw: string;
  try {
    raw = (await mammoth.extractRawText({ path: file })).value;
  } catch (err) {
    throw new AppError('MEDIA_CORRUPT', `The DOCX could not be read: ${(err as Error).message}`, { cause: err });
  }
  const text = raw.replace(/\n{3,}/g, '\n\n').trim();
  const title =
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim()
      .slice(0, 200) ?? null;
  return {
    format: 'docx',
    pages: null,
    title,
    language: detectLanguage(text),
    characters: text.length,
    text,
    page_texts: null,
    ocr_pages: 0,
  };
}

/** Text, Markdown, CSV and HTML larger than this are refused (a string of it lives in memory several times). */
export const MAX_PLAIN_TEXT_BYTES = 32 * 1024 * 1024;

export async function plainText(file: string, mime: string, maxBytes = MAX_PLAIN_TEXT_BYTES): Promise<DocumentText> {
  const { size } = await fs.stat(file);
  if (size > maxBytes)
    throw new AppError('DOCUMENT_TOO_LARGE', `The text document is ${size} bytes; the limit is ${maxBytes}`);
  const raw = await fs.readFile(file, 'utf8');
  if (mime === 'text/html') {
    const { text, title } = htmlToText(raw);
    return {
      format: 'html',
      pages: null,
      title,
      language: detectLanguage(text),
      characters: text.length,
      text,
      page_texts: null,
      ocr_pages: 0,
    };
  }
  const format = mime === 'text/csv' ? 'csv' : /^#{1,6} /m.test(raw) ? 'markdown' : 'text';
  const title = format === 'markdown' ? (/^#{1,6} (.+)$/m.exec(raw)?.[1]?.trim() ?? null) : null;
  return {
    format,
    pages: null,
    title,
    language: detectLanguage(raw),
    characters: raw.length,
    text: raw,
    page_texts: null,
    ocr_pages: 0,
  };
}
