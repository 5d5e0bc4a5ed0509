import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  lastCepstralMean,
  markLowConfidence,
  parsePocketsphinx,
  planSpeechChunks,
  pocketsphinxArgs,
  recognizeSpeech,
  seededModel,
  wavFile,
  wordErrorRate,
  CHUNK_SECONDS,
} from './local-speech.ts';
import { ADAPTATION } from './speech-adaptation.ts';
import { ProcessError, runProcess } from '../platform/process-runner.ts';
import { wavData } from './voice-activity.ts';

const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';

test('parsePocketsphinx: words with times and confidence; fillers and pronunciation markers dropped', () => {
  const out = [
    'he was not an illness those young man',
    '<s> 0.000 0.140 0.999400',
    'he 0.150 0.360 0.260057',
    'and(2) 0.370 0.620 0.988762',
    '<sil> 0.630 0.700 0.5',
    '[NOISE] 0.700 0.800 0.5',
    'man 0.810 1.000 1.000000',
    '</s> 1.010 1.080 1.000000',
  ].join('\n');
  assert.deepEqual(parsePocketsphinx(out, 10), [
    { word: 'he', start: 10.15, end: 10.36, confidence: 0.26 },
    { word: 'and', start: 10.37, end: 10.62, confidence: 0.989 },
    { word: 'man', start: 10.81, end: 11, confidence: 1 },
  ]);
});

test('planSpeechChunks: padded, merged when close, split at the chunk limit, bounded by the length limit', () => {
  assert.deepEqual(
    planSpeechChunks(
      [
        { start: 1, end: 2 },
        { start: 2.5, end: 3 },
        { start: 10, end: 12 },
      ],
      20,
      Infinity,
    ),
    [
      { start: 0.75, end: 3.25 },
      { start: 9.75, end: 12.25 },
    ],
  );
  const long = planSpeechChunks([{ start: 0, end: 70 }], 70, Infinity);
  assert.equal(long.length, 3);
  assert.ok(long.every((c) => c.end - c.start <= CHUNK_SECONDS));
  assert.deepEqual(planSpeechChunks([{ start: 5, end: 50 }], 60, 8), [{ start: 4.75, end: 8 }]);
});

test('wordErrorRate: substitutions, insertions, deletions; written forms normalised', () => {
  assert.equal(wordErrorRate('the cat sat', 'the cat sat').wer, 0);
  assert.deepEqual(wordErrorRate('the cat sat', 'a cat'), { wer: 2 / 3, errors: 2, words: 3 });
  assert.equal(wordErrorRate('mister john', 'Mr. John').wer, 0);
});

test('pocketsphinxArgs: the model files and word times', () => {
  const args = pocketsphinxArgs('/in.wav', '/m');
  assert.deepEqual(args.slice(0, 8), [
    '-infile',
    '/in.wav',
    '-hmm',
    '/m/en-us',
    '-lm',
    '/m/en-us.lm.bin',
    '-dict',
    '/m/cmudict-en-us.dict',
  ]);
  assert.ok(args.includes('-time'));
  const tuned = pocketsphinxArgs('/in.wav', '/m', { lw: '8', wip: '0.2' });
  assert.deepEqual(tuned.slice(-4), ['-lw', '8', '-wip', '0.2']);
});

test('markLowConfidence: marks the words below the threshold and summarises from the words alone', () => {
  const words = [
    { word: 'he', start: 0, end: 0.2, confidence: 0.9 },
    { word: 'was', start: 0.2, end: 0.4, confidence: 0.3 },
    { word: 'not', start: 0.4, end: 0.6, confidence: 0.5, low_confidence: true as const },
  ];
  const { words: marked, summary } = markLowConfidence(words, 0.5);
  assert.deepEqual(
    marked.map((w) => w.low_confidence ?? false),
    [false, true, false],
    'a stale mark is recomputed',
  );
  assert.deepEqual(summary, { mean_word_confidence: 0.567, low_confidence_words: 1, low_confidence_below: 0.5 });
  assert.deepEqual(markLowConfidence([], 0.5).summary, {
    mean_word_confidence: null,
    low_confidence_words: 0,
    low_confidence_below: 0.5,
  });
});

test('recognizeSpeech: the real engine on real recorded speech gives timed words close to the reference', async () => {
  const file = path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav');
  const { pcm } = wavData(fs.readFileSync(file));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-'));
  const seconds = pcm.length / 32000;
  const words = await recognizeSpeech(pcm, [{ start: 0, end: seconds }], dir, {
    binary: 'pocketsphinx_continuous',
    modelDir: MODEL_DIR,
    timeoutMs: 60_000,
    parallel: 1,
  });
  const score = wordErrorRate('he was not an ill disposed young man', words.map((w) => w.word).join(' '));
  assert.ok(score.wer <= 0.5, `WER ${score.wer}: ${words.map((w) => w.word).join(' ')}`);
  for (const w of words) {
    assert.ok(w.start >= 0 && w.end <= seconds + 0.1 && w.end >= w.start);
    assert.ok(w.confidence >= 0 && w.confidence <= 1);
  }
  assert.deepEqual(fs.readdirSync(dir), [], 'chunk files removed');
});

