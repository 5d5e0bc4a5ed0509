/**
 * Image facts beyond the probe: EXIF (orientation, camera, capture time; GPS only when
 * asked), dominant colours, and a thumbnail with every metadata field stripped.
 */
import sharp from 'sharp';
import exifReader from 'exif-reader';

export interface ExifSummary {
  orientation: number | null;
  make: string | null;
  model: string | null;
  taken_at: string | null;
  software: string | null;
  gps?: { latitude: number | null; longitude: number | null } | null;
  has_gps: boolean;
}

function dms(v: unknown, ref: unknown): number | null {
  if (!Array.isArray(v) || v.length !== 3) return null;
  const [d, m, s] = v.map(Number) as [number, number, number];
  const sign = ref === 'S' || ref === 'W' ? -1 : 1;
  return Math.round(sign * (d + m / 60 + s / 3600) * 1e6) / 1e6;
}

export function summarizeExif(raw: Buffer | undefined, keepGps: boolean): ExifSummary | null {
  if (!raw) return null;
  let e: ReturnType<typeof exifReader>;
  try {
    e = exifReader(raw);
  } catch {
    return null;
  }
  const image = (e.Image ?? {}) as Record<string, unknown>;
  const photo = (e.Photo ?? {}) as Record<string, unknown>;
  const gps = (e.GPSInfo ?? {}) as Record<string, unknown>;
  const hasGps = Object.keys(gps).length > 0;
  const taken = photo.DateTimeOriginal ?? image.DateTime;
  const out: ExifSummary = {
    orientation: typeof image.Orientation === 'number' ? image.Orientation : null,
    make: typeof image.Make === 'string' ? image.Make.trim() : null,
    model: typeof image.Model === 'string' ? image.Model.trim() : null,
    taken_at: taken instanceof Date ? taken.toISOString() : null,
    software: typeof image.Software === 'string' ? image.Software.trim() : null,
    has_gps: hasGps,
  };
  if (keepGps && hasGps)
    out.gps = {
      latitude: dms(gps.GPSLatitude, gps.GPSLatitudeRef),
      longitude: dms(gps.GPSLongitude, gps.GPSLongitudeRef),
    };
  return out;
}

/** The most common colours (4 bits per channel buckets on a 64×64 copy), as hex with shares. */
export async function dominantColours(
  file: string | Buffer,
  count = 5,
  maxPixels?: number,
): Promise<Array<{ hex: string; share: number }>> {
  const { data, info } = await sharp(file, maxPixels ? { limitInputPixels: maxPixels } : {})
    .rotate()
    .resize(64, 64, { fit: 'inside' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const buckets = new Map<number, { n: number; r: number; g: number; b: number }>();
  const pixels = info.width * info.height;
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i]!,
      g = data[i + 1]!,
      b = data[i + 2]!;
    const key = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
    const bucket = buckets.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    bucket.n++;
    bucket.r += r;
    bucket.g += g;
    bucket.b += b;
    buckets.set(key, bucket);
  }
  const hex = (v: number) => Math.round(v).toString(16).padStart(2, '0');
  return [...buckets.values()]
    .sort((a, b) => b.n - a.n)
    .slice(0, count)
    .map((c) => ({
      hex: `#${hex(c.r / c.n)}${hex(c.g / c.n)}${hex(c.b / c.n)}`,
      share: Math.round((c.n / pixels) * 1000) / 1000,
    }));
}

/** A JPEG thumbnail (auto-rotated by EXIF orientation; no metadata kept). */
export async function thumbnail(file: string | Buffer, size = 320, maxPixels?: number): Promise<Buffer> {
  return sharp(file, maxPixels ? { limitInputPixels: maxPixels } : {})
    .rotate()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}
