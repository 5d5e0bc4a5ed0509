/**
 * A face's thumbnail: the face box widened by a margin, cut from the picture and scaled
 * to a small square JPEG (the People page shows these).
 */
import sharp from 'sharp';
import type { Box } from './vision.types.ts';

/** Side of a thumbnail in pixels. */
export const THUMBNAIL_SIDE = 160;
/** Share of the box's size added on each side, so the thumbnail shows the whole head. */
const MARGIN = 0.25;

export async function faceThumbnail(file: string, box: Box, maxInputPixels?: number): Promise<Buffer> {
  const input = sharp(file, { limitInputPixels: maxInputPixels ?? false }).rotate();
  const meta = await input.metadata();
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  const [x, y, w, h] = box;
  const left = Math.max(0, Math.floor((x - w * MARGIN) * width));
  const top = Math.max(0, Math.floor((y - h * MARGIN) * height));
  const right = Math.min(width, Math.ceil((x + w * (1 + MARGIN)) * width));
  const bottom = Math.min(height, Math.ceil((y + h * (1 + MARGIN)) * height));
  return input
    .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
    .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'cover' })
    .jpeg({ quality: 80 })
    .toBuffer();
}
