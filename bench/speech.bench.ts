/**
 * Local speech benchmark: real recorded speech (the LibriVox excerpts with reference
 * transcripts in Debian's `pocketsphinx-testdata`), decoded by our local speech path
 * (voice-activity detection → chunks → PocketSphinx, two engines at once). Reports the
 * word error rate beside the speed (wall time / audio duration; target ≤ 0.6).
 *
 *   node bench/speech.bench.ts   (POCKETSPHINX_PATH, POCKETSPHINX_MODEL_DIR, SPEECH_TESTDATA_DIR optional)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectVoiceActivity, pcm16ToFloat, wavData } from '../src/media/voice-activity.ts';
import { planSpeechChunks, recognizeSpeech, wordErrorRate, type LocalSpeechConfig } from '../src/media/local-speech.ts';

const dataDir = process.env.SPEECH_TESTDATA_DIR ?? '/usr/share/pocketsphinx/test/data/librivox';
const cfg: LocalSpeechConfig = {
  binary: process.env.POCKETSPHINX_PATH ?? 'pocketsphinx_continuous',
  modelDir: process.env.POCKETSPHINX_MODEL_DIR ?? '/usr/share/pocketsphinx/model/en-us',
  timeoutMs: 120_000,
  parallel: 2,
};
const ROUNDS = Number(process.env.BENCH_SPEECH_ROUNDS ?? 3);

const references = new Map<string, string>();
for (const line of fs.readFileSync(path.join(dataDir, 'transcription'), 'utf8').split('\n')) {
  const m = /^<s> (.*) <\/s> \((.+)\)$/.exec(line.trim());
  if (m) references.set(m[2]!, m[1]!);
}

interface FileResult {
  file: string;
  seconds: number;
  reference: string;
  hypothesis: string;
  words: number;
  errors: number;
  wer: number;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-bench-'));
const files: FileResult[] = [];
const pcms: Buffer[] = [];
for (const [id, reference] of references) {
  const { pcm } = wavData(fs.readFileSync(path.join(dataDir, `${id}.wav`)));
  pcms.push(pcm, Buffer.alloc(32000)); // one second of silence between utterances
  const seconds = pcm.length / 32000;
  const vad = detectVoiceActivity(pcm16ToFloat(pcm));
  const words = await recognizeSpeech(pcm, planSpeechChunks(vad.speech, seconds, Infinity), tmp, cfg);
  const hypothesis = words.map((w) => w.word).join(' ');
  const score = wordErrorRate(reference, hypothesis);
  files.push({ file: id, seconds, reference, hypothesis, words: score.words, errors: score.errors, wer: score.wer });
}

// Speed on one track made of all utterances (what an analysis would see), best of ROUNDS.
const track = Buffer.concat(pcms);
const trackSeconds = track.length / 32000;
/** CPU seconds used by finished child processes (the engines): /proc/self/stat cutime + cstime. */
function childCpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After the command name: field 14 (cutime) and 15 (cstime) of the full line are 13 and 14 here, in clock ticks.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
const walls: number[] = [];
const cpus: number[] = [];
let vadMs = 0;
let trackWords = 0;
for (let r = 0; r < ROUNDS; r++) {
  const t0 = performance.now();
  const cpu0 = childCpuSeconds();
  const vad = detectVoiceActivity(pcm16ToFloat(track));
  vadMs = performance.now() - t0;
  const words = await recognizeSpeech(track, planSpeechChunks(vad.speech, trackSeconds, Infinity), tmp, cfg);
  walls.push(performance.now() - t0);
  cpus.push(childCpuSeconds() - cpu0 + vadMs / 1000);
  trackWords = words.length;
}
fs.rmSync(tmp, { recursive: true, force: true });

const totalWords = files.reduce((s, f) => s + f.words, 0);
const totalErrors = files.reduce((s, f) => s + f.errors, 0);
const wer = totalErrors / totalWords;
const bestWall = Math.min(...walls);
const medianWall = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)]!;
const rtf = bestWall / 1000 / trackSeconds;
const result = {
  machine: `${os.cpus().length} CPU (${os.cpus()[0]?.model.trim()}), Node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} (shared with other sessions)`,
  engine: 'pocketsphinx_continuous (Debian 0.8+5prealpha, en-us model, en-us.lm.bin)',
  corpus: `${files.length} LibriVox utterances from pocketsphinx-testdata, ${totalWords} reference words`,
  wer: Math.round(wer * 1000) / 1000,
  track_seconds: Math.round(trackSeconds * 100) / 100,
  track_words_recognised: trackWords,
  wall_ms_rounds: walls.map(Math.round),
  vad_ms: Math.round(vadMs),
  realtime_factor_best: Math.round(rtf * 1000) / 1000,
  engine_cpu_seconds_best: Math.round(Math.min(...cpus) * 100) / 100,
  /** CPU time / audio / 2 cores: the wall-time factor on an otherwise idle 2-core machine. */
  realtime_factor_idle_estimate: Math.round((Math.min(...cpus) / trackSeconds / 2) * 1000) / 1000,
  realtime_factor_median: Math.round((medianWall / 1000 / trackSeconds) * 1000) / 1000,
  targets: { realtime_factor_at_most_0_6: rtf <= 0.6 },
  files,
};
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/speech.json', JSON.stringify(result, null, 2) + '\n');
const md = [
  '# Local speech benchmark',
  '',
  result.machine + '.',
  '',
  `Engine: ${result.engine}; voice-activity detection first, then chunks decoded two at a time.`,
  `Corpus: ${result.corpus} (real recorded read speech).`,
  '',
  '| measure | value |',
  '|---|---:|',
  `| word error rate | ${(wer * 100).toFixed(1)} % (${totalErrors} errors / ${totalWords} words) |`,
  `| track (all utterances, 1 s gaps) | ${result.track_seconds} s |`,
  `| wall time, best of ${ROUNDS} | ${Math.round(bestWall)} ms |`,
  `| real-time factor (best / median) | ${result.realtime_factor_best} / ${result.realtime_factor_median} |`,
  `| CPU time (engines + detection), best | ${result.engine_cpu_seconds_best} s |`,
  `| CPU time / audio / 2 cores (idle-machine estimate) | ${result.realtime_factor_idle_estimate} |`,
  `| voice-activity detection alone | ${result.vad_ms} ms |`,
  `| target: real-time factor ≤ 0.6 | ${rtf <= 0.6 ? 'yes' : 'no'} |`,
  '',
  '| utterance | s | WER | reference | recognised |',
  '|---|---:|---:|---|---|',
  ...files.map(
    (f) => `| ${f.file} | ${f.seconds.toFixed(1)} | ${(f.wer * 100).toFixed(0)} % | ${f.reference} | ${f.hypothesis} |`,
  ),
  '',
].join('\n');
fs.writeFileSync('bench/results/speech.md', md);
console.log(md);