test('recognizeSpeech: a crashing or hanging engine rejects with a ProcessError', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-'));
  const pcm = Buffer.alloc(32000);
  const cfg = { binary: 'false', modelDir: MODEL_DIR, timeoutMs: 5000, parallel: 1 };
  await assert.rejects(
    recognizeSpeech(pcm, [{ start: 0, end: 1 }], dir, cfg),
    (e) => e instanceof ProcessError && e.reason === 'exit',
  );
  const hang = path.join(dir, 'hang.sh');
  fs.writeFileSync(hang, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
  await assert.rejects(
    recognizeSpeech(pcm, [{ start: 0, end: 1 }], dir, { ...cfg, binary: hang, timeoutMs: 300 }),
    (e) => e instanceof ProcessError && e.reason === 'timeout',
  );
});

test('wavFile: a header wavData reads back', () => {
  const pcm = Buffer.alloc(3200, 1);
  const back = wavData(wavFile(pcm));
  assert.equal(back.sampleRate, 16000);
  assert.equal(back.pcm.length, 3200);
});

test('lastCepstralMean: the last mean the engine logged, as a -cmninit value', () => {
  const log = [
    'INFO: cmn_live.c(120): Update from < 41.00 -5.29 -0.12 >',
    'INFO: cmn_live.c(138): Update to   < 57.13  6.55 10.15 >',
    'INFO: cmn_live.c(120): Update from < 57.13  6.55 10.15 >',
    'INFO: cmn_live.c(138): Update to   < 57.91  6.86 -10.62 >',
    'INFO: ngram_search.c(1250): lattice start node <s>.0 end node </s>.321',
  ].join('\n');
  assert.equal(lastCepstralMean(log), '57.91,6.86,-10.62');
  assert.equal(lastCepstralMean('INFO: nothing decoded\n'), null);
});

test('seededModel: the real engine starts from the seeded cepstral mean (it ignores -cmninit given as a flag)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-seed-'));
  const mean = '57.13,6.55,10.15,14.05,-0.53,4.18,-3.19,2.51,-1.05,0.60,-1.88,-2.04,0.66';
  const hmm = await seededModel(MODEL_DIR, mean, path.join(dir, 'model'));
  assert.match(fs.readFileSync(path.join(hmm, 'feat.params'), 'utf8'), new RegExp(`^-cmninit ${mean}$`, 'm'));
  const wav = path.join(dir, 'in.wav');
  fs.copyFileSync(path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav'), wav);
  const log = path.join(dir, 'engine.log');
  const firstMean = async (hmmDir?: string, flags: Record<string, string> = {}) => {
    fs.rmSync(log, { force: true }); // the engine appends to its log
    await runProcess('pocketsphinx_continuous', pocketsphinxArgs(wav, MODEL_DIR, flags, log, hmmDir), {
      timeoutMs: 60_000,
    });
    return /Update from < *([\d.-]+)/.exec(fs.readFileSync(log, 'utf8'))?.[1];
  };
  assert.equal(await firstMean(hmm), '57.13');
  assert.equal(await firstMean(undefined, { cmninit: mean }), '41.00', 'the flag alone does not reach the engine');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('recognizeSpeech: a failing adaptation leaves the unadapted decode', async () => {
  const file = path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav');
  const { pcm } = wavData(fs.readFileSync(file));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-'));
  const cfg = { binary: 'pocketsphinx_continuous', modelDir: MODEL_DIR, timeoutMs: 60_000, parallel: 1 };
  const chunks = [{ start: 0, end: pcm.length / 32000 }];
  const plain = await recognizeSpeech(pcm, chunks, dir, { ...cfg, adaptation: null });
  assert.ok(plain.length > 3);
  for (const broken of [{ bw: 'false' }, { mllrSolve: '/nonexistent/mllr_solve' }, { mdefConvert: 'false' }])
    assert.deepEqual(
      await recognizeSpeech(pcm, chunks, dir, { ...cfg, adaptation: { ...ADAPTATION, ...broken } }),
      plain,
      JSON.stringify(broken),
    );
  assert.deepEqual(fs.readdirSync(dir), [], 'chunk and adaptation files removed');
});

test('recognizeSpeech: each adaptation iteration decodes the chunk once more', async () => {
  const file = path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav');
  const { pcm } = wavData(fs.readFileSync(file));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-'));
  // The engine behind a script that counts its runs.
  const runs = path.join(dir, 'runs');
  const engine = path.join(dir, 'engine.sh');
  fs.writeFileSync(engine, `#!/bin/sh\necho run >> '${runs}'\nexec pocketsphinx_continuous "$@"\n`, { mode: 0o755 });
  const work = path.join(dir, 'work');
  const cfg = { binary: engine, modelDir: MODEL_DIR, timeoutMs: 60_000, parallel: 1 };
  const chunks = [{ start: 0, end: pcm.length / 32000 }];
  const counted = async (iterations: number) => {
    fs.rmSync(runs, { force: true });
    const words = await recognizeSpeech(pcm, chunks, work, { ...cfg, adaptation: { ...ADAPTATION, iterations } });
    return { words, runs: fs.readFileSync(runs, 'utf8').trim().split('\n').length };
  };
  const once = await counted(1);
  const twice = await counted(2);
  // First pass (cepstral mean), decode, then one adapted decode per iteration.
  assert.equal(once.runs, 3);
  assert.equal(twice.runs, 4);
  assert.ok(twice.words.length > 3);
  assert.deepEqual(fs.readdirSync(work), [], 'chunk and adaptation files removed');
  fs.rmSync(dir, { recursive: true, force: true });
});
