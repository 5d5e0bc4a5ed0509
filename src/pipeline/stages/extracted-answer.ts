/**
 * The answer without a model: the analysis' segments most similar to the prompt, quoted
 * with their times or pages, and the facts the prompt asks for (counts, on-screen text,
 * who speaks when). Extracted, never generated — and it says so.
 */
import { sharedEmbedder } from '../../nlp/embedder.ts';
import { rankBySimilarity } from '../../domain/search/search.service.ts';
import type { StageContext } from '../stage.ts';

export const EXTRACTED_NOTE =
  'No model provider is configured, so nothing here is generated: these are the passages of the media most similar to the prompt, quoted with their times or pages, and facts the local stages measured.';
const QUOTES = 3;

export interface Quote {
  text: string;
  kind: string;
  start_seconds: number | null;
  end_seconds: number | null;
  page: number | null;
  similarity: number;
}

function clock(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export function where(q: { start_seconds: number | null; end_seconds: number | null; page: number | null }): string {
  if (q.page !== null) return `page ${q.page}`;
  if (q.start_seconds !== null) return `${clock(q.start_seconds)}–${clock(q.end_seconds ?? q.start_seconds)}`;
  return 'image';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- results are open JSON sections on this pipeline
type Sections = Record<string, any>;

/** The facts a prompt asks for, by its words. */
export function askedFacts(prompt: string, r: Sections): Record<string, unknown> {
  const p = prompt.toLowerCase();
  const facts: Record<string, unknown> = {};
  if (/\b(who|speak|speaks|speaking|talk|talks|said|says|voice)\b/.test(p) && r.audio)
    facts.speech = {
      spans: (r.audio.speech_segments ?? []).map(
        (s: { start: number; end: number }) => `${clock(s.start)}–${clock(s.end)}`,
      ),
      seconds: r.audio.speech_seconds,
      note: 'Speakers are not told apart locally: these are the times a voice is heard.',
    };
  if (/\b(text|written|says on|on[- ]screen|caption|sign|read)\b/.test(p)) {
    const lines = (r.ocr?.lines ?? []).map(
      (l: { text: string; seconds: number[] }) => `${l.text} (at ${l.seconds.map(clock).join(', ')})`,
    );
    if (r.image?.ocr?.text) lines.push(...String(r.image.ocr.text).split('\n').filter(Boolean));
    facts.on_screen_text = lines;
  }
  if (/\b(how many|count|number of)\b/.test(p)) {
    const u = r.understanding ?? {};
    facts.counts = {
      spoken_words: r.transcript?.words?.length ?? null,
      people_named: u.entities?.people?.length ?? 0,
      places_named: u.entities?.places?.length ?? 0,
      organisations_named: u.entities?.organizations?.length ?? 0,
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

export async function extractedAnswer(
  ctx: StageContext,
): Promise<{ text: string; quotes: Quote[]; facts: Record<string, unknown> }> {
  const r = ctx.results as unknown as Sections;
  const segments = await ctx.deps.repositories.segments.forAnalysis(ctx.deps.db, ctx.analysis.id);
  let quotes: Quote[] = [];
  if (segments.length) {
    const [prompt] = await sharedEmbedder().embed([ctx.analysis.prompt]);
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
  const lines = quotes.map((q) => `[${where(q)}] "${q.text.length > 300 ? `${q.text.slice(0, 297)}...` : q.text}"`);
  const text = lines.length
    ? `Extracted, not generated. Passages most related to the prompt:\n${lines.join('\n')}`
    : 'Extracted, not generated. The media holds no text or speech to quote.';
  return { text, quotes, facts };
}
