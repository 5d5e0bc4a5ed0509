/**
 * Contact sheets: frames laid out on a grid with their timestamps. Layout is pure
 * arithmetic (unit-tested); composition is one sharp pipeline.
 */
import sharp, { type OverlayOptions } from 'sharp';

export interface Tile {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Gap between tiles and around the edge, in pixels. */
export const SHEET_GAP = 8;
export const LABEL_HEIGHT = 28;

/** Parse "2x3" as rows x columns (2 rows of 3 tiles: 16:9 tiles on a 16:9 sheet). */
export function parseGrid(grid: string): { cols: number; rows: number } {
  const m = /^([1-9]\d?)x([1-9]\d?)$/.exec(grid);
  if (!m) throw new Error(`grid must look like 2x3 (rows x columns), got ${grid}`);
  return { rows: Number(m[1]), cols: Number(m[2]) };
}

/** Tiles of equal size filling `width`×`height`, row by row, with gaps. */
export function gridLayout(cols: number, rows: number, width: number, height: number, gap = SHEET_GAP): Tile[] {
  const tileW = Math.floor((width - gap * (cols + 1)) / cols);
  const tileH = Math.floor((height - gap * (rows + 1)) / rows);
  if (tileW < 16 || tileH < 16) throw new Error(`a ${cols}x${rows} grid does not fit in ${width}x${height}`);
  const tiles: Tile[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      tiles.push({ left: gap + c * (tileW + gap), top: gap + r * (tileH + gap), width: tileW, height: tileH });
  }
  return tiles;
}

/** 75.5 → "00:01:15.5". */
export function formatTimestamp(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${s.toFixed(1).padStart(4, '0')}`;
}

function labelSvg(text: string, width: number): Buffer {
  const safe = text.replace(/[<>&]/g, '');
  return Buffer.from(
    `<svg width="${width}" height="${LABEL_HEIGHT}" xmlns="http://www.w3.org/2000/svg">` +
      `<rect width="100%" height="100%" fill="black" fill-opacity="0.6"/>` +
      `<text x="8" y="20" font-family="DejaVu Sans, sans-serif" font-size="18" fill="white">${safe}</text></svg>`,
  );
}

export async function composeContactSheet(
  frames: Array<{ image: Buffer; seconds: number }>,
  opts: { cols: number; rows: number; width: number; height: number },
): Promise<Buffer> {
  const tiles = gridLayout(opts.cols, opts.rows, opts.width, opts.height);
  const layers: OverlayOptions[] = [];
  await Promise.all(
    frames.slice(0, tiles.length).map(async (f, i) => {
      const t = tiles[i]!;
      const img = await sharp(f.image).resize(t.width, t.height, { fit: 'contain', background: '#111' }).toBuffer();
      layers[i * 2] = { input: img, left: t.left, top: t.top };
      layers[i * 2 + 1] = {
        input: labelSvg(formatTimestamp(f.seconds), t.width),
        left: t.left,
        top: t.top + t.height - LABEL_HEIGHT,
      };
    }),
  );
  return sharp({ create: { width: opts.width, height: opts.height, channels: 3, background: '#1f2937' } })
    .composite(layers.filter(Boolean))
    .jpeg({ quality: 82 })
    .toBuffer();
}
