/** Transcript exports read back by real subtitle parsers, with multi-byte text and hour-long times. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSync } from 'subtitle';
import { createRequire } from 'node:module';
import { formatTranscript, timecode, toSrt, toVtt, transcriptOf, type Transcript } from './transcript-format.ts';

interface VttCue {
  startTime: number;
  endTime: number;
  text: string;
}
/** webvtt-parser is CommonJS without types. */
const { WebVTTParser } = createRequire(import.meta.url)('webvtt-parser') as {
  WebVTTParser: new () => { parse(input: string, mode: string): { cues: VttCue[]; errors: unknown[] } };
};

const transcript: Transcript = {
  text: 'Grüß Gott. 猫が走る 🐈. Last words --> here.',
  language: 'de',
  segments: [
    {
      start: 0,
      end: 1.5,
      text: 'Grüß Gott.',
      words: [
        { start: 0, end: 0.6, word: 'Grüß' },
        { start: 0.7, end: 1.5, word: 'Gott.' },
      ],
    },
    { start: 1.5, end: 3.25, text: '猫が走る 🐈.' },
    { start: 3723.4567, end: 3725, text: 'Last words\n\n--> here.' },
    { start: 3726, end: 3726, text: '   ' },
  ],
};

test('timecodes', () => {
  assert.equal(timecode(0, ','), '00:00:00,000');
  assert.equal(timecode(3723.4567, ','), '01:02:03,457');
  assert.equal(timecode(59.9996, '.'), '00:01:00.000');
  assert.equal(timecode(360000, '.'), '100:00:00.000');
});

test('SRT parses back with the same times and text', () => {
  const nodes = parseSync(toSrt(transcript)).filter((n) => n.type === 'cue');
  assert.deepEqual(
    nodes.map((n) => n.data),
    [
      { start: 0, end: 1500, text: 'Grüß Gott.' },
      { start: 1500, end: 3250, text: '猫が走る 🐈.' },
      { start: 3723457, end: 3725000, text: 'Last words -> here.' },
    ],
  );
});

test('WebVTT is valid and parses back with the same times and text', () => {
  const tree = new WebVTTParser().parse(toVtt(transcript), 'metadata');
  assert.deepEqual(tree.errors, []);
  assert.deepEqual(
    tree.cues.map((c) => [c.startTime, c.endTime, c.text]),
    [
      [0, 1.5, 'Grüß Gott.'],
      [1.5, 3.25, '猫が走る 🐈.'],
      [3723.457, 3725, 'Last words -> here.'],
    ],
  );
});

test('text and JSON keep multi-byte text and word times', () => {
  assert.equal(formatTranscript(transcript, 'txt'), `${transcript.text}\n`);
  const json = JSON.parse(formatTranscript(transcript, 'json'));
  assert.equal(json.segments.length, 3);
  assert.deepEqual(json.segments[0].words[1], { start: 0.7, end: 1.5, word: 'Gott.' });
  assert.equal(json.segments[1].text, '猫が走る 🐈.');
  assert.equal(transcriptOf({}), null);
});

test("a local transcript's word times reach the JSON export through its segments", () => {
  const word = (w: string, start: number) => ({ word: w, start, end: start + 0.3, confidence: 0.8 });
  const t = transcriptOf({
    transcript: {
      provider: 'local',
      model: 'en-us',
      language: 'en',
      text: 'he was not an ill disposed young man',
      // As local-speech.ts writes them: the segments' text, and every word's times beside them.
      segments: [
        { start: 0, end: 1.6, text: 'he was not an' },
        { start: 2, end: 4, text: 'ill disposed young man' },
      ],
      words: ['he', 'was', 'not', 'an']
        .map((w, i) => word(w, i * 0.4))
        .concat(['ill', 'disposed', 'young', 'man'].map((w, i) => word(w, 2 + i * 0.4)))
        .map((w) => (w.word === 'disposed' ? { ...w, confidence: 0.2, low_confidence: true as const } : w)),
      chunks: 2,
      cost_usd: 0,
      latency_ms: 0,
    },
  })!;
  const json = JSON.parse(formatTranscript(t, 'json'));
  assert.deepEqual(
    json.segments.map((s: { words: Array<{ word: string }> }) => s.words.map((w) => w.word).join(' ')),
    ['he was not an', 'ill disposed young man'],
  );
  // With each word's confidence, and the unsure ones marked as in the results.
  assert.deepEqual(json.segments[1].words[0], { start: 2, end: 2.3, word: 'ill', confidence: 0.8 });
  assert.deepEqual(json.segments[1].words[1], {
    start: 2.4,
    end: 2.6999999999999997,
    word: 'disposed',
    confidence: 0.2,
    low_confidence: true,
  });
});
