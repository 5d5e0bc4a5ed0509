/**
 * Real photographs from Debian's `python3-skimage` package (its data folder: astronaut,
 * coffee, chelsea the cat, a motorcycle, …), and a video cut from them with known cuts.
 * `.ci/run` installs the package.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

export const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';

export function photo(name: string): string {
  return `${SKIMAGE_DATA}/${name}`;
}

export function hasPhotos(): boolean {
  return fs.existsSync(photo('astronaut.png'));
}

/** The shots of the photo video, in order: [photo or 'black', seconds]. */
export const PHOTO_SHOTS: Array<[string, number]> = [
  ['astronaut.png', 3],
  ['coffee.png', 3],
  ['chelsea.png', 3],
  ['black', 1],
  ['motorcycle_left.png', 3],
];

/** Cut times of the photo video (the start of every shot but the first). */
export const PHOTO_CUTS = PHOTO_SHOTS.slice(0, -1).reduce<number[]>(
  (acc, [, s]) => [...acc, (acc.at(-1) ?? 0) + s],
  [],
);

/**
 * 640x360, 10 fps, keyframes 5 s apart (not at the cuts), each photo held still for its shot.
 * `withBFrames`: 25 fps with x264's B-frames (3, pyramid: half the frames are
 * non-reference), keyframes 2 s apart and still none forced at the cuts — so cuts land
 * on B-frames too.
 */
export function makePhotoShotsVideo(file: string, withBFrames = false): void {
  const fps = withBFrames ? 25 : 10;
  const inputs: string[] = [];
  const chains: string[] = [];
  PHOTO_SHOTS.forEach(([name, seconds], i) => {
    if (name === 'black') inputs.push('-f', 'lavfi', '-t', String(seconds), '-i', `color=c=black:s=640x360:r=${fps}`);
    else inputs.push('-loop', '1', '-t', String(seconds), '-i', photo(name));
    chains.push(
      `[${i}]scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,` +
        `setsar=1,fps=${fps},format=yuv420p[s${i}]`,
    );
  });
  const concat = `${PHOTO_SHOTS.map((_, i) => `[s${i}]`).join('')}concat=n=${PHOTO_SHOTS.length}:v=1:a=0[v]`;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    `${chains.join(';')};${concat}`,
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    ...(withBFrames
      ? ['-preset', 'veryfast', '-x264-params', 'keyint=50:min-keyint=50:scenecut=0:bframes=3:b-pyramid=normal']
      : ['-preset', 'ultrafast', '-x264-params', 'keyint=50:min-keyint=50:scenecut=0']),
    file,
  ]);
}

/** One shot of a built photo video: a photograph (absolute path) held still for `seconds`. */
export interface PhotoShot {
  photo: string;
  seconds: number;
  /**
   * How the photograph is framed, as a camera coming back to a scene never frames it
   * exactly alike: 0 the whole picture, 1 its top-left 85 %, 2 its bottom-right 85 % a
   * little brighter.
   */
  framing?: 0 | 1 | 2;
}

const FRAMINGS = ['', 'crop=iw*0.85:ih*0.85:0:0,', 'crop=iw*0.85:ih*0.85:iw*0.15:ih*0.15,eq=brightness=0.04,'] as const;

/**
 * A video of `shots` in order, 640x360 (or `size`), 25 fps, with film grain (no two
 * frames alike), a keyframe every 2 s (not at the cuts), so the cuts fall at the sum of
 * the shot lengths.
 */
export function makePhotoVideo(file: string, shots: readonly PhotoShot[], size = { width: 640, height: 360 }): void {
  const { width: w, height: h } = size;
  const inputs: string[] = [];
  const chains: string[] = [];
  shots.forEach((s, i) => {
    inputs.push('-loop', '1', '-t', String(s.seconds), '-i', s.photo);
    chains.push(
      `[${i}]${FRAMINGS[s.framing ?? 0]}scale=${w}:${h}:force_original_aspect_ratio=decrease,` +
        `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p[s${i}]`,
    );
  });
  const concat = `${shots.map((_, i) => `[s${i}]`).join('')}concat=n=${shots.length}:v=1:a=0,noise=alls=6:allf=t[v]`;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    `${chains.join(';')};${concat}`,
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '26',
    '-x264-params',
    'keyint=50:min-keyint=50:scenecut=0',
    file,
  ]);
}

/** The cut times of a photo video: the start of every shot but the first. */
export function cutTimes(shots: readonly PhotoShot[]): number[] {
  const out: number[] = [];
  let t = 0;
  for (const s of shots.slice(0, -1)) out.push((t += s.seconds));
  return out;
}
