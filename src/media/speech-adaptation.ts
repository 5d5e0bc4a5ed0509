/**
 * Unsupervised speaker adaptation for the local speech engine (src/media/local-speech.ts):
 * the engine's own hypothesis of a chunk is aligned to the chunk's features with Debian's
 * sphinxtrain (`bw`), one MLLR transform of the acoustic model's means is estimated from the
 * counts (`mllr_solve`), and the engine decodes the chunk again with it (`-mllr`). Nothing
 * but the recording's own audio is used. File formats and the transcript it aligns are built
 * by pure functions (unit-tested); the tool runs are thin.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../platform/process-runner.ts';

/** The engine's filler and silence tokens (`<s>`, `<sil>`, `[NOISE]`, …). */
export const FILLERS = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+|<.*>)$/;

/** Unsupervised MLLR: sphinxtrain's `bw` and `mllr_solve`, sphinxbase's `sphinx_fe`, pocketsphinx's `pocketsphinx_mdef_convert`. */
export interface AdaptationConfig {
  bw: string;
  mllrSolve: string;
  sphinxFe: string;
  mdefConvert: string;
  /**
   * Which hypothesis the transform is estimated on: `first`, the cheap cepstral-mean pass
   * (one decode fewer), or `decode`, the chunk's full decode (the chunk is then decoded a
   * third time with the transform).
   */
  from: 'first' | 'decode';
  /** Only words at or above this posterior (with the fillers beside them) are aligned; 0 aligns the whole hypothesis. */
  minConfidence: number;
  /**
   * `chunk`: a transform per chunk, from its own counts; `recording`: one transform from the
   * counts of all the track's chunks (more speech to estimate it, one speaker or channel assumed).
   */
  scope: 'chunk' | 'recording';
  /**
   * Transforms estimated in turn: each after the first is estimated again from the model's
   * own means, on the hypothesis of the decode with the transform before it (better words
   * to align), and the chunk is decoded with it once more.
   */
  iterations: number;
}

/**
 * How unsupervised speaker adaptation is done (see adaptChunk). Chosen on the wideband
 * tuning split of `npm run eval speech` (419 words; bench/results/speech-tuning.json): without
 * adaptation 115 errors; with a transform per chunk from the decode's words at or above a
 * posterior of 0 / 0.1 / 0.2 / 0.3 / 0.5: 107 / 107 / 102 / 106 / 112; from the cheap first
 * pass's words instead (one decode fewer): 119; one transform per recording: 101 (not the 2
 * errors fewer a change must save, so per chunk: no assumption that a recording has one
 * speaker). It costs a third decode and bw: idle RTF 0.19 → 0.27 in those tuning rows. A second
 * iteration (the transform estimated again on the adapted decode's words, a fourth decode) made
 * 107 errors, so one.
 */
export const ADAPTATION: AdaptationConfig = {
  bw: '/usr/lib/sphinxtrain/bw',
  mllrSolve: '/usr/lib/sphinxtrain/mllr_solve',
  sphinxFe: 'sphinx_fe',
  mdefConvert: 'pocketsphinx_mdef_convert',
  from: 'decode',
  minConfidence: 0.2,
  scope: 'chunk',
  iterations: 1,
};

/**
 * The model's mixture weights as sphinxtrain reads them (an s3 `mixture_weights` file) from
 * the engine's compressed `sendump`: one byte per weight, -log base 1.0001 shifted right by
 * 10 bits, stored per stream, codeword, senone. Only uncompressed-cluster files (the en-us
 * model's) are read; the weights of each senone and stream are renormalised after the
 * quantisation.
 */
