/**
 * Local speech recognition with CMU PocketSphinx (Debian's `pocketsphinx` and
 * `pocketsphinx-en-us`): words with start/end times and a confidence, no provider.
 * It is a draft-quality engine: its word error rate on real recorded speech, decoded the
 * way an analysis decodes a track, is measured by `npm run eval speech`
 * (bench/quality/speech.eval.ts, results in bench/results/quality.md). A transcript
 * carries only what was computed on its own media (word posteriors, their mean, and
 * which words fall below the calibrated confidence threshold), never that figure.
 *
 * Only what the voice-activity detector calls speech is decoded: the spans are grouped
 * into chunks of at most CHUNK_SECONDS, written as small WAV files and decoded by up to
 * `parallel` engine processes at once; word times are shifted back onto the track. Each
 * chunk's decode starts from its own cepstral mean (CMN_SEED_SETTINGS) and is adapted to
 * its speaker without supervision (ADAPTATION: an MLLR transform estimated on its own
 * hypothesis with Debian's sphinxtrain, then a decode with it); a failure of adaptation
 * leaves the unadapted decode.
 * Argument building and output parsing are pure (unit-tested); the runner is thin.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../platform/process-runner.ts';
import {
  ADAPTATION,
  FILLERS,
  accumulateAdaptation,
  adaptationModel,
  nullOnFailure,
  solveMllr,
  type AdaptationConfig,
} from './speech-adaptation.ts';
import type { TimeSpan } from './voice-activity.ts';

export interface RecognizedWord {
  word: string;
  start: number;
  end: number;
  /** Posterior probability of the word in the engine's lattice, 0–1. */
  confidence: number;
  /** Set when `confidence` is below the calibrated threshold (see markLowConfidence). */
  low_confidence?: true;
}

/** Decoder search settings, as `pocketsphinx_continuous` flags without the dash. */
export type DecoderSettings = Readonly<Record<string, string>>;

export interface LocalSpeechConfig {
  /** The `pocketsphinx_continuous` binary. */
  binary: string;
  /** Folder holding the acoustic model (`en-us/`), `en-us.lm.bin` and `cmudict-en-us.dict`. */
  modelDir: string;
  /** Per-chunk deadline: a hung engine is killed. */
  timeoutMs: number;
  /** Engine processes run at once. */
  parallel: number;
  /** Search settings; DECODER_SETTINGS when absent (the evaluation passes others while tuning). */
  decoder?: DecoderSettings;
  /** Context around each speech span; SPAN_PADDING_SECONDS when absent (tuned like `decoder`). */
  spanPaddingSeconds?: number;
  /**
   * The first pass that measures each chunk's cepstral mean (see CMN_SEED_SETTINGS);
   * CMN_SEED_SETTINGS when absent, null for one pass from the model's own initial mean.
   */
  cmnSeed?: DecoderSettings | null;
  /**
   * Unsupervised speaker adaptation of each chunk (see adaptChunk): the tools, and what the
   * transform is estimated on. ADAPTATION when absent; null decodes without it.
   */
  adaptation?: AdaptationConfig | null;
}

export interface Chunk {
  start: number;
  end: number;
}

/** Longest piece decoded in one engine run (bounded memory, parallel work, a timeout per piece). */
export const CHUNK_SECONDS = 30;
/**
 * Context kept around each speech span so word edges are not clipped (0.1, 0.5 and 0.75 s
 * were no better on the speech evaluation's tuning split; see DECODER_SETTINGS).
 */
export const SPAN_PADDING_SECONDS = 0.25;
const BYTES_PER_SECOND = 32000;

