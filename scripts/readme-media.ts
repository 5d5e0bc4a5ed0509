/**
 * The README's sample media: the photo video of test/helpers/photos.ts (five shots) with two
 * real LibriVox sentences of pocketsphinx-testdata as its sound. Used by the scripts that
 * print the README's real output (readme-excerpt.ts, readme-cli-sdk.ts).
 */
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makePhotoShotsVideo } from '../test/helpers/photos.ts';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb';

/** Writes `photos-with-speech.mp4` into `dir` and returns its path. */
export function makeSpeechVideo(dir: string): string {
  const picture = path.join(dir, 'photos.mp4');
  makePhotoShotsVideo(picture);
  const video = path.join(dir, 'photos-with-speech.mp4');
  // "and mister john dashwood had then leisure to consider …" + "he was not an ill disposed young man",
  // padded with silence to the picture's length.
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-y',
    '-i',
    picture,
    '-i',
    `${LIBRIVOX}-0870.wav`,
    '-i',
    `${LIBRIVOX}-0880.wav`,
    '-filter_complex',
    '[1:a][2:a]concat=n=2:v=0:a=1,apad[a]',
    '-map',
    '0:v',
    '-map',
    '[a]',
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    '-shortest',
    video,
  ]);
  return video;
}
