/**
 * Files the media benchmarks generate and cache under `data/`: an existence check and
 * the ffmpeg concat (stream copy) that builds a long video from short segments in
 * seconds instead of encoding an hour of picture. Keyframes of the segments are kept,
 * so a long video has the same keyframe spacing as its segments.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { photo } from '../../test/helpers/photos.ts';

const SPEECH_DIR = process.env.SPEECH_TESTDATA_DIR ?? '/usr/share/pocketsphinx/test/data/librivox';
/** The photographs of the speech video, one per shot, cycled; a cut every SHOT_SECONDS. */
const SPEECH_VIDEO_PHOTOS = [
  'astronaut.png',
  'coffee.png',
  'chelsea.png',
  'motorcycle_left.png',
  'horse.png',
  'rocket.jpg',
];
export const SHOT_SECONDS = 10;
/** Silence after each LibriVox sentence: read speech with the pauses of a narrator. */
export const PAUSE_SECONDS = 1;

/** The LibriVox sentences of Debian's pocketsphinx-testdata and their reference transcripts. */
export async function librivoxSentences(): Promise<Array<{ wav: string; words: string[] }>> {
  const lines = (await fs.readFile(path.join(SPEECH_DIR, 'transcription'), 'utf8')).split('\n');
  const out: Array<{ wav: string; words: string[] }> = [];
  for (const line of lines) {
    const m = /^<s> (.*) <\/s> \((.+)\)$/.exec(line.trim());
    if (m) out.push({ wav: path.join(SPEECH_DIR, `${m[2]}.wav`), words: m[1]!.split(/\s+/) });
  }
  if (out.length === 0)
    throw new Error(`no reference transcripts in ${SPEECH_DIR} (apt-get install pocketsphinx-testdata)`);
  return out;
}

/**
 * A `minutes`-long video with speech, cached in `dir`: real photographs cycled (720p,
 * 25 fps, film grain so no two frames are equal, keyframes 2 s apart), a cut every
 * SHOT_SECONDS; the sound: the LibriVox sentences one after another with a pause after
 * each, looped over the whole length. Returns the file and its cut times.
 */
export async function speechPhotoVideo(
  minutes: number,
  dir: string,
  corpus: ReadonlyArray<{ wav: string }>,
): Promise<{ file: string; cuts: number[] }> {
  const seconds = minutes * 60;
  const shots = seconds / SHOT_SECONDS;
  const cuts = Array.from({ length: shots - 1 }, (_, i) => (i + 1) * SHOT_SECONDS);
  const file = path.join(dir, `speech-photos-${minutes}min-720p.mp4`);
  if (await exists(file)) return { file, cuts };
  await fs.mkdir(dir, { recursive: true });
  const segments: string[] = [];
  for (const [i, name] of SPEECH_VIDEO_PHOTOS.entries()) {
    const segment = path.join(dir, `shot-${i}.mp4`);
    await photoShot(photo(name), SHOT_SECONDS, segment);
    segments.push(segment);
  }
  const picture = path.join(dir, `picture-${minutes}min.mp4`);
  await concatCopy(
    Array.from({ length: shots }, (_, i) => segments[i % segments.length]!),
    picture,
  );
  const cycle = path.join(dir, 'speech-cycle.wav');
  await ffmpegInto(cycle, [
    ...corpus.flatMap((c) => ['-i', c.wav]),
    '-filter_complex',
    corpus
      .map((_, i) => `[${i}]aformat=sample_rates=16000:channel_layouts=mono,apad=pad_dur=${PAUSE_SECONDS}[a${i}]`)
      .join(';') + `;${corpus.map((_, i) => `[a${i}]`).join('')}concat=n=${corpus.length}:v=0:a=1[out]`,
    '-map',
    '[out]',
  ]);
  await ffmpegInto(file, [
    '-i',
    picture,
    '-stream_loop',
    '-1',
    '-i',
    cycle,
    '-map',
    '0:v:0',
    '-map',
    '1:a:0',
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    '-ar',
    '44100',
    '-t',
    String(seconds),
  ]);
  await fs.rm(picture, { force: true });
  return { file, cuts };
}

/**
 * Encode a still photo as a `seconds`-long 720p, 25 fps H.264 shot with film grain (so no
 * two frames are equal) and a keyframe every 2 s. Cached: an existing `out` is kept.
 */
export async function photoShot(photoFile: string, seconds: number, out: string): Promise<void> {
  if (await exists(out)) return;
  await ffmpegInto(out, [
    '-loop',
    '1',
    '-t',
    String(seconds),
    '-i',
    photoFile,
    '-vf',
    'scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,' +
      'setsar=1,fps=25,noise=alls=6:allf=t,format=yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '26',
    '-g',
    '50',
  ]);
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * Join `segments` (in order, repeats allowed) into `out` by stream copy, through a
 * concat list written beside `out`. Written to a temporary name first, so an
 * interrupted run never leaves a half video that the cache would take as done.
 */
export async function concatCopy(segments: readonly string[], out: string): Promise<void> {
  const list = `${out}.list.txt`;
  await fs.writeFile(list, segments.map((s) => `file '${s.replaceAll("'", "'\\''")}'`).join('\n') + '\n');
  try {
    await ffmpegInto(out, ['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy']);
  } finally {
    await fs.rm(list, { force: true });
  }
}

/**
 * Run ffmpeg with `args` writing to a temporary name beside `out`, renamed to `out` when
 * it succeeds, so an interrupted run never leaves a half file the cache would take as done.
 */
async function ffmpegInto(out: string, args: readonly string[]): Promise<void> {
  const partial = `${out}.partial${extensionOf(out)}`;
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, partial]);
    await fs.rename(partial, out);
  } finally {
    await fs.rm(partial, { force: true });
  }
}

function extensionOf(file: string): string {
  const m = /\.[A-Za-z0-9]+$/.exec(file);
  return m ? m[0] : '';
}
