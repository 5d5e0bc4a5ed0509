/**
 * FFmpeg: pure argument builders and output parsers (table-tested), and one thin
 * runner. Every command reads local files only (`-protocol_whitelist file,pipe`),
 * never touches the network, and runs with a timeout and an abort signal.
 */
import { runProcess, ProcessError } from '../platform/process-runner.ts';
import { AppError } from '../domain/errors.ts';

const COMMON = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-protocol_whitelist', 'file,pipe'];

/** `n` timestamps spread evenly over `duration`, each in the middle of its slice. */
export function evenlySpacedTimes(durationSeconds: number, count: number): number[] {
  if (!(durationSeconds > 0) || count < 1) return [];
  return Array.from({ length: count }, (_, i) => Math.round(((durationSeconds * (i + 0.5)) / count) * 1000) / 1000);
}

/**
 * One frame at exactly `seconds`: input seeking (`-ss` before `-i`) jumps to the keyframe
 * before that time and, with ffmpeg's default accurate seek, decodes from there and drops
 * every frame before `seconds`, so the first frame written is the one shown at that time.
 * The cost follows the keyframe interval, not the video's length. (Keyframe-only seeking
 * is faster but returns the keyframe's picture under the requested label: on a video with
 * keyframes 10 s apart, frames labelled 1.7 s, 5.0 s and 8.3 s were all the 0 s picture.)
 */
export function frameAtArgs(input: string, seconds: number, output: string, width: number): string[] {
  return framesAtArgs(input, [{ seconds, output }], width);
}

/**
 * Widest a frame taken at the source's size may be (`fullOutput`): OCR reads video frames
 * at that size, since captions shrunk into a 640-px analysis frame lose their small print
 * (bench/results/quality.md, text); a 4K frame is halved.
 */
export const FULL_FRAME_MAX_WIDTH = 1920;

/**
 * Several such frames from one ffmpeg process (`width` 0, or a frame's own `width` 0: at
 * the source's size, up to `fullMaxWidth`): the same file opened once per moment, each
 * input seeking on its own, each output taking the first frame of its input. One process
 * instead of several saves ffmpeg's start-up and, with one decoding thread per input, the
 * thread pools sized for a whole video (the CPU saved: docs/decisions/0010-measured-choices.md).
 */
export function framesAtArgs(
  input: string,
  frames: ReadonlyArray<{
    seconds: number;
    output: string;
    fullOutput?: string | undefined;
    width?: number | undefined;
  }>,
  width: number,
  fullMaxWidth = FULL_FRAME_MAX_WIDTH,
) {
  const inputs = frames.flatMap((f) => [
    ...(frames.length > 1 ? ['-threads', '1'] : []),
    '-ss',
    f.seconds.toFixed(3),
    '-i',
    input,
  ]);
  // Width 0: the source's own size (displayed, after rotation), at most fullMaxWidth.
  const sourceSize = `scale='min(iw,${fullMaxWidth})':-2`;
  const outputs = frames.flatMap((f, i) => [
    '-map',
    `${i}:v:0`,
    '-frames:v',
    '1',
    '-vf',
    (f.width ?? width) > 0 ? `scale=${f.width ?? width}:-2` : sourceSize,
    '-q:v',
    '3',
    '-y',
    f.output,
    // The same decoded picture at the source's own size (up to fullMaxWidth): no second decode.
    ...(f.fullOutput ? ['-map', `${i}:v:0`, '-frames:v', '1', '-vf', sourceSize, '-q:v', '2', '-y', f.fullOutput] : []),
  ]);
  return [...COMMON, ...inputs, ...outputs];
}

/** The naive contact sheet: decode every frame and pick with `select` (the benchmark's comparison). */
export function naiveContactSheetArgs(
  input: string,
  output: string,
  everyNthFrame: number,
  cols: number,
  rows: number,
  tileWidth: number,
): string[] {
  return [
    ...COMMON,
    '-i',
    input,
    '-vf',
    `select=not(mod(n\\,${everyNthFrame})),scale=${tileWidth}:-2,tile=${cols}x${rows}`,
    '-frames:v',
    '1',
    '-y',
    output,
  ];
}

/** The audio track as 16 kHz mono PCM WAV, ready for speech recognition. */
export function extractAudioArgs(input: string, output: string): string[] {
  return [
    ...COMMON,
    '-i',
    input,
    '-map',
    '0:a:0',
    '-vn',
    '-ac',
    '1',
    '-ar',
    '16000',
    '-c:a',
    'pcm_s16le',
    '-y',
    output,
  ];
}