/**
 * The decoder's search settings, chosen on the tuning split of `npm run eval speech`
 * (bench/quality/speech.eval.ts; every setting tried is in bench/results/speech-tuning.json
 * and the evaluation's notes in bench/results/quality.md). Empty: the engine's defaults.
 * On the first wideband tuning tracks (73 words, decoded the pipeline's way) the defaults
 * made 21 errors (WER 0.288); none of -lw 5/8/10, -wip 0.2/0.05/1, -silprob 0.1/0.0005,
 * -pip 0.5/2, -beam 1e-60/1e-40, -remove_noise no, -vad_threshold 1.5/3 or a span padding
 * of 0.1/0.5/0.75 s saved the 2 errors a change must save to be kept (most tied, -lw 8/10
 * and -beam 1e-40 lost 5–13). On the larger wideband tuning split (419 words, with the
 * Asterisk 16 kHz prompts) the defaults in one pass made 143 errors (WER 0.341); seeding
 * each chunk's cepstral mean from a first pass (CMN_SEED_SETTINGS) made 115 (WER 0.274),
 * which is what an analysis now does. With speaker adaptation on (ADAPTATION: 102 errors, WER
 * 0.243 on those 419 words), the final pass's language-model weight -bestpathlw 7.5 / 11.5
 * (default 9.5) made 110 / 106 errors and the word insertion penalty -wip 0.3 (default 0.65)
 * 110, so the defaults stay (a -wip 1.5 and a -beam 1e-60 run were stopped unfinished; the other
 * flags were not swept on these 419 words: the machine was shared, a run took 12–16 minutes).
 */
export const DECODER_SETTINGS: DecoderSettings = {};

/**
 * The engine normalises each frame by a running cepstral mean that starts from the model's
 * `-cmninit` (its training material's mean) and takes seconds of speech to move: on a short
 * chunk from another microphone, or after a quiet gap, the first words are decoded against
 * the wrong mean (a studio prompt started at C0 57 where the model assumes 41, and its first
 * sentence came out as noise words while the same voice's next sentence was right). So each
 * chunk is decoded twice: a cheap first pass with these narrow search settings only to let
 * the engine measure the chunk's mean (its log's last "Update to < … >"), then the real
 * decode starting from that mean (given through a seeded copy of the model's feat.params:
 * the engine ignores `-cmninit` on its command line when the model has one). Chosen on the tuning split of `npm run eval speech`
 * (figures with DECODER_SETTINGS).
 */
export const CMN_SEED_SETTINGS: DecoderSettings = {
  maxhmmpf: '500',
  fwdflat: 'no',
  bestpath: 'no',
};

/** The cepstral mean the engine had reached at the end of a run, from its log, as a `-cmninit` value; null when it logged none. */
export function lastCepstralMean(log: string): string | null {
  const updates = [...log.matchAll(/Update to\s+<([^>]*)>/g)];
  const last = updates[updates.length - 1]?.[1]?.trim();
  if (!last) return null;
  const values = last.split(/\s+/);
  return values.every((v) => Number.isFinite(Number(v))) ? values.join(',') : null;
}

/**
 * Engine arguments: word times and confidences (`-time yes`), log to `logFile` (none by
 * default), then the search settings. `hmmDir` replaces the model's acoustic model folder
 * (a seeded copy, see seededModel).
 */
export function pocketsphinxArgs(
  wav: string,
  modelDir: string,
  decoder: DecoderSettings = DECODER_SETTINGS,
  logFile = '/dev/null',
  hmmDir = path.join(modelDir, 'en-us'),
): string[] {
  return [
    '-infile',
    wav,
    '-hmm',
    hmmDir,
    '-lm',
    path.join(modelDir, 'en-us.lm.bin'),
    '-dict',
    path.join(modelDir, 'cmudict-en-us.dict'),
    '-time',
    'yes',
    '-logfn',
    logFile,
    ...Object.entries(decoder).flatMap(([flag, value]) => [`-${flag}`, value]),
  ];
}

/**
 * The acoustic model folder with its initial cepstral mean replaced: the engine takes
 * `-cmninit` from the model's feat.params even when the flag is given, so the seeded mean
 * goes into a copy of feat.params beside links to the model's other files, in `dir`.
 */
