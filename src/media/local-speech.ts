/**
 * Local speech recognition with CMU PocketSphinx (Debian's `pocketsphinx` and
 * `pocketsphinx-en-us`): words with start/end times and a confidence, no provider.
 * It is a draft-quality engine (its word error rate on real recorded speech is measured
 * in bench/speech.bench.ts and reported with every transcript).
 *
 * Only what the voice-activity detector calls speech is decoded: the spans are grouped
 * into chunks of at most CHUNK_SECONDS, written as small WAV files and decoded by up to
 * `parallel` engine processes at once; word times are shifted back onto the track.
 * Argument building and output parsing are pure (unit-tested); the runner is thin.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../platform/process-runner.ts';
import type { TimeSpan } from './voice-activity.ts';

export interface RecognizedWord {
  word: string;
  start: number;
  end: number;
  /** Posterior probability of the word, 0–1. */
  confidence: number;
}

export interface LocalSpeechConfig {
  /** The `pocketsphinx_continuous` binary. */
  binary: string;
  /** Folder holding the acoustic model (`en-us/`), `en-us.lm.bin` and `cmudict-en-us.dict`. */
  modelDir: string;
  /** Per-chunk deadline: a hung engine is killed. */
  timeoutMs: number;
  /** Engine processes run at once. */
  parallel: number;
}

export interface Chunk {
  start: number;
  end: number;
}

/** Longest piece decoded in one engine run (bounded memory, parallel work, a timeout per piece). */
export const CHUNK_SECONDS = 30;
/** Context kept around each speech span so word edges are not clipped. */
export const SPAN_PADDING_SECONDS = 0.25;
const BYTES_PER_SECOND = 32000;

/** Engine arguments: word times and confidences (`-time yes`), log silenced. */
export function pocketsphinxArgs(wav: string, modelDir: string): string[] {
  return [
    '-infile',
    wav,
    '-hmm',
    path.join(modelDir, 'en-us'),
    '-lm',
    path.join(modelDir, 'en-us.lm.bin'),
    '-dict',
    path.join(modelDir, 'cmudict-en-us.dict'),
    '-time',
    'yes',
    '-logfn',
    '/dev/null',
  ];
}

const FILLERS = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+|<.*>)$/;

/**
 * Words from `-time yes` output: lines `word start end probability` (the hypothesis
 * lines in between have other shapes). Fillers and silences are dropped; alternative
 * pronunciation markers (`and(2)`) are removed.
 */
export function parsePocketsphinx(stdout: string, offsetSeconds = 0): RecognizedWord[] {
  const words: RecognizedWord[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+\.\d+) (\d+\.\d+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!m) continue;
    const token = m[1]!;
    if (FILLERS.test(token)) continue;
    words.push({
      word: token.replace(/\(\d+\)$/, ''),
      start: round3(Number(m[2]) + offsetSeconds),
      end: round3(Number(m[3]) + offsetSeconds),
      confidence: Math.round(Math.min(1, Math.max(0, Number(m[4]))) * 1000) / 1000,
    });
  }
  return words;
}

/** Speech spans → decoding chunks: padded, merged when close, split at CHUNK_SECONDS; limited to `maxSeconds`. */
export function planSpeechChunks(spans: TimeSpan[], duration: number, maxSeconds: number): Chunk[] {
  const limit = Math.min(duration, maxSeconds);
  const chunks: Chunk[] = [];
  for (const span of spans) {
    let start = Math.max(0, span.start - SPAN_PADDING_SECONDS);
    const end = Math.min(limit, span.end + SPAN_PADDING_SECONDS);
    if (end <= start) continue;
    const last = chunks[chunks.length - 1];
    if (last && start - last.end < 1 && end - last.start <= CHUNK_SECONDS) {
      last.end = round3(end);
      continue;
    }
    while (end - start > CHUNK_SECONDS) {
      chunks.push({ start: round3(start), end: round3(start + CHUNK_SECONDS) });
      start += CHUNK_SECONDS;
    }
    chunks.push({ start: round3(start), end: round3(end) });
  }
  return chunks;
}

/** A 16 kHz mono 16-bit WAV of `pcm`. */
export function wavFile(pcm: Buffer, sampleRate = 16000): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/**
 * Decodes the chunks of a 16 kHz mono PCM track. `workDir` holds the chunk files while
 * they are decoded (removed afterwards). An engine crash or timeout rejects with the
 * runner's ProcessError; the caller decides what that means for the analysis.
 */
export async function recognizeSpeech(
  pcm: Buffer,
  chunks: Chunk[],
  workDir: string,
  cfg: LocalSpeechConfig,
  signal?: AbortSignal,
): Promise<RecognizedWord[]> {
  await fs.mkdir(workDir, { recursive: true });
  const results: RecognizedWord[][] = new Array(chunks.length);
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const i = next++;
      const chunk = chunks[i]!;
      const file = path.join(workDir, `speech-${String(i).padStart(5, '0')}.wav`);
      const from = Math.floor(chunk.start * BYTES_PER_SECOND) & ~1;
      const to = Math.min(pcm.length, Math.floor(chunk.end * BYTES_PER_SECOND) & ~1);
      await fs.writeFile(file, wavFile(pcm.subarray(from, to)));
      try {
        const { stdout } = await runProcess(cfg.binary, pocketsphinxArgs(file, cfg.modelDir), {
          timeoutMs: cfg.timeoutMs,
          signal,
        });
        results[i] = parsePocketsphinx(stdout.toString('utf8'), chunk.start);
      } finally {
        await fs.rm(file, { force: true });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(cfg.parallel, chunks.length)) }, worker));
  return results.flat();
}

/** Written abbreviations the engine's dictionary spells as words (standard WER text normalisation). */
const SPOKEN_FORMS: Record<string, string> = { mr: 'mister', mrs: 'missus', dr: 'doctor', st: 'saint' };

/** Word error rate: word-level edit distance over the reference length (both lower-cased, punctuation dropped). */
export function wordErrorRate(reference: string, hypothesis: string): { wer: number; errors: number; words: number } {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => SPOKEN_FORMS[w] ?? w);
  const ref = norm(reference);
  const hyp = norm(hypothesis);
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    prev = cur;
  }
  const errors = prev[hyp.length]!;
  return { wer: ref.length ? errors / ref.length : 0, errors, words: ref.length };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
