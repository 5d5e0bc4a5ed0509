/**
 * The answer without a model: the analysis' segments most similar to the prompt, quoted
 * with their times or pages, and the facts the prompt asks for (counts, on-screen text,
 * who speaks when). Extracted, never generated — and it says so.
 */
import { rankBySimilarity } from '../../domain/search/search.service.ts';
import { UNSURE_MARK, markWords } from '../../domain/search/segment-drafts.ts';
import type { StageContext } from '../stage.ts';
import { isProse } from '../../nlp/text-understanding.ts';
import type { AnalysisSections } from '../results.types.ts';
import type { AnswerFacts, AnswerQuote } from '../../contract/text-sections.schema.ts';

export const EXTRACTED_NOTE =
  'No model provider is configured, so no model answered the prompt and nothing here is generated: these are the passages of the media most similar to the prompt, quoted with their times or pages, and facts the local stages measured.';
const QUOTES = 3;

/** m:ss, or h:mm:ss from an hour on. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * Where a segment with neither a time nor a page sits, by its kind: a DOCX, HTML or text
 * document has no pages, an image no time. (Every kind of an audio or video segment has
 * times; the entries for them are only a fallback.)
 */
const UNANCHORED: Record<string, string> = {
  document: 'document',
  image_text: 'image',
  object: 'image',
  transcript: 'recording',
  ocr: 'video',
  shot: 'video',
};

/** The citation label of a quote: its page, its time span (one time when it is a moment), or what it is part of. */
export function where(q: {
  kind: string;
  start_seconds: number | null;
  end_seconds: number | null;
  page: number | null;
}): string {
  if (q.page !== null) return `page ${q.page}`;
  if (q.start_seconds !== null) {
    const start = clock(q.start_seconds);
    const end = clock(q.end_seconds ?? q.start_seconds);
    return start === end ? start : `${start}–${end}`;
  }
  return UNANCHORED[q.kind] ?? 'media';
}

/** The facts a prompt asks for, by its words. */
export function askedFacts(prompt: string, r: AnalysisSections): AnswerFacts {
  const p = prompt.toLowerCase();
  const facts: AnswerFacts = {};
  if (/\b(who|speak|speaks|speaking|talk|talks|said|says|voice)\b/.test(p) && r.audio)
    facts.speech = {
      spans: r.audio.speech_segments.map((s) => `${clock(s.start)}–${clock(s.end)}`),
      seconds: r.audio.speech_seconds,
      note: 'Speakers are not told apart locally: these are the times a voice is heard.',
    };
  if (/\b(text|written|says on|on[- ]screen|caption|sign|read)\b/.test(p)) {
    const lines = (r.ocr?.lines ?? []).map((l) => `${l.text} (at ${l.seconds.map(clock).join(', ')})`);
    if (r.image?.ocr?.text) lines.push(...r.image.ocr.text.split('\n').filter(Boolean));
    facts.on_screen_text = lines;
  }
  if (/\b(how many|count|number of)\b/.test(p)) {
    const u = r.understanding;
    facts.counts = {
      spoken_words: r.transcript?.words?.length ?? null,
      people_named: u?.entities?.people.length ?? 0,
      places_named: u?.entities?.places.length ?? 0,
      organisations_named: u?.entities?.organizations.length ?? 0,
      pages: r.document?.pages ?? null,
      frames: r.frames?.count ?? null,
    };
  }
  if (
    /\b(who|people|person|name|company|organi[sz]ation|where|place|when|date|money|cost|price|amount)\b/.test(p) &&
    r.understanding?.entities
  )
    facts.entities = r.understanding.entities;
  return facts;
}

/**
 * A shot segment that says no more than that nothing was recognised (written before such
 * shots stopped being indexed: those rows stay until their analysis is re-indexed), or
 * only what the picture's signal showed — a still picture, a black screen. Those stay
 * searchable ("black screen" finds the time), but they answer no prompt: quoted first,
 * "Shot 1 of 2: still picture" pushed the on-screen text the prompt asked about down.
 */
const NO_FINDING_SHOT = /^Shot \d+ of \d+: (nothing recognised|still picture|black screen)$/;

/**
 * The segments an answer may quote: findings; never an empty or signal-only shot, an empty
 * text, or a document passage that is not prose (a hex dump, a block of markup).
 */
export function quotable<T extends { kind: string; text: string }>(segments: readonly T[]): T[] {
  return segments.filter((s) => {
    const text = s.text.trim();
    if (text === '' || (s.kind === 'shot' && NO_FINDING_SHOT.test(text))) return false;
    return s.kind !== 'document' || isProse(text);
  });
}

export const UNSURE_LEGEND =
  'Words in [brackets?] were heard with low confidence (the local engine all but guessed them).';