export async function seededModel(modelDir: string, cmninit: string, dir: string): Promise<string> {
  const hmm = path.join(modelDir, 'en-us');
  await fs.mkdir(dir, { recursive: true });
  for (const name of await fs.readdir(hmm))
    if (name !== 'feat.params') await fs.symlink(path.join(hmm, name), path.join(dir, name));
  const params = await fs.readFile(path.join(hmm, 'feat.params'), 'utf8');
  const line = `-cmninit ${cmninit}`;
  await fs.writeFile(
    path.join(dir, 'feat.params'),
    /^-cmninit .*$/m.test(params) ? params.replace(/^-cmninit .*$/m, line) : `${params.trimEnd()}\n${line}\n`,
  );
  return dir;
}

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
export function planSpeechChunks(
  spans: TimeSpan[],
  duration: number,
  maxSeconds: number,
  padding = SPAN_PADDING_SECONDS,
): Chunk[] {
  const limit = Math.min(duration, maxSeconds);
  const chunks: Chunk[] = [];
  for (const span of spans) {
    let start = Math.max(0, span.start - padding);
    const end = Math.min(limit, span.end + padding);
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
  const decoder = cfg.decoder ?? DECODER_SETTINGS;
  const seed = cfg.cmnSeed === undefined ? CMN_SEED_SETTINGS : cfg.cmnSeed;
  const adaptation = cfg.adaptation === undefined ? ADAPTATION : cfg.adaptation;
  const opts = { timeoutMs: cfg.timeoutMs, signal };
  const run = async (args: string[]) => (await runProcess(cfg.binary, args, opts)).stdout.toString('utf8');
  const fileOf = (i: number) => path.join(workDir, `speech-${String(i).padStart(5, '0')}.wav`);
  const adaptDir = path.join(workDir, 'adaptation-model');
  // Adaptation is an improvement, never a condition: any failure of it (a missing tool, an
  // alignment that fails, an unusable transform) leaves the chunk's unadapted decode.
  const orNull = <T>(step: () => Promise<T | null>) => nullOnFailure(step, signal);
  let adaptModel: Promise<string | null> | undefined;
  const model = () =>
    (adaptModel ??= orNull(() => adaptationModel(cfg.modelDir, adaptDir, adaptation!, cfg.timeoutMs)));

  interface State {
    hmmDir: string | undefined;
    /** The chunk's cepstral mean from the first pass, as `-cmninit`. */
    mean: string | null;
    /** The full decode's output; null while only the first pass ran. */
    stdout: string | null;
    acc: string | null;
  }
  const states: State[] = new Array(chunks.length);
  const pool = async (work: (i: number) => Promise<void>) => {
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) await work(next++);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(cfg.parallel, chunks.length)) }, worker));
  };
  const perRecording = adaptation?.scope === 'recording';
  const accumulate = (i: number, hypothesis: string) =>
    orNull(async () => {
      const dir = await model();
      return dir && accumulateAdaptation(fileOf(i), hypothesis, states[i]!.mean, cfg.modelDir, dir, adaptation!, opts);
    });
  const solve = (accs: string[], out: string) => orNull(() => solveMllr(accs, cfg.modelDir, out, adaptation!, opts));
  const iterations = Math.max(1, adaptation?.iterations ?? 1);
  const decodeWith = async (i: number, mllr: string | null) => {
    const st = states[i]!;
    const args = pocketsphinxArgs(fileOf(i), cfg.modelDir, decoder, undefined, st.hmmDir);
    if (mllr) st.stdout = await run([...args, '-mllr', mllr]);
    else st.stdout ??= await run(args);
  };
  try {
    await pool(async (i) => {
      const chunk = chunks[i]!;
      const file = fileOf(i);
      const from = Math.floor(chunk.start * BYTES_PER_SECOND) & ~1;
      const to = Math.min(pcm.length, Math.floor(chunk.end * BYTES_PER_SECOND) & ~1);
      const log = `${file}.log`;
      await fs.rm(log, { force: true }); // the engine appends to its log
      await fs.writeFile(file, wavFile(pcm.subarray(from, to)));
      const st: State = { hmmDir: undefined, mean: null, stdout: null, acc: null };
      states[i] = st;
      let first: string | null = null;
      if (seed) {
        first = await run(pocketsphinxArgs(file, cfg.modelDir, { ...decoder, ...seed }, log));
        st.mean = lastCepstralMean(await fs.readFile(log, 'utf8'));
        if (st.mean) st.hmmDir = await seededModel(cfg.modelDir, st.mean, `${file}.model`);
      }
      if (!(adaptation?.from === 'first' && first !== null)) await decodeWith(i, null);
      if (adaptation) {
        st.acc = await accumulate(i, st.stdout ?? first ?? '');
        if (!perRecording)
          for (let k = 0; k < iterations; k++) {
            if (k > 0) st.acc = await accumulate(i, st.stdout ?? '');
            const mllr = st.acc && (await solve([st.acc], `${file}.mllr/mllr_matrix`));
            if (k > 0 && !mllr) break; // the decode with the transform before it stands
            await decodeWith(i, mllr);
          }
      }
    });
    if (adaptation && perRecording)
      for (let k = 0; k < iterations; k++) {
        if (k > 0) await pool(async (i) => void (states[i]!.acc = await accumulate(i, states[i]!.stdout ?? '')));
        const accs = states.flatMap((st) => (st.acc ? [st.acc] : []));
        const mllr = await solve(accs, path.join(workDir, 'mllr_matrix'));
        if (k > 0 && !mllr) break;
        await pool((i) => decodeWith(i, mllr));
      }
    return states.flatMap((st, i) => parsePocketsphinx(st.stdout ?? '', chunks[i]!.start));
  } finally {
    for (let i = 0; i < chunks.length; i++)
      for (const suffix of ['', '.log', '.model', '.mllr'])
        await fs.rm(`${fileOf(i)}${suffix}`, { recursive: true, force: true });
    await fs.rm(adaptDir, { recursive: true, force: true });
    await fs.rm(path.join(workDir, 'mllr_matrix'), { force: true });
  }
}

