/**
 * Shot and chapter exports: one row per shot (with what was seen in it) or per chapter,
 * as JSON or CSV. Pure functions over a result document.
 *
 * CSV follows RFC 4180 (fields quoted when they hold a comma, quote or line break; CRLF
 * between records) and defuses spreadsheet formulas: text from the media (a chapter
 * title taken from speech) that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return gets a leading apostrophe, so opening the file never runs it.
 */
import type { AnalysisResults } from '../../contract/results.schema.ts';

export const TIMELINE_FORMATS = ['json', 'csv'] as const;
export type TimelineFormat = (typeof TIMELINE_FORMATS)[number];

export const TIMELINE_CONTENT_TYPES: Record<TimelineFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

export interface ShotRow {
  index: number;
  start: number;
  end: number;
  cut_score: number;
  keyframe_seconds: number;
  /** What the object model saw in the shot: `2 person; 1 dog` (the most on one frame). */
  objects: string;
  faces: number | null;
}

export interface ChapterRow {
  index: number;
  start: number;
  end: number;
  title: string;
}

type Results = AnalysisResults | null;

/** The shots of a result with their objects and faces, or null when it has no shots. */
export function shotRows(results: Results): ShotRow[] | null {
  const shots = results?.shots;
  if (!shots || shots.items.length === 0) return null;
  const { objects, faces } = results;
  return shots.items.map((s) => {
    const seen = objects?.per_shot.find((p) => p.shot === s.index)?.labels ?? [];
    const faceCount = faces?.per_shot.find((p) => p.shot === s.index)?.count;
    return {
      index: s.index,
      start: s.start,
      end: s.end,
      cut_score: s.cut_score,
      keyframe_seconds: s.keyframe_seconds,
      objects: seen.map((l) => `${l.count} ${l.label}`).join('; '),
      faces: typeof faceCount === 'number' ? faceCount : null,
    };
  });
}

/** The chapters of a result (understanding stage, media over 2 minutes), or null. */
export function chapterRows(results: Results): ChapterRow[] | null {
  const chapters = results?.understanding?.chapters;
  if (!chapters || chapters.length === 0) return null;
  return chapters.map((c, index) => ({ index, start: c.start, end: c.end, title: c.title }));
}

const FORMULA_START = /^[=+\-@\t\r]/;

function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV with a header line, or as a JSON document `{analysis_id, count, items}`. */
export function formatRows<T extends object>(
  analysisId: string,
  rows: readonly T[],
  columns: ReadonlyArray<keyof T & string>,
  format: TimelineFormat,
): string {
  if (format === 'json') return JSON.stringify({ analysis_id: analysisId, count: rows.length, items: rows });
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c] as string | number | null)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const SHOT_COLUMNS = ['index', 'start', 'end', 'cut_score', 'keyframe_seconds', 'objects', 'faces'] as const;
export const CHAPTER_COLUMNS = ['index', 'start', 'end', 'title'] as const;
