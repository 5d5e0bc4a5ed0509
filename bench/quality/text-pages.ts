/**
 * Whole pages for the text evaluation: A4 sheets at the resolution scanned PDF pages are
 * rendered at for OCR (OCR_RENDER_DPI), filled with copies of a labelled scanned paragraph
 * scaled to a given print size. Labelled by construction: the paragraph's transcript once
 * per copy on the page. A paragraph is only ever put on pages of its own split.
 */
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { OCR_RENDER_DPI } from '../../src/media/document-text.ts';

/** A4 in inches. */
const A4 = { width: 8.27, height: 11.69 };
const MARGIN_INCHES = 1;
/** A face of n points is set on 1.2·n points of line pitch (the usual leading). */
const LEADING = 1.2;
/** A row of the paragraph with more dark pixels (grey below DARK) than this holds print. */
const DARK = 128;
const DARK_PIXELS_IN_A_TEXT_ROW = 3;
/** Fewer empty rows than this inside a line (between a letter's parts, a descender's tail) do not end it. */
const MIN_GAP_ROWS = 3;

export interface PageSource {
  /** The labelled paragraph (a scan). */
  file: string;
  /** Its transcript. */
  words: string;
  /** Its line pitch in pixels (measured on the upright scan by `linePitch`). */
  pitch: number;
}

export interface Page {
  name: string;
  points: number;
  image: Buffer;
  words: string;
  copies: number;
  width: number;
  height: number;
}

/**
 * The mean distance between the starts of the paragraph's lines, from the rows that hold
 * print: only for an upright scan (a turned one has no empty rows between lines).
 */
export async function linePitch(file: string): Promise<number> {
  const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  const starts: number[] = [];
  let empty = MIN_GAP_ROWS;
  for (let y = 0; y < info.height; y++) {
    let dark = 0;
    for (let x = 0; x < info.width; x++) if (data[y * info.width + x]! < DARK) dark++;
    if (dark <= DARK_PIXELS_IN_A_TEXT_ROW) {
      empty++;
      continue;
    }
    if (empty >= MIN_GAP_ROWS) starts.push(y);
    empty = 0;
  }
  if (starts.length < 2) throw new Error(`${file}: fewer than two lines of print`);
  return (starts.at(-1)! - starts[0]!) / (starts.length - 1);
}

/**
 * An A4 page at OCR_RENDER_DPI with as many whole copies of the paragraph, scaled so its
 * lines are `points` (set on LEADING), as fit within the margins: in columns side by side
 * where they fit, one line pitch apart.
 */
export async function a4Page(source: PageSource, points: number): Promise<Page> {
  const width = Math.round(A4.width * OCR_RENDER_DPI);
  const height = Math.round(A4.height * OCR_RENDER_DPI);
  const margin = Math.round(MARGIN_INCHES * OCR_RENDER_DPI);
  const pitch = (points * LEADING * OCR_RENDER_DPI) / 72;
  const scale = pitch / source.pitch;
  const meta = await sharp(source.file).metadata();
  const w = Math.round((meta.width ?? 0) * scale);
  const h = Math.round((meta.height ?? 0) * scale);
  const gap = Math.round(pitch);
  const paragraph = await sharp(source.file)
    .resize({ width: w, height: h, fit: 'fill', kernel: 'lanczos3' })
    .removeAlpha()
    .png()
    .toBuffer();
  const columns = Math.max(1, Math.floor((width - 2 * margin + gap) / (w + gap)));
  const rows = Math.floor((height - 2 * margin + gap) / (h + gap));
  if (rows < 1 || w > width - 2 * margin) throw new Error(`${source.file} does not fit an A4 page at ${points} pt`);
  const tiles: OverlayOptions[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++)
      tiles.push({ input: paragraph, left: margin + c * (w + gap), top: margin + r * (h + gap) });
  const image = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(tiles)
    .greyscale()
    .png()
    .toBuffer();
  return {
    name: `A4 ${points} pt, ${tiles.length} × ${path.basename(source.file)}`,
    points,
    image,
    words: Array.from({ length: tiles.length }, () => source.words).join(' '),
    copies: tiles.length,
    width,
    height,
  };
}
