/**
 * A clip for a real local analysis (no provider): four real photographs as four shots
 * (python3-skimage: the astronaut, coffee, the cat, a motorcycle), a caption burned in,
 * and real recorded speech as its sound (pocketsphinx-testdata: three LibriVox sentences
 * of Sense and Sensibility). Built from Debian's packages, never downloaded.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { photo } from './photos.ts';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
const SENTENCES = ['0870', '0880', '0930'].map((n) => `${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-${n}.wav`);
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

/** The photographs in order, 4 s each: the cuts fall at 4, 8 and 12 s. */
export const CLIP_SHOTS = ['astronaut.png', 'coffee.png', 'chelsea.png', 'motorcycle_left.png'];
export const CLIP_SHOT_SECONDS = 4;
const CLIP_SECONDS = CLIP_SHOTS.length * CLIP_SHOT_SECONDS;
/** The caption shown from 2 s to 14 s. */
export const CLIP_CAPTION = 'SENSE AND SENSIBILITY';

export function hasLocalClipMaterial(): boolean {
  return [...SENTENCES, FONT, ...CLIP_SHOTS.map(photo)].every((f) => fs.existsSync(f));
}

/** 640x360 at 25 fps, 16 s, H.264 with AAC speech (starting at 0.5 s), in MP4. */
export function makeLocalClip(file: string): void {
  const inputs: string[] = [];
  const chains: string[] = [];
  CLIP_SHOTS.forEach((name, i) => {
    inputs.push('-loop', '1', '-t', String(CLIP_SHOT_SECONDS), '-i', photo(name));
    chains.push(
      `[${i}]scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,` +
        `setsar=1,fps=25,format=yuv420p[v${i}]`,
    );
  });
  for (const wav of SENTENCES) inputs.push('-i', wav);
  const videos = CLIP_SHOTS.map((_, i) => `[v${i}]`).join('');
  const audios = SENTENCES.map((_, i) => `[${CLIP_SHOTS.length + i}]`).join('');
  const caption =
    `drawbox=y=ih-70:w=iw:h=60:color=black@0.8:t=fill:enable='between(t,2,14)',` +
    `drawtext=fontfile=${FONT}:text='${CLIP_CAPTION}':fontcolor=white:fontsize=34:` +
    `x=(w-text_w)/2:y=h-60:enable='between(t,2,14)'`;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    `${chains.join(';')};${videos}concat=n=${CLIP_SHOTS.length}:v=1:a=0,${caption}[v];` +
      `${audios}concat=n=${SENTENCES.length}:v=0:a=1,adelay=500:all=1,apad=whole_dur=${CLIP_SECONDS}[a]`,
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-x264-params',
    'keyint=50:min-keyint=50:scenecut=0',
    '-c:a',
    'aac',
    '-t',
    String(CLIP_SECONDS),
    '-f',
    'mp4',
    file,
  ]);
}
