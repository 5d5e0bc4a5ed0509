import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_UNSURE_WORD_SHARE, sureText, transcriptWindows, visionDrafts } from './segment-drafts.ts';
import { understandText } from '../../nlp/text-understanding.ts';
import type { VisionResults } from '../analysis/vision.sections.ts';

const frames = [
  { seconds: 1, path: 'frames/d/a/frame-001.jpg' },
  { seconds: 4, path: 'frames/d/a/frame-002.jpg' },
  { seconds: 5, path: 'frames/d/a/frame-003.jpg' },
  { seconds: 7.5, path: 'frames/d/a/frame-004.jpg' },
];

/** Three shots: a person with a face; a dog seen on two frames, twice on one; black. */
const seen: VisionResults = {
  shots: {
    status: 'completed',
    count: 3,
    threshold: 10,
    pass_ms: 1,
    items: [
      { index: 0, start: 0, end: 3, cut_score: 0, keyframe_seconds: 1 },
      { index: 1, start: 3, end: 7, cut_score: 30, keyframe_seconds: 4 },
      { index: 2, start: 7, end: 8, cut_score: 40, keyframe_seconds: 7.5 },
    ],
  },
  cues: { status: 'completed', black: [{ start: 7, end: 8 }], frozen: [] },
  objects: {
    status: 'completed',
    model: 'centernet',
    min_score: 0.3,
    labels: [],
    per_shot: [
      { shot: 0, start: 0, end: 3, labels: [{ label: 'person', count: 1 }] },
      { shot: 1, start: 3, end: 7, labels: [{ label: 'dog', count: 2 }] },
      { shot: 2, start: 7, end: 8, labels: [] },
    ],
    frames: [
      { seconds: 1, shot: 0, items: [{ label: 'person', score: 0.9, box: [0, 0, 1, 1] }] },
      { seconds: 4, shot: 1, items: [{ label: 'dog', score: 0.8, box: [0, 0, 1, 1] }] },
      {
        seconds: 5,
        shot: 1,
        items: [
          { label: 'dog', score: 0.8, box: [0, 0, 0.5, 1] },
          { label: 'dog', score: 0.7, box: [0.5, 0, 0.5, 1] },
        ],
      },
      { seconds: 7.5, shot: 2, items: [] },
    ],
    notes: [],
  },
  faces: {
    status: 'completed',
    model: 'blazeface',
    max_count: 1,
    per_shot: [
      { shot: 0, start: 0, end: 3, count: 1 },
      { shot: 1, start: 3, end: 7, count: 0 },
      { shot: 2, start: 7, end: 8, count: 0 },
    ],
    frames: [],
    notes: [],
  },
};

test('visionDrafts(): a segment per shot and per object label per shot, anchored in time, with their frames', () => {
  const drafts = visionDrafts(seen, frames, false);
  assert.deepEqual(
    drafts.map((d) => [d.kind, d.start, d.end, d.text, d.keyframe]),
    [
      ['shot', 0, 3, 'Shot 1 of 3: a person', 'frames/d/a/frame-001.jpg'],
      ['shot', 3, 7, 'Shot 2 of 3: 2 dogs', 'frames/d/a/frame-002.jpg'],
      ['shot', 7, 8, 'Shot 3 of 3: black screen', 'frames/d/a/frame-004.jpg'],
      ['object', 1, 1, 'a person', 'frames/d/a/frame-001.jpg'],
      // Seen from 4 s to 5 s, two at once on the second frame.
      ['object', 4, 5, '2 dogs', 'frames/d/a/frame-002.jpg'],
    ],
  );
});