export function sendumpToMixtureWeights(sendump: Buffer): Buffer {
  let at = 0;
  const int = () => {
    const v = sendump.readInt32LE(at);
    at += 4;
    return v;
  };
  const header: Record<string, number> = {};
  for (;;) {
    const n = int();
    if (n === 0) break;
    if (n < 0 || n > 65536) throw new Error('sendump: not a little-endian sendump header');
    const [key, value] = sendump.toString('latin1', at, at + n - 1).split(' ');
    if (key && value !== undefined && /^\d+$/.test(value)) header[key] = Number(value);
    at += n;
  }
  if ((header.cluster_count ?? 0) !== 0) throw new Error('sendump: clustered mixture weights are not supported');
  const features = header.feature_count ?? 0;
  const densities = int();
  const senones = int();
  if (!features || !densities || !senones || at + features * densities * senones > sendump.length)
    throw new Error('sendump: sizes do not match the file');
  const step = 1024 * Math.log(1.0001);
  const weights = new Float32Array(senones * features * densities);
  for (let f = 0; f < features; f++)
    for (let d = 0; d < densities; d++)
      for (let s = 0; s < senones; s++)
        weights[(s * features + f) * densities + d] = Math.exp(
          -sendump[at + (f * densities + d) * senones + s]! * step,
        );
  for (let i = 0; i < senones * features; i++) {
    let sum = 0;
    for (let d = 0; d < densities; d++) sum += weights[i * densities + d]!;
    for (let d = 0; d < densities; d++) weights[i * densities + d]! /= sum;
  }
  // s3 header, padded so the data starts on a 4-byte boundary, then the byte-order mark.
  let text = 's3\nversion 1.0\n';
  const misalign = (text.length + 'endhdr\n'.length) % 4;
  text += `${misalign ? ' '.repeat(4 - misalign) : ''}endhdr\n`;
  const head = Buffer.alloc(text.length + 20);
  head.write(text, 0, 'latin1');
  [0x11223344, senones, features, densities, weights.length].forEach((v, i) =>
    head.writeUInt32LE(v, text.length + 4 * i),
  );
  return Buffer.concat([head, Buffer.from(weights.buffer)]);
}

/** A stretch of a chunk sphinxtrain aligns: 10 ms frames [start, end) and its transcript tokens. */
export interface AdaptationSegment {
  startFrame: number;
  endFrame: number;
  tokens: string[];
}

/**
 * What the transform is estimated on, from the engine's `-time yes` output: each
 * recognised utterance (`<s>` … `</s>`) with its words as recognised (pronunciation
 * variants kept, `and(2)`, so the aligner uses the decoder's choice) and its fillers.
 * With `minConfidence` above 0 an utterance is cut around the words below it, and only
 * stretches holding a word at or above it are kept.
 */
export function adaptationSegments(stdout: string, minConfidence = 0): AdaptationSegment[] {
  const segments: AdaptationSegment[] = [];
  let run: Array<{ token: string; start: number; end: number }> = [];
  const close = () => {
    if (run.some((t) => !FILLERS.test(t.token)))
      segments.push({
        startFrame: Math.round(run[0]!.start * 100),
        endFrame: Math.round(run[run.length - 1]!.end * 100) + 1,
        tokens: run.map((t) => t.token),
      });
    run = [];
  };
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+\.\d+) (\d+\.\d+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!m) continue;
    const token = m[1]!;
    if (token === '<s>') close();
    if (!FILLERS.test(token) && Number(m[4]) < minConfidence) {
      close();
      continue;
    }
    run.push({ token, start: Number(m[2]), end: Number(m[3]) });
    if (token === '</s>') close();
  }
  close();
  return segments;
}

/**
 * What sphinxtrain needs beside the engine's model, written once into `dir`: the model
 * definition as text and the mixture weights (sendumpToMixtureWeights).
 */
export async function adaptationModel(
  modelDir: string,
  dir: string,
  cfg: AdaptationConfig,
  timeoutMs: number,
): Promise<string> {
  const hmm = path.join(modelDir, 'en-us');
  await fs.mkdir(dir, { recursive: true });
  await runProcess(cfg.mdefConvert, ['-text', path.join(hmm, 'mdef'), path.join(dir, 'mdef.txt')], { timeoutMs });
  await fs.writeFile(
    path.join(dir, 'mixture_weights'),
    sendumpToMixtureWeights(await fs.readFile(path.join(hmm, 'sendump'))),
  );
  return dir;
}

/**
 * The first half of unsupervised speaker adaptation: the hypothesis `stdout` of a chunk is
 * aligned to the chunk's features (sphinx_fe, the model's front end; bw, with its live
 * cepstral mean starting from `cmninit`, as the decoder's) and the Gaussians' counts are
 * kept. Returns their folder, or null when there is nothing to align.
 */