/**
 * The whole local path from a prepared track to words: the voice-activity spans become
 * chunks (planSpeechChunks), the chunks are decoded (recognizeSpeech). The transcription
 * stage and the speech evaluation both call this, so the evaluation measures what an
 * analysis does.
 */
export async function transcribeTrack(
  pcm: Buffer,
  speech: TimeSpan[],
  duration: number,
  maxSeconds: number,
  workDir: string,
  cfg: LocalSpeechConfig,
  signal?: AbortSignal,
): Promise<{ chunks: Chunk[]; words: RecognizedWord[] }> {
  const chunks = planSpeechChunks(speech, duration, maxSeconds, cfg.spanPaddingSeconds);
  if (chunks.length === 0) return { chunks, words: [] };
  return { chunks, words: await recognizeSpeech(pcm, chunks, workDir, cfg, signal) };
}

/** What a transcript says about its own words: all computed from them, nothing carried over. */
export interface ConfidenceSummary {
  /** Mean word posterior; null when there are no words. */
  mean_word_confidence: number | null;
  low_confidence_words: number;
  /** The threshold the words were marked against. */
  low_confidence_below: number;
}

/** Marks the words whose posterior is below `threshold` (`low_confidence: true`) and summarises. */
export function markLowConfidence(
  words: readonly RecognizedWord[],
  threshold: number,
): { words: RecognizedWord[]; summary: ConfidenceSummary } {
  const marked = words.map((w): RecognizedWord => {
    const { low_confidence: _stale, ...rest } = w;
    return w.confidence < threshold ? { ...rest, low_confidence: true } : rest;
  });
  const mean = words.length ? words.reduce((s, w) => s + w.confidence, 0) / words.length : null;
  return {
    words: marked,
    summary: {
      mean_word_confidence: mean === null ? null : Math.round(mean * 1000) / 1000,
      low_confidence_words: marked.filter((w) => w.low_confidence).length,
      low_confidence_below: threshold,
    },
  };
}

/** Written abbreviations the engine's dictionary spells as words (standard WER text normalisation). */
const SPOKEN_FORMS: Record<string, string> = { mr: 'mister', mrs: 'missus', dr: 'doctor', st: 'saint' };

/** Words as word error rates compare them: lower-cased, punctuation dropped, abbreviations spoken. */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => SPOKEN_FORMS[w] ?? w);
}

/** Word-level edit distance (substitutions, deletions, insertions) between two word lists. */
export function wordEditErrors(ref: readonly string[], hyp: readonly string[]): number {
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[hyp.length]!;
}

/** Word error rate: word-level edit distance over the reference length (both lower-cased, punctuation dropped). */
export function wordErrorRate(reference: string, hypothesis: string): { wer: number; errors: number; words: number } {
  const ref = normaliseWords(reference);
  const errors = wordEditErrors(ref, normaliseWords(hypothesis));
  return { wer: ref.length ? errors / ref.length : 0, errors, words: ref.length };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
