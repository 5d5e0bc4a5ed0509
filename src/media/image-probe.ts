/** Image metadata through sharp, with a pixel limit far below sharp's default. */
import sharp from 'sharp';
import { AppError } from '../domain/errors.ts';

/** 100 megapixels: larger inputs are refused before they are decoded (image bombs). */
export const DEFAULT_MAX_IMAGE_PIXELS = 100_000_000;

export interface ImageProbe {
  exif?: Buffer;
  format: string | null;
  width: number;
  height: number;
  channels: number | null;
  hasAlpha: boolean;
  orientation: number | null;
  pages: number | null;
}

export async function probeImage(file: string, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<ImageProbe> {
  try {
    const m = await sharp(file, { limitInputPixels: maxPixels, failOn: 'error' }).metadata();
    if (!m.width || !m.height) throw new AppError('MEDIA_CORRUPT', 'Image has no dimensions');
    if (m.width * m.height > maxPixels)
      throw new AppError('IMAGE_TOO_LARGE', `Image has ${m.width * m.height} pixels; the limit is ${maxPixels}`);
    return {
      format: m.format ?? null,
      width: m.width,
      height: m.height,
      channels: m.channels ?? null,
      hasAlpha: m.hasAlpha ?? false,
      orientation: m.orientation ?? null,
      pages: m.pages ?? null,
      ...(m.exif ? { exif: m.exif } : {}),
    };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (/pixel limit/i.test((err as Error).message))
      throw new AppError('IMAGE_TOO_LARGE', `Image exceeds ${maxPixels} pixels`, { cause: err });
    throw new AppError('MEDIA_CORRUPT', `The image could not be read: ${(err as Error).message}`, { cause: err });
  }
}
