import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UNSURE_LEGEND, askedFacts, clip, clock, markUnsure, quotable, where } from './extracted-answer.ts';
import { isProse } from '../../nlp/text-understanding.ts';
import type { AudioSection } from '../results.types.ts';
import type { StageContext } from '../stage.ts';
import { localText, timedTranscript } from './answer.stage.ts';
import { extractiveSummary } from '../../providers/extractive-summary.ts';

const at = (kind: string, start: number | null, end: number | null, page: number | null = null) => ({
  kind,
  start_seconds: start,
  end_seconds: end,
  page,
});

test('where(): each kind of segment is cited by its page, its time or what it belongs to', () => {
  const cases: Array<[ReturnType<typeof at>, string]> = [
    // Audio and video: times, one time for a moment.
    [at('transcript', 12.5, 19.1), '0:12–0:19'],
    [at('transcript', 0, 4), '0:00–0:04'],
    [at('ocr', 3, 3), '0:03'],
    [at('shot', 6, 9), '0:06–0:09'],
    [at('object', 61, 61), '1:01'],
    [at('transcript', 3725, 3790), '1:02:05–1:03:10'],
    // PDF paragraphs: their page.
    [at('document', null, null, 2), 'page 2'],
    // A DOCX / HTML / text document has no pages: it is the document, not an image.
    [at('document', null, null), 'document'],
    // Text read from an image, and an object seen on one.
    [at('image_text', null, null), 'image'],
    [at('object', null, null), 'image'],
  ];
  for (const [segment, label] of cases) assert.equal(where(segment), label, JSON.stringify(segment));
});

test('clock(): m:ss below an hour, h:mm:ss from an hour on', () => {
  assert.equal(clock(0), '0:00');
  assert.equal(clock(59.9), '0:59');
  assert.equal(clock(600), '10:00');
  assert.equal(clock(3600), '1:00:00');
});

/** An audio section as the audio stage writes it, with the given speech. */
function audio(speech: Array<{ start: number; end: number }>): AudioSection {
  return {
    duration_seconds: 6,
    loudness: { integrated_lufs: -23, loudness_range_lu: 4, true_peak_dbfs: -3 },
    silences: [],
    speech_segments: speech,
    speech_seconds: speech.reduce((s, x) => s + x.end - x.start, 0),
    waveform: 'outputs/waveform.png',
    prepared_for_transcription: { path: 'temp/audio.wav', sample_rate: 16000, channels: 1, size_bytes: 192_044 },
  };
}

test('askedFacts(): a question about speech lists when a voice is heard', () => {
  const facts = askedFacts('Who speaks?', { audio: audio([{ start: 1, end: 4.5 }]) });
  assert.deepEqual(facts.speech?.spans, ['0:01–0:04']);
  assert.equal(facts.speech?.seconds, 3.5);
  assert.deepEqual(askedFacts('Describe it', { audio: audio([]) }), {});
});

test('quotable(): the answer quotes findings, never a shot where nothing was recognised (issue #22)', () => {
  const seg = (kind: string, text: string) => ({ kind, text });
  const kept = quotable([
    seg('shot', 'Shot 1 of 3: nothing recognised'),
    seg('shot', 'Shot 2 of 3: a cup'),
    seg('transcript', 'he was not an ill disposed young man'),
    seg('ocr', '   '),
  ]);
  assert.deepEqual(
    kept.map((s) => s.text),
    ['Shot 2 of 3: a cup', 'he was not an ill disposed young man'],
  );
  // A spoken sentence that happens to say it is still a finding.
  assert.equal(quotable([seg('transcript', 'Shot 1 of 3: nothing recognised')]).length, 1);
});

test('markUnsure(): a quoted transcript window shows the words heard with low confidence as [words?]', () => {
  const w = (word: string, start: number, unsure = false) => ({
    word,
    start,
    end: start + 0.3,
    ...(unsure ? { low_confidence: true as const } : {}),
  });
  const words = [
    w('and', 0.2, true),
    w('mr', 0.4),
    w('john', 0.8),
    w('might', 1.2),
    w('be', 1.6),
    w('prickly', 2, true),
    w('in', 2.4, true),
    w('power', 2.8),
    // another window
    w('later', 9, true),
  ];
  const q = { text: 'and mr john might be prickly in power', start_seconds: 0.2, end_seconds: 3.1 };
  assert.equal(markUnsure(q, words), '[and?] mr john might be [prickly in?] power');
  // Nothing unsure, a provider transcript (no words), or words that do not spell the text: as it is.
  assert.equal(markUnsure({ ...q, text: 'mr john', start_seconds: 0.4, end_seconds: 1.1 }, words), 'mr john');
  assert.equal(markUnsure(q, []), q.text);
  assert.equal(markUnsure({ ...q, text: 'something else entirely' }, words), 'something else entirely');
  assert.equal(markUnsure({ ...q, start_seconds: null }, words), q.text);
});

