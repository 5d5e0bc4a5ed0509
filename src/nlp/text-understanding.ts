/**
 * Text understanding without a provider: language (eld), named entities (compromise:
 * people, places, organisations, dates, money) and keywords, over any text the stages
 * extract (transcript, OCR, document). Pure and synchronous; bounded input.
 */
import { eld } from 'eld/small';
import nlp from 'compromise';
import datesPlugin from 'compromise-dates';

nlp.plugin(datesPlugin);

/** compromise's parse time grows with the text; beyond this we analyse the head only (and say so). */
export const MAX_UNDERSTOOD_CHARS = 200_000;
const MAX_PER_KIND = 25;

export interface Entities {
  people: string[];
  places: string[];
  organizations: string[];
  dates: string[];
  money: string[];
}

export interface TextUnderstanding {
  /** ISO 639-1 code, or null when the text is too short to tell. */
  language: string | null;
  entities: Entities;
  keywords: string[];
  characters: number;
  truncated: boolean;
}

export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both ' +
    'but by can could did do does doing down during each few for from further had has have having he her here hers ' +
    'him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ' +
    'ours out over own same she should so some such than that the their theirs them then there these they this those ' +
    'through to too under until up very was we were what when where which while who whom why will with would you your ' +
    'yours also get got let like one someone something anything thing things say says said talk talks talking ' +
    'show shows showing find any many much us'
  ).split(' '),
);

function clean(list: string[]): string[] {
  const seen = new Map<string, string>();
  for (const raw of list) {
    const text = raw
      .replace(/\s+/g, ' ')
      .replace(/^[\s"'“”‘’([{]+|[\s"'“”‘’.,;:!?)\]}]+$/gu, '')
      .trim();
    if (text.length < 2 || text.length > 80) continue;
    const key = text.toLowerCase();
    if (!seen.has(key)) seen.set(key, text);
  }
  return [...seen.values()].slice(0, MAX_PER_KIND);
}

const MONEY =
  /(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|thousand|bn|k|m)\b)?|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars|euros|pounds|USD|EUR|GBP)\b)/giu;
const DATE_WORDS = /\b(?:million|billion|thousand|on|at|in)\b/giu;

/** Keywords: the most frequent content words and two-word phrases (stop words removed). */
export function keywords(text: string, max = 12): string[] {
  const tokens = (text.toLowerCase().match(/\p{L}[\p{L}\p{N}'-]*|\d{3,}/gu) ?? []).filter(
    (w) => w.length > 2 && !STOP_WORDS.has(w),
  );
  const freq = new Map<string, number>();
  for (const w of tokens) freq.set(w, (freq.get(w) ?? 0) + 1);
  for (let i = 1; i < tokens.length; i++) {
    const pair = `${tokens[i - 1]} ${tokens[i]}`;
    freq.set(pair, (freq.get(pair) ?? 0) + 1);
  }
  // A phrase seen twice outranks its words seen twice: weight by length.
  return [...freq]
    .filter(([term, n]) => n > 1 || !term.includes(' '))
    .map(([term, n]) => [term, n * (term.includes(' ') ? 1.5 : 1)] as const)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, max)
    .map(([term]) => term);
}

/**
 * The best language's score must lead the next one's by this much (eld's scores, 0-1), or
 * no language is named: on two brand names read from a photograph ("unicef WEEKmedia")
 * eld scores Italian 0.589 against English 0.560 and calls it reliable. Sentences of English,
 * German and French tried lead by 0.1 or more; a short greeting can fall under the margin
 * and get no language, which is the honest answer for so little text.
 */
const LANGUAGE_MARGIN = 0.05;

export function detectLanguage(text: string): string | null {
  const sample = text.slice(0, 5000);
  if (sample.replace(/[^\p{L}]/gu, '').length < 12) return null;
  const result = eld.detect(sample);
  if (!result.language || result.language === 'und') return null;
  const [best = 0, next = 0] = Object.values(result.getScores()).sort((a, b) => b - a);
  return best - next >= LANGUAGE_MARGIN ? result.language : null;
}

/** Language, entities and keywords of `text`. */
export function understandText(text: string): TextUnderstanding {
  const truncated = text.length > MAX_UNDERSTOOD_CHARS;
  const body = (truncated ? text.slice(0, MAX_UNDERSTOOD_CHARS) : text).replace(
    // eslint-disable-next-line no-control-regex -- control characters are stripped on purpose
    /[\u0000-\u0008\u000b-\u001f\u007f]/g,
    ' ',
  );
  const empty: Entities = { people: [], places: [], organizations: [], dates: [], money: [] };
  if (!body.trim()) return { language: null, entities: empty, keywords: [], characters: text.length, truncated };
  const doc = nlp(body);
  const arr = (view: { out(kind: 'array'): string[] }) => view.out('array');
  const dates = clean(
    (doc as unknown as { dates(): { out(kind: 'array'): string[] } })
      .dates()
      .out('array')
      .map((d) => d.replace(DATE_WORDS, ' ')),
  );
  const money = clean([...(body.match(MONEY) ?? []), ...arr(doc.money())].filter((m) => /\d/.test(m)));
  return {
    language: detectLanguage(body),
    entities: {
      people: clean(arr(doc.people())),
      places: clean(arr(doc.places())),
      organizations: clean(arr(doc.organizations())),
      dates,
      money: dedupeContained(money),
    },
    keywords: keywords(body),
    characters: text.length,
    truncated,
  };
}

/** Drops "$4.2" when "$4.2 million" is also there. */
function dedupeContained(list: string[]): string[] {
  return list.filter((m) => !list.some((other) => other !== m && other.toLowerCase().startsWith(m.toLowerCase())));
}

/**
 * Prose: at least PROSE_SHARE of a passage's tokens are words or numbers, and at least a
 * third are words led by a letter (perhaps with digits, an apostrophe, a hyphen or
 * punctuation around them). A hex dump or a block of markup in a
 * document ("00000020 00 05 64 69 66 …", "<glob pattern="*.txt"/>") is indexed, but it is
 * no passage to quote as an answer, and no text to draw names or keywords from.
 */
const PROSE_SHARE = 0.5;
/** Words led by a letter ("COVID-19", "Q3", "don't"), with the punctuation around them. */
const WORD = /^[("'“‘]?\p{L}[\p{L}\p{N}'’-]*[)"'”’.,;:!?]*$/u;
/** Numbers, times, dates and amounts ("15", "12:30", "2024-03-15", "$4,200.00", "$1.2M", "12%"). */
const NUMBER = /^[(]?[$€£¥]?\p{N}[\p{N}.,:/-]*[%$€£KMBkmb]?[)"'”’.,;:!?]*$/u;
/** Of the tokens, at least this share must be words led by letters (a dump of numbers is no prose). */
const LETTER_WORD_SHARE = 1 / 3;

export function isProse(text: string): boolean {
  const tokens = text.split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return false;
  const words = tokens.filter((t) => WORD.test(t)).length;
  const numbers = tokens.filter((t) => NUMBER.test(t)).length;
  return words >= LETTER_WORD_SHARE * tokens.length && words + numbers >= PROSE_SHARE * tokens.length;
}