/** EBU R128 loudness (with true peak) and silence detection in one decoding pass. */
export function audioAnalysisArgs(input: string, silenceDb = -35, minSilenceSeconds = 0.4): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'info',
    '-protocol_whitelist',
    'file,pipe',
    '-i',
    input,
    '-map',
    '0:a:0',
    '-vn',
    '-af',
    `ebur128=peak=true:framelog=verbose,silencedetect=noise=${silenceDb}dB:d=${minSilenceSeconds}`,
    '-f',
    'null',
    '-',
  ];
}

export function waveformArgs(input: string, output: string, width = 1200, height = 240): string[] {
  return [
    ...COMMON,
    '-i',
    input,
    '-filter_complex',
    `[0:a:0]aformat=channel_layouts=mono,showwavespic=s=${width}x${height}:colors=#2563eb`,
    '-frames:v',
    '1',
    '-y',
    output,
  ];
}

export interface Loudness {
  integrated_lufs: number | null;
  loudness_range_lu: number | null;
  true_peak_dbfs: number | null;
}

/** Read the ebur128 summary block from ffmpeg's log. */
export function parseEbur128(log: string): Loudness {
  const summary = log.slice(log.lastIndexOf('Summary:'));
  const num = (re: RegExp): number | null => {
    const m = re.exec(summary);
    if (!m) return null;
    const v = Number(m[1]);
    return Number.isFinite(v) ? v : null;
  };
  return {
    integrated_lufs: num(/I:\s+(-?[\d.]+|-inf)\s+LUFS/),
    loudness_range_lu: num(/LRA:\s+(-?[\d.]+)\s+LU\b/),
    true_peak_dbfs: num(/Peak:\s+(-?[\d.]+|-inf)\s+dBFS/),
  };
}

export interface Segment {
  start: number;
  end: number;
}

/** Silences from silencedetect, and speech (sound) as their complement over the duration. */
export function parseSilences(log: string, durationSeconds: number): { silences: Segment[]; speech: Segment[] } {
  const silences: Segment[] = [];
  let start: number | null = null;
  for (const line of log.split('\n')) {
    const s = /silence_start:\s*(-?[\d.]+)/.exec(line);
    if (s) start = Math.max(0, Number(s[1]));
    const e = /silence_end:\s*([\d.]+)/.exec(line);
    if (e && start !== null) {
      silences.push({ start: round3(start), end: round3(Number(e[1])) });
      start = null;
    }
  }
  if (start !== null) silences.push({ start: round3(start), end: round3(durationSeconds) });
  const speech: Segment[] = [];
  let cursor = 0;
  for (const s of silences) {
    if (s.start - cursor > 0.05) speech.push({ start: round3(cursor), end: s.start });
    cursor = Math.max(cursor, s.end);
  }
  if (durationSeconds - cursor > 0.05) speech.push({ start: round3(cursor), end: round3(durationSeconds) });
  return { silences, speech };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Run ffmpeg; a failure becomes MEDIA_CORRUPT (PROBE_FAILED when ffmpeg is missing, MEDIA_TOO_COMPLEX when it hangs). */
export async function runFfmpeg(
  ffmpegPath: string,
  args: string[],
  opts: { timeoutMs: number; signal?: AbortSignal | undefined; keepLogBytes?: number },
): Promise<string> {
  try {
    const { stderrTail } = await runProcess(ffmpegPath, args, {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      maxStdoutBytes: 1024 * 1024,
      ...(opts.keepLogBytes ? { stderrBytes: opts.keepLogBytes } : {}),
    });
    return stderrTail;
  } catch (err) {
    if (err instanceof ProcessError) {
      if (err.reason === 'aborted') throw err;
      if (err.reason === 'spawn')
        throw new AppError('PROBE_FAILED', `ffmpeg is not available (${ffmpegPath})`, { cause: err });
      if (err.reason === 'timeout') throw new AppError('MEDIA_TOO_COMPLEX', err.message, { cause: err });
      throw new AppError(
        'MEDIA_CORRUPT',
        `ffmpeg could not process the media: ${err.stderrTail.trim().split('\n').slice(-2).join(' | ')}`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Keep this much of ffmpeg's log when the result is in the log (ebur128, silencedetect). */
export const ANALYSIS_LOG_BYTES = 8 * 1024 * 1024;
