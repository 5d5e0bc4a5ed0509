/**
 * The honest fallback when no model provider is configured: key sentences and key
 * terms taken from the extracted text (transcript, OCR, document). Nothing here
 * pretends to answer the prompt.
 */
const STOP = new Set(
  'a an and are as at be but by for from has have he her his i in is it its of on or our she that the their there they this to was we were will with you your not no so if than then them these those which who what when where how can could would should into about over after before also just only very more most other some such'.split(
    ' ',
  ),
);

export interface Extract {
  sentences: string[];
  terms: string[];
}

export function extractiveSummary(text: string, maxSentences = 3, maxTerms = 8): Extract {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (!clean) return { sentences: [], terms: [] };
  const sentences = clean
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"'])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const words = (s: string) =>
    (s.toLowerCase().match(/\p{L}[\p{L}\p{N}'-]*/gu) ?? []).filter((w) => w.length > 2 && !STOP.has(w));
  const freq = new Map<string, number>();
  for (const w of words(clean)) freq.set(w, (freq.get(w) ?? 0) + 1);
  const scored = sentences.map((s, i) => {
    const ws = words(s);
    const score = ws.length ? ws.reduce((sum, w) => sum + (freq.get(w) ?? 0), 0) / Math.sqrt(ws.length) : 0;
    return { s, i, score };
  });
  const top = [...scored]
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, maxSentences)
    .sort((a, b) => a.i - b.i);
  const terms = [...freq]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxTerms)
    .map(([w]) => w);
  return { sentences: top.map((t) => t.s), terms };
}
