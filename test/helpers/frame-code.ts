/**
 * Frame-number barcodes: a strip of black/white blocks burned into a generated video,
 * one bit of the frame number per block, so a decoded still tells which frame it is
 * (robust to lossy compression and scaling, unlike a colour level or a timecode read by OCR).
 */
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';

/** Bits in the strip: 2^15 frames is an hour at 9 fps. */
export const CODE_BITS = 15;

/**
 * An ffmpeg -filter_complex that overlays the strip (blocks `block` px square, top left)
 * on input [0:v]. Block i is white when bit i of the frame number is set.
 */
export function frameCodeFilter(block: number, fps: number): string {
  const w = block * CODE_BITS;
  return (
    `color=c=black:s=${w}x${block}:r=${fps},format=gray,` +
    `geq=lum='if(mod(floor(N/pow(2\\,floor(X/${block})))\\,2)\\,255\\,0)'[code];` +
    `[0:v][code]overlay=0:0:shortest=1,format=yuv420p[v]`
  );
}

/** Read the frame number from a still whose width is `scale` × the video's width. */
export async function readFrameCode(image: Buffer | string, block: number, scale: number): Promise<number> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  const half = Math.floor((block * scale) / 2);
  for (let bit = 0; bit < CODE_BITS; bit++) {
    const x = Math.floor((bit + 0.5) * block * scale);
    const y = half;
    if (data[y * info.width + x]! > 128) n += 2 ** bit;
  }
  return n;
}

/**
 * A test video (testsrc2 + frame-number strip + a sine tone) with keyframes exactly
 * `keyframeSeconds` apart (no scene-cut keyframes).
 */
export function makeCodedVideo(
  file: string,
  opts: { width: number; height: number; fps: number; seconds: number; keyframeSeconds: number; block: number },
): void {
  const gop = Math.round(opts.fps * opts.keyframeSeconds);
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${opts.width}x${opts.height}:rate=${opts.fps}:duration=${opts.seconds}`,
    '-filter_complex',
    frameCodeFilter(opts.block, opts.fps),
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '30',
    '-x264-params',
    `keyint=${gop}:min-keyint=${gop}:scenecut=0`,
    '-r',
    String(opts.fps),
    file,
  ]);
}
