/**
 * Local speech benchmark: the LibriVox excerpts of Debian's `pocketsphinx-testdata`
 * joined into one file (1 s of silence between them) and decoded the way an analysis
 * decodes a media file (bench/quality/speech-track.ts: ffmpeg's 16 kHz mono preparation →
 * voice-activity detection → chunk plan → PocketSphinx, two engines at once). Reports the
 * word error rate of that one decode beside its speed (wall time / audio duration; target
 * ≤ 0.6). The split-aware quality figures are `npm run eval speech`.
 *
 *   node bench/speech.bench.ts   (POCKETSPHINX_PATH, POCKETSPHINX_MODEL_DIR, BENCH_SPEECH_ROUNDS optional)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DECODER_SETTINGS, normaliseWords, wordErrorRate } from '../src/media/local-speech.ts';
import { loadLabels } from './quality/speech.eval.ts';
import { buildTracks, decodeTrack, wordsOf, type Decoded } from './quality/speech-track.ts';
import { writeBenchResults } from './helpers/provenance.ts';

const ROUNDS = Number(process.env.BENCH_SPEECH_ROUNDS ?? 3);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-bench-'));
const labels = loadLabels().filter((l) => l.corpus === 'librivox');
const [track] = await buildTracks(labels, tmp, () => 'librivox');
if (!track) throw new Error('no LibriVox recordings: install pocketsphinx-testdata');

const rounds: Decoded[] = [];
for (let r = 0; r < ROUNDS; r++) rounds.push(await decodeTrack(track, tmp));
fs.rmSync(tmp, { recursive: true, force: true });

// The words do not change between rounds (same input, same settings): score the first.
const decoded = rounds[0]!;
const reference = track.utterances.map((u) => u.label.reference).join(' ');
const score = wordErrorRate(reference, decoded.words.map((w) => w.word).join(' '));
const walls = rounds.map((d) => d.ms);
const bestWall = Math.min(...walls);
const medianWall = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)]!;
const bestCpu = Math.min(...rounds.map((d) => d.cpuSeconds));
const rtf = bestWall / 1000 / track.seconds;
const files = track.utterances.map((u) => {
  const words = wordsOf(u, decoded.words);
  const s = wordErrorRate(u.label.reference, words.map((w) => w.word).join(' '));
  return {
    file: path.basename(u.label.id),
    seconds: Math.round((u.end - u.start) * 100) / 100,
    reference: u.label.reference,
    hypothesis: words.map((w) => w.word).join(' '),
    words: normaliseWords(u.label.reference).length,
    errors: s.errors,
    wer: Math.round(s.wer * 1000) / 1000,
  };
});
const result = {
  machine: `${os.cpus().length} CPU (${os.cpus()[0]?.model.trim()}), Node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} (shared with other sessions)`,
  engine: 'pocketsphinx_continuous (Debian 0.8+5prealpha, en-us model, en-us.lm.bin)',
  decoder_settings: DECODER_SETTINGS,
  corpus: `${track.utterances.length} LibriVox utterances from pocketsphinx-testdata joined into one ${track.seconds.toFixed(1)} s file, ${score.words} reference words`,
  wer: Math.round(score.wer * 1000) / 1000,
  errors: score.errors,
  track_seconds: Math.round(track.seconds * 100) / 100,
  track_words_recognised: decoded.words.length,
  chunks: decoded.chunks,
  wall_ms_rounds: walls.map(Math.round),
  realtime_factor_best: Math.round(rtf * 1000) / 1000,
  engine_cpu_seconds_best: Math.round(bestCpu * 100) / 100,
  /** CPU time / audio / 2 cores: the wall-time factor on an otherwise idle 2-core machine. */
  realtime_factor_idle_estimate: Math.round((bestCpu / track.seconds / 2) * 1000) / 1000,
  realtime_factor_median: Math.round((medianWall / 1000 / track.seconds) * 1000) / 1000,
  targets: { realtime_factor_at_most_0_6: rtf <= 0.6 },
  files,
};
const md = [
  '# Local speech benchmark',
  '',
  result.machine + '.',
  '',
  `Engine: ${result.engine}, decoder settings ${JSON.stringify(DECODER_SETTINGS)}; decoded as an analysis decodes a file: 16 kHz mono preparation, voice-activity detection, ${decoded.chunks} chunk(s) decoded two at a time.`,
  `Corpus: ${result.corpus} (real recorded read speech).`,
  '',
  '| measure | value |',
  '|---|---:|',
  `| word error rate of the joined file | ${(score.wer * 100).toFixed(1)} % (${score.errors} errors / ${score.words} words) |`,
  `| file length | ${result.track_seconds} s |`,
  `| wall time, best of ${ROUNDS} | ${Math.round(bestWall)} ms |`,
  `| real-time factor (best / median) | ${result.realtime_factor_best} / ${result.realtime_factor_median} |`,
  `| CPU time (engines + detection), best | ${result.engine_cpu_seconds_best} s |`,
  `| CPU time / audio / 2 cores (idle-machine estimate) | ${result.realtime_factor_idle_estimate} |`,
  `| target: real-time factor ≤ 0.6 | ${rtf <= 0.6 ? 'yes' : 'no'} |`,
  '',
  'Per utterance (the words of the one decode whose middle falls on it):',
  '',
  '| utterance | s | WER | reference | recognised |',
  '|---|---:|---:|---|---|',
  ...files.map(
    (f) => `| ${f.file} | ${f.seconds.toFixed(1)} | ${(f.wer * 100).toFixed(0)} % | ${f.reference} | ${f.hypothesis} |`,
  ),
  '',
].join('\n');
writeBenchResults('speech', result, md);
console.log(md);