test('visionDrafts(): a face without a person is said; an image has untimed objects; failed sections add nothing', () => {
  const faceOnly: VisionResults = {
    ...seen,
    objects: { ...seen.objects!, per_shot: [], frames: [] },
  };
  assert.equal(visionDrafts(faceOnly, frames, false)[0]!.text, 'Shot 1 of 3: a face');

  const image: VisionResults = {
    objects: {
      ...seen.objects!,
      per_shot: [],
      frames: [{ seconds: 0, shot: null, items: [{ label: 'cat', score: 0.9, box: [0, 0, 1, 1] }] }],
    },
  };
  assert.deepEqual(visionDrafts(image, [], true), [
    { kind: 'object', start: null, end: null, page: null, text: 'a cat', keyframe: null },
  ]);

  const failed: VisionResults = {
    shots: { ...seen.shots!, status: 'failed' },
    objects: { ...seen.objects!, status: 'failed' },
  };
  assert.deepEqual(visionDrafts(failed, frames, false), []);
});

test('visionDrafts(): frames of a video without shots each stand alone', () => {
  const noShots: VisionResults = {
    objects: {
      ...seen.objects!,
      per_shot: [],
      frames: [
        { seconds: 2, shot: null, items: [{ label: 'boat', score: 0.9, box: [0, 0, 1, 1] }] },
        { seconds: 9, shot: null, items: [{ label: 'boat', score: 0.9, box: [0, 0, 1, 1] }] },
      ],
    },
  };
  assert.deepEqual(
    visionDrafts(noShots, frames, false).map((d) => [d.start, d.end, d.text]),
    [
      [2, 2, 'a boat'],
      [9, 9, 'a boat'],
    ],
  );
});

test('visionDrafts(): a shot where nothing was recognised is not indexed (issue #22: "nothing recognised" was quoted)', () => {
  const noCues: VisionResults = { ...seen, cues: undefined };
  const drafts = visionDrafts(noCues, frames, false);
  assert.deepEqual(
    drafts.filter((d) => d.kind === 'shot').map((d) => d.text),
    ['Shot 1 of 3: a person', 'Shot 2 of 3: 2 dogs'],
  );
  assert.ok(drafts.every((d) => !/nothing recognised/.test(d.text)));
});

test('transcript windows keep their words whole and say how many were unsure', () => {
  const w = (word: string, start: number, unsure = false) => ({
    word,
    start,
    end: start + 0.3,
    ...(unsure ? { low_confidence: true } : {}),
  });
  const windows = transcriptWindows([
    w('he', 0),
    w('was', 0.4),
    w('not', 0.8),
    w('an', 1.2, true),
    w('ill', 1.6, true),
    w('disposed', 2.0),
    // a long pause: a second window, made mostly of unsure words
    w('hello', 10, true),
    w('study', 10.4, true),
    w('rather', 10.8),
  ]);
  assert.equal(windows.length, 2);
  assert.equal(
    windows[0]!.text,
    'he was not [an ill?] disposed',
    'no word is cut out of a window; the unsure ones are marked',
  );
  assert.equal(windows[0]!.unsure, 2 / 6);
  assert.ok(windows[0]!.unsure <= MAX_UNSURE_WORD_SHARE, 'kept');
  assert.ok(windows[1]!.unsure > MAX_UNSURE_WORD_SHARE, 'left out of search and quotes');
  assert.equal(
    windows[0]!.sure,
    'he was not.\ndisposed',
    'keywords and entities: only the sure words, a break for the rest',
  );
});

test('sureText(): keywords and names come only from the words the engine was sure of, never joined across a gap', () => {
  const w = (word: string, unsure = false) => ({ word, start: 0, end: 0, ...(unsure ? { low_confidence: true } : {}) });
  const words = [
    w('mister', true),
    w('john', true),
    w('smith'),
    w('met'),
    w('prickly', true),
    w('blows', true),
    w('young'),
    w('gardeners'),
    w('gardeners'),
  ];
  assert.equal(sureText(words), 'smith met.\nyoung gardeners gardeners');
  assert.equal(sureText([w('a', true)]), '');
  const understood = understandText(sureText(words));
  assert.ok(understood.keywords.includes('gardeners'), understood.keywords.join());
  for (const k of understood.keywords) assert.doesNotMatch(k, /prickly|blows|john|mister/);
  // All of them heard: the same words are keywords.
  assert.ok(understandText(words.map((x) => x.word).join(' ')).keywords.includes('prickly'));
});
