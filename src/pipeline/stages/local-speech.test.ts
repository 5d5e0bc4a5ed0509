import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transcribeLocally, type LocalTranscript } from './local-speech.ts';
import { SPEECH_CALIBRATION } from '../../domain/analysis/calibration.ts';
import type { StageContext } from '../stage.ts';
import { stageTools } from '../../main/stage-tools.ts';

const UTTERANCE = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav';

function fakeContext(root: string, binary = 'pocketsphinx_continuous'): StageContext {
  const silent = () => undefined;
  return {
    analysis: { id: '00000000-0000-4000-8000-000000000001', createdAt: new Date('2026-01-02T00:00:00Z') },
    deps: {
      config: {
        worker: { cpuBudget: 2 },
        media: {
          localSpeech: {
            binary,
            modelDir: '/usr/share/pocketsphinx/model/en-us',
            maxSeconds: 1800,
            timeoutMs: 120_000,
          },
        },
      },
      storage: { resolve: (relative: string) => path.join(root, relative) },
      tools: stageTools,
    },
    signal: new AbortController().signal,
    log: { warn: silent, info: silent, debug: silent, error: silent },
  } as unknown as StageContext;
}

/** What the section may say about its accuracy: only figures computed from its own words. */
function assertComputedFromWords(t: LocalTranscript): void {
  assert.ok(!('measured_word_error_rate' in t), 'a constant error rate is not a measurement of this media');
  const threshold = SPEECH_CALIBRATION.lowWordConfidence.value;
  const mean = t.words.length ? t.words.reduce((s, w) => s + w.confidence, 0) / t.words.length : null;
  assert.equal(t.mean_word_confidence, mean === null ? null : Math.round(mean * 1000) / 1000);
  assert.equal(t.low_confidence_below, threshold);
  assert.equal(t.low_confidence_words, t.words.filter((w) => w.confidence < threshold).length);
  for (const w of t.words)
    assert.equal(w.low_confidence === true, w.confidence < threshold, `${w.word} ${w.confidence}`);
  // The transcript is kept whole (cutting unsure words out of a sentence can invert it).
  const all = t.words.map((w) => w.word);
  assert.equal(t.text, all.join(' '), 'the text is every word, as heard');
  assert.deepEqual(t.segments.flatMap((s) => s.text.split(' ')).filter(Boolean), all, 'so are the segments');
  assert.doesNotMatch(t.note, /\d+ ?%/, 'the note quotes no error rate');
}

test('a local transcript reports only what its own words say: mean posterior and low-confidence marks', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-speech-'));
  try {
    fs.copyFileSync(UTTERANCE, path.join(root, 'track.wav'));
    const t = await transcribeLocally(fakeContext(root), 'track.wav', 3.2, [{ start: 0.2, end: 3 }]);
    assert.ok(t.words.length >= 4, `words recognised: ${t.text}`);
    assert.equal(t.error, undefined);
    assertComputedFromWords(t);
    assert.notEqual(t.mean_word_confidence, null);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('an empty or failed local transcript carries no accuracy figure at all', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-speech-'));
  try {
    const empty = await transcribeLocally(fakeContext(root), 'none.wav', 5, []);
    assertComputedFromWords(empty);
    assert.equal(empty.mean_word_confidence, null);
    assert.equal(empty.low_confidence_words, 0);

    fs.copyFileSync(UTTERANCE, path.join(root, 'track.wav'));
    const failed = await transcribeLocally(fakeContext(root, '/nonexistent/pocketsphinx'), 'track.wav', 3.2, [
      { start: 0.2, end: 3 },
    ]);
    assert.equal(failed.error?.code, 'SPEECH_ENGINE_FAILED');
    assertComputedFromWords(failed);
    assert.equal(failed.mean_word_confidence, null);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