test('localText(): the extractive summary draws on the words the local engine was sure of, and on what was read', () => {
  const words = [
    { word: 'judge', start: 0, end: 0.3, confidence: 0.086, low_confidence: true as const },
    { word: 'the', start: 0.3, end: 0.5, confidence: 0.9 },
    { word: 'book', start: 0.5, end: 0.8, confidence: 0.011, low_confidence: true as const },
    { word: 'harbour', start: 0.8, end: 1.2, confidence: 0.95 },
    { word: 'boats', start: 1.2, end: 1.6, confidence: 0.93 },
  ];
  const results = {
    transcript: { text: 'judge the book harbour boats', words },
    ocr: { text: 'HARBOUR MASTER' },
  } as unknown as StageContext['results'];
  const sure = localText({ results }, 'sure');
  assert.doesNotMatch(sure, /judge|book/);
  assert.match(sure, /harbour boats/);
  assert.match(sure, /HARBOUR MASTER/);
  assert.doesNotMatch(extractiveSummary(sure).terms.join(' '), /judge|book/);
  // The sentences keep every word, the unsure ones marked: cutting words out can invert a sentence.
  assert.match(localText({ results }, 'marked'), /^\[judge\?\] the \[book\?\] harbour boats/);
  // A provider's transcript has no word confidences: its text is used as it is.
  const provider = { transcript: { text: 'judge the book' } } as unknown as StageContext['results'];
  assert.match(localText({ results: provider }, 'sure'), /judge the book/);
  assert.match(localText({ results: provider }, 'marked'), /judge the book/);
});

test('timedTranscript(): what a chat model is shown marks the unsure words, with the legend; a provider transcript as it is', () => {
  const words = [
    { word: 'the', start: 0, end: 0.2 },
    { word: 'fun', start: 0.2, end: 0.5, low_confidence: true as const },
    { word: 'began', start: 0.5, end: 0.9 },
  ];
  const local = timedTranscript({
    text: 'the fun began',
    segments: [{ start: 0, end: 0.9, text: 'the fun began' }],
    words,
  });
  assert.equal(local, `[0:00] the [fun?] began\n${UNSURE_LEGEND}`);
  const provider = timedTranscript({
    text: 'the fun began',
    segments: [{ start: 0, end: 0.9, text: 'the fun began' }],
  });
  assert.equal(provider, '[0:00] the fun began');
});

test('clip(): a long quote is cut, and a mark cut open is closed', () => {
  assert.equal(clip('short'), 'short');
  const long = `${'word '.repeat(58)}[until this blows?] young man`;
  const cut = clip(long);
  assert.ok(cut.length <= 300, String(cut.length));
  assert.match(cut, /\[unti[^\]]*\.\.\.\?\]$/);
  assert.match(clip('x'.repeat(400)), /x\.\.\.$/);
});

test('quotable(): a shot that only says the picture was still or black answers no prompt; it stays searchable', () => {
  const seg = (kind: string, text: string) => ({ kind, text });
  assert.deepEqual(
    quotable([
      seg('shot', 'Shot 1 of 2: still picture'),
      seg('shot', 'Shot 2 of 2: black screen'),
      seg('shot', 'Shot 2 of 5: a cup and still picture'),
      seg('ocr', 'BREAKING NEWS'),
    ]).map((s) => s.text),
    ['Shot 2 of 5: a cup and still picture', 'BREAKING NEWS'],
  );
});

test('isProse(): a hex dump or markup is no passage to quote; sentences, labels and captions are', () => {
  for (const text of [
    'he was not an ill disposed young man',
    'Invoice 48213 due on 3 March: $4,200.00',
    'a person',
    '2 people',
    'Shot 3 of 5: a dog',
    'BREAKING NEWS',
    '“Sometimes,” she said — it’s well-known.',
    '15 March 2024',
    'Q3 2024 revenue: $1.2M',
    'COVID-19 cases fell 12% by 12:30',
  ])
    assert.ok(isProse(text), text);
  for (const text of [
    '00000020 00 05 64 69 66 66 09 0a 3e 30 3d 00 00 00 00 00',
    '<mime-type type="text/plain"> <glob pattern="*.txt"/> </mime-type>',
    '{ "a": 1, "b": [2, 3] }',
    '0x00 0x05 0x64 0x69 0x66',
    '1 2 3 4 5 6',
    '',
  ])
    assert.ok(!isProse(text), text);
});

test('quotable(): a document passage must be prose; a line read on screen need not be (a date, an amount)', () => {
  const seg = (kind: string, text: string) => ({ kind, text });
  assert.deepEqual(
    quotable([
      seg('document', '00000020 00 05 64 69 66 66 09 0a 3e 30 3d 00 00 00 00 00'),
      seg('document', 'Invoice 48213 due on 15 March 2024: $4,200.00'),
      seg('ocr', '$4,200.00'),
      seg('image_text', '12:30'),
    ]).map((s) => s.text),
    ['Invoice 48213 due on 15 March 2024: $4,200.00', '$4,200.00', '12:30'],
  );
});
