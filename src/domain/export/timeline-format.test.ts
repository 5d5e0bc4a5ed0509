/**
 * Shot and chapter exports, checked by reading the CSV back with a real parser
 * (csv-parse): quoting, line breaks, multi-byte text and formula defusing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { CHAPTER_COLUMNS, SHOT_COLUMNS, chapterRows, formatRows, shotRows } from './timeline-format.ts';
import type { AnalysisResults } from '../../contract/results.schema.ts';

const results: AnalysisResults = {
  shots: {
    status: 'completed',
    count: 3,
    items: [
      { index: 0, start: 0, end: 3, cut_score: 100, keyframe_seconds: 1 },
      { index: 1, start: 3, end: 6.5, cut_score: 24.95, keyframe_seconds: 4 },
      { index: 2, start: 6.5, end: 9, cut_score: 16.1, keyframe_seconds: 7 },
    ],
    threshold: 10,
    pass_ms: 12,
  },
  objects: {
    status: 'completed',
    model: 'detector',
    min_score: 0.5,
    labels: [],
    frames: [],
    notes: [],
    per_shot: [
      {
        shot: 0,
        start: 0,
        end: 3,
        labels: [
          { label: 'person', count: 2 },
          { label: 'dog', count: 1 },
        ],
      },
      { shot: 2, start: 6.5, end: 9, labels: [] },
    ],
  },
  faces: {
    status: 'completed',
    model: 'faces',
    max_count: 2,
    frames: [],
    notes: [],
    per_shot: [{ shot: 0, start: 0, end: 3, count: 2 }],
  },
  understanding: {
    chapters: [
      { start: 0, end: 130, title: 'Welcome, "friends": café ☕ and\nnews' },
      { start: 130, end: 260, title: '=HYPERLINK("http://evil.example","click")' },
      { start: 260, end: 300, title: '-1+2' },
    ],
  },
};

test('shots: one row each, with the objects and faces of that shot', () => {
  const rows = shotRows(results)!;
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], {
    index: 0,
    start: 0,
    end: 3,
    cut_score: 100,
    keyframe_seconds: 1,
    objects: '2 person; 1 dog',
    faces: 2,
  });
  assert.equal(rows[1]!.objects, '');
  assert.equal(rows[1]!.faces, null);
  const csv = formatRows('a1', rows, SHOT_COLUMNS, 'csv');
  assert.ok(csv.endsWith('\r\n'));
  const parsed = parse(csv, { columns: true }) as Array<Record<string, string>>;
  assert.equal(parsed.length, 3);
  assert.deepEqual(parsed[1], {
    index: '1',
    start: '3',
    end: '6.5',
    cut_score: '24.95',
    keyframe_seconds: '4',
    objects: '',
    faces: '',
  });
  const json = JSON.parse(formatRows('a1', rows, SHOT_COLUMNS, 'json'));
  assert.equal(json.analysis_id, 'a1');
  assert.equal(json.count, 3);
  assert.deepEqual(json.items[0].objects, '2 person; 1 dog');
});

test('chapters: quotes, commas, line breaks and multi-byte text survive; formulas are defused', () => {
  const rows = chapterRows(results)!;
  const parsed = parse(formatRows('a1', rows, CHAPTER_COLUMNS, 'csv'), { columns: true }) as Array<
    Record<string, string>
  >;
  assert.equal(parsed[0]!.title, 'Welcome, "friends": café ☕ and\nnews');
  assert.equal(parsed[1]!.title, `'=HYPERLINK("http://evil.example","click")`);
  assert.equal(parsed[2]!.title, "'-1+2");
  assert.deepEqual(
    parsed.map((r) => [r.start, r.end]),
    [
      ['0', '130'],
      ['130', '260'],
      ['260', '300'],
    ],
  );
});

test('a result without shots or chapters has none to export', () => {
  assert.equal(shotRows({}), null);
  assert.equal(shotRows(null), null);
  assert.equal(chapterRows({ understanding: { chapters: [] } }), null);
});