/**
 * A quoted transcript window with the words the local engine was unsure of marked, each
 * run of them as "[words?]": the window is quoted whole (cutting words out can invert it),
 * so what falls under the calibrated word confidence is shown as such, not as heard.
 * Windows indexed since the marks went into segments carry them already; for older ones the
 * words are found by the window's times; when they do not spell its text (a provider
 * transcript, or a segment stored before a re-transcription), the text is left as it is.
 */
export function markUnsure(
  q: { text: string; start_seconds: number | null; end_seconds: number | null },
  words: ReadonlyArray<{ word: string; start: number; end: number; low_confidence?: true | boolean }>,
): string {
  if (q.start_seconds === null || q.end_seconds === null) return q.text;
  const inside = words.filter((w) => w.start >= q.start_seconds! - 0.01 && w.end <= q.end_seconds! + 0.01);
  if (!inside.some((w) => w.low_confidence) || inside.map((w) => w.word).join(' ') !== q.text) return q.text;
  return markWords(inside);
}

/** A quote cut to QUOTE_CHARS; a "[words?]" mark cut open is closed, so it still reads as unsure. */
const QUOTE_CHARS = 300;
export function clip(text: string): string {
  if (text.length <= QUOTE_CHARS) return text;
  const cut = text.slice(0, QUOTE_CHARS - 3);
  return cut.lastIndexOf('[') > cut.lastIndexOf(']') ? `${cut.slice(0, -2)}...?]` : `${cut}...`;
}

/** Prompts that ask who is in the media. */
const ASKS_WHO = /\b(who|people|person|persons|appears?|faces?|on screen)\b/;

/**
 * Who appears when: the people stage's appearances, named from the tenant's people
 * (a person named after an earlier analysis is named here too); unnamed people counted.
 */
async function peopleOnScreen(ctx: StageContext): Promise<AnswerFacts['people_on_screen'] | null> {
  const section = ctx.results.people;
  if (!section || !ASKS_WHO.test(ctx.analysis.prompt.toLowerCase()) || !ctx.deps.people) return null;
  const named = await ctx.deps.people.namedInAnalysis(ctx.analysis.tenantId, ctx.analysis.id);
  const names = new Map(named.map((n) => [n.personId, n.name]));
  const byName = new Map<string, string[]>();
  // In reading order: by page, then by time.
  const inOrder = [...section.appearances].sort(
    (a, b) => (a.page ?? 0) - (b.page ?? 0) || (a.start_seconds ?? 0) - (b.start_seconds ?? 0),
  );
  for (const a of inOrder) {
    const name = names.get(a.person_id);
    if (!name) continue;
    const when =
      a.page !== undefined
        ? `on page ${a.page}`
        : a.start_seconds === null
          ? 'in the picture'
          : `${clock(a.start_seconds)}–${clock(a.end_seconds ?? a.start_seconds)}`;
    byName.set(name, [...(byName.get(name) ?? []), when]);
  }
  const unnamed = new Set(section.appearances.filter((a) => !names.has(a.person_id)).map((a) => a.person_id));
  return {
    named: [...byName].map(([name, when]) => ({ name, when })),
    unnamed_people: unnamed.size,
    note: 'Faces grouped into the tenant’s people (docs/people.md); unnamed people can be named through /api/people.',
  };
}

export async function extractedAnswer(
  ctx: StageContext,
): Promise<{ text: string; quotes: AnswerQuote[]; facts: AnswerFacts }> {
  const r = ctx.results;
  const segments = quotable(await ctx.deps.repositories.segments.forAnalysis(ctx.deps.db, ctx.analysis.id));
  let quotes: AnswerQuote[] = [];
  if (segments.length) {
    const [prompt] = await ctx.deps.tools.embedder().embed([ctx.analysis.prompt]);
    quotes = rankBySimilarity(prompt!, segments, QUOTES).map((s) => ({
      text: s.text,
      kind: s.kind,
      start_seconds: s.startSeconds,
      end_seconds: s.endSeconds,
      page: s.page,
      similarity: Math.round(s.similarity * 1000) / 1000,
    }));
  }
  const facts = askedFacts(ctx.analysis.prompt, r);
  const onScreen = await peopleOnScreen(ctx);
  if (onScreen) facts.people_on_screen = onScreen;
  // A quote is shown as the answer's text shows it: a local transcript's unsure words marked.
  const words = r.transcript?.words ?? [];
  quotes = quotes.map((q) => (q.kind === 'transcript' ? { ...q, text: markUnsure(q, words) } : q));
  const legend = quotes.some((q) => q.kind === 'transcript' && UNSURE_MARK.test(q.text)) ? `\n${UNSURE_LEGEND}` : '';
  const lines = quotes.map((q) => `[${where(q)}] "${clip(q.text)}"`);
  const text = lines.length
    ? `Extracted, not generated. Passages most related to the prompt:\n${lines.join('\n')}${legend}`
    : 'Extracted, not generated. No passage of the media could be quoted.';
  return { text, quotes, facts };
}
