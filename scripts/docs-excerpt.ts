/**
 * The README's "what an analysis finds": an excerpt of a real status document. The whole
 * document is docs/examples/photos-with-speech.status.json, written by
 * `node scripts/readme-excerpt.ts` from a real analysis (no provider); this module cuts it
 * down for reading. Values are copied, never typed: scripts/docs.ts checks the README's
 * block against the file, and test/vision.test.ts checks the file's findings against a
 * fresh analysis of the same pictures.
 */
import fs from 'node:fs';
import path from 'node:path';

export const EXAMPLE = path.resolve(import.meta.dirname, '../docs/examples/photos-with-speech.status.json');

// A status document as the API returns it; read loosely, only to cut it down.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const CUT = '…';
/** The first `n` items of an array, then a marker when there were more. */
const head = (xs: Json[] | undefined, n: number): Json[] => (!xs ? [] : xs.length > n ? [...xs.slice(0, n), CUT] : xs);

/** Picks `keys` of an object, in that order, leaving out those it lacks. */
function pick(o: Json, keys: string[]): Json {
  if (!o) return undefined;
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** The excerpt: the summary and one line per section, long arrays cut. */
export function renderExcerpt(doc: Json = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'))): string {
  const r = doc.results;
  const sections: [string, Json][] = [
    ['shots', r.shots && { ...pick(r.shots, ['count', 'scenes']), items: head(r.shots.items, 2) }],
    ['cues', pick(r.cues, ['black', 'frozen'])],
    ['objects', r.objects && { ...pick(r.objects, ['min_score']), per_shot: r.objects.per_shot }],
    ['faces', r.faces && { per_shot: r.faces.per_shot }],
    ['moderation', pick(r.moderation, ['verdict', 'basis'])],
    [
      'transcript',
      r.transcript && {
        ...pick(r.transcript, ['text', 'mean_word_confidence', 'low_confidence_words']),
        words: head(r.transcript.words, 2),
      },
    ],
    ['understanding', pick(r.understanding, ['language', 'entities', 'keywords'])],
    ['contact_sheet', pick(r.contact_sheet, ['grid', 'frames'])],
  ];
  const stages = (doc.stages ?? []) as Json[];
  const lines = [
    '{',
    ` "status": ${JSON.stringify(doc.status)}, "media_type": ${JSON.stringify(doc.media_type)},`,
    ` "result_summary": ${JSON.stringify(doc.result_summary)},`,
    ' "results": {',
    sections
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(',\n'),
    ' },',
    ` "stages": ${JSON.stringify(stages.map((s) => pick(s, ['name', 'status'])))}`,
    '}',
  ];
  return ['```json', ...lines, '```'].join('\n');
}