export async function accumulateAdaptation(
  wav: string,
  stdout: string,
  cmninit: string | null,
  modelDir: string,
  adaptDir: string,
  cfg: AdaptationConfig,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<string | null> {
  const segments = adaptationSegments(stdout, cfg.minConfidence);
  if (!segments.length) return null;
  const hmm = path.join(modelDir, 'en-us');
  const dir = `${wav}.mllr`;
  await fs.mkdir(path.join(dir, 'acc'), { recursive: true });
  const base = path.basename(wav, '.wav');
  await fs.writeFile(path.join(dir, 'ctl'), `${base}\n`);
  await runProcess(
    cfg.sphinxFe,
    [
      '-argfile',
      path.join(hmm, 'feat.params'),
      '-samprate',
      '16000',
      '-c',
      path.join(dir, 'ctl'),
      '-di',
      path.dirname(wav),
      '-do',
      dir,
      '-ei',
      'wav',
      '-eo',
      'mfc',
      '-mswav',
      'yes',
    ],
    opts,
  );
  await fs.writeFile(
    path.join(dir, 'ctl'),
    segments.map((s, i) => `${base} ${s.startFrame} ${s.endFrame} u${i}\n`).join(''),
  );
  await fs.writeFile(path.join(dir, 'lsn'), segments.map((s, i) => `${s.tokens.join(' ')} (u${i})\n`).join(''));
  const params = await fs.readFile(path.join(hmm, 'feat.params'), 'utf8');
  const param = (name: string, fallback: string) => new RegExp(`^-${name} (\\S+)`, 'm').exec(params)?.[1] ?? fallback;
  await runProcess(
    cfg.bw,
    [
      '-hmmdir',
      hmm,
      '-moddeffn',
      path.join(adaptDir, 'mdef.txt'),
      '-mixwfn',
      path.join(adaptDir, 'mixture_weights'),
      '-ts2cbfn',
      '.ptm.',
      '-feat',
      param('feat', '1s_c_d_dd'),
      '-svspec',
      param('svspec', '0-12/13-25/26-38'),
      '-agc',
      'none',
      '-cmn',
      'live',
      '-cmninit',
      cmninit ?? param('cmninit', '40,3,-1'),
      '-dictfn',
      path.join(modelDir, 'cmudict-en-us.dict'),
      '-fdictfn',
      path.join(hmm, 'noisedict'),
      '-ctlfn',
      path.join(dir, 'ctl'),
      '-lsnfn',
      path.join(dir, 'lsn'),
      '-cepdir',
      dir,
      '-accumdir',
      path.join(dir, 'acc'),
      '-varreest',
      'no',
      '-mixwreest',
      'no',
      '-tmatreest',
      'no',
      '-timing',
      'no',
    ],
    opts,
  );
  return path.join(dir, 'acc');
}

/**
 * The second half: one global MLLR transform of the means from the counts of one or more
 * chunks (mllr_solve), written to `out`. Null when the transform is unusable (no counts
 * give NaN; decoding with it would be worse than without).
 */
export async function solveMllr(
  accDirs: readonly string[],
  modelDir: string,
  out: string,
  cfg: AdaptationConfig,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<string | null> {
  if (!accDirs.length) return null;
  // The tool takes several folders as one comma-separated value.
  if (accDirs.some((d) => d.includes(','))) throw new Error('mllr_solve: a counts folder with a comma in its path');
  const hmm = path.join(modelDir, 'en-us');
  await runProcess(
    cfg.mllrSolve,
    [
      '-meanfn',
      path.join(hmm, 'means'),
      '-varfn',
      path.join(hmm, 'variances'),
      '-outmllrfn',
      out,
      '-accumdir',
      accDirs.join(','),
    ],
    opts,
  );
  const values = (await fs.readFile(out, 'utf8')).trim().split(/\s+/).map(Number);
  return values.length > 3 && values.every(Number.isFinite) ? out : null;
}

/** Both halves on one chunk: its transform file, or null. */
export async function adaptChunk(
  wav: string,
  stdout: string,
  cmninit: string | null,
  modelDir: string,
  adaptDir: string,
  cfg: AdaptationConfig,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<string | null> {
  const acc = await accumulateAdaptation(wav, stdout, cmninit, modelDir, adaptDir, cfg, opts);
  return acc ? solveMllr([acc], modelDir, `${wav}.mllr/mllr_matrix`, cfg, opts) : null;
}

/** `step`'s result, or null when it fails; an abort (`signal`) still rejects. */
export async function nullOnFailure<T>(step: () => Promise<T | null>, signal?: AbortSignal): Promise<T | null> {
  try {
    return await step();
  } catch (e) {
    if (signal?.aborted) throw e;
    return null;
  }
}
