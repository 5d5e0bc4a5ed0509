/**
 * ffprobe: pure argument building and output parsing, plus a thin adapter that runs it.
 */
import { runProcess, ProcessError } from '../platform/process-runner.ts';
import { AppError } from '../domain/errors.ts';

/** Arguments for a JSON probe of a local file; only the file protocol is allowed. */
export function buildProbeArgs(file: string): string[] {
  return [
    '-v',
    'error',
    '-protocol_whitelist',
    'file',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    '-i',
    file,
  ];
}

export interface ProbeStream {
  index: number;
  type: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | 'unknown';
  codec: string | null;
  width?: number;
  height?: number;
  fps?: number | null;
  sampleRate?: number;
  channels?: number;
  durationSeconds?: number | null;
}

export interface ProbeResult {
  formatName: string | null;
  durationSeconds: number | null;
  bitRate: number | null;
  sizeBytes: number | null;
  streams: ProbeStream[];
}

function num(v: unknown): number | null {
  if (v === undefined || v === null || v === 'N/A') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** "30000/1001" → 29.97; "0/0" → null. */
export function parseRate(rate: unknown): number | null {
  if (typeof rate !== 'string') return null;
  const [a, b] = rate.split('/').map(Number);
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 || a === 0)
    return null;
  return Math.round((a / b) * 1000) / 1000;
}

const STREAM_TYPES = new Set(['video', 'audio', 'subtitle', 'data', 'attachment']);

export function parseProbeOutput(json: string): ProbeResult {
  let data: { format?: Record<string, unknown>; streams?: Array<Record<string, unknown>> };
  try {
    data = JSON.parse(json) as typeof data;
  } catch {
    throw new AppError('MEDIA_CORRUPT', 'ffprobe produced unreadable output');
  }
  const format = data.format ?? {};
  const streams: ProbeStream[] = (data.streams ?? []).map((s) => {
    const type = (STREAM_TYPES.has(String(s.codec_type)) ? s.codec_type : 'unknown') as ProbeStream['type'];
    const base: ProbeStream = {
      index: Number(s.index ?? 0),
      type,
      codec: typeof s.codec_name === 'string' ? s.codec_name : null,
    };
    const duration = num(s.duration);
    if (duration !== null) base.durationSeconds = duration;
    if (type === 'video') {
      base.width = Number(s.width ?? 0);
      base.height = Number(s.height ?? 0);
      base.fps = parseRate(s.avg_frame_rate) ?? parseRate(s.r_frame_rate);
    }
    if (type === 'audio') {
      base.sampleRate = Number(s.sample_rate ?? 0);
      base.channels = Number(s.channels ?? 0);
    }
    return base;
  });
  return {
    formatName: typeof format.format_name === 'string' ? format.format_name : null,
    durationSeconds: num(format.duration),
    bitRate: num(format.bit_rate),
    sizeBytes: num(format.size),
    streams,
  };
}

export async function probeFile(
  ffprobePath: string,
  file: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<ProbeResult> {
  try {
    const { stdout } = await runProcess(ffprobePath, buildProbeArgs(file), {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      maxStdoutBytes: 8 * 1024 * 1024,
    });
    const result = parseProbeOutput(stdout.toString('utf8'));
    if (result.streams.length === 0) throw new AppError('MEDIA_CORRUPT', 'No audio or video streams found');
    return result;
  } catch (err) {
    if (err instanceof ProcessError) {
      if (err.reason === 'spawn')
        throw new AppError('PROBE_FAILED', `ffprobe is not available (${ffprobePath})`, {
          cause: err,
        });
      if (err.reason === 'aborted') throw err;
      if (err.reason === 'timeout') throw new AppError('MEDIA_TOO_COMPLEX', err.message, { cause: err });
      throw new AppError(
        'MEDIA_CORRUPT',
        `ffprobe could not read the media: ${err.stderrTail.trim().split('\n').slice(-2).join(' | ')}`,
        { cause: err },
      );
    }
    throw err;
  }
}
