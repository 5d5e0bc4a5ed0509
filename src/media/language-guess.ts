/** A document's language guessed from stop-word frequency (seven European languages). */

const STOPWORDS: Record<string, string[]> = {
  en: ['the', 'and', 'of', 'to', 'is', 'in', 'that', 'it', 'with', 'for', 'this', 'was', 'are'],
  de: ['der', 'die', 'und', 'das', 'ist', 'nicht', 'mit', 'ein', 'eine', 'den', 'zu', 'auf', 'ich'],
  fr: ['le', 'la', 'les', 'et', 'des', 'est', 'une', 'un', 'pour', 'que', 'dans', 'pas', 'du'],
  es: ['el', 'la', 'los', 'las', 'y', 'que', 'es', 'una', 'por', 'con', 'para', 'del', 'no'],
  it: ['il', 'la', 'che', 'di', 'e', 'un', 'una', 'per', 'non', 'sono', 'con', 'del', 'della'],
  nl: ['de', 'het', 'een', 'en', 'van', 'is', 'dat', 'niet', 'met', 'voor', 'zijn', 'op', 'ik'],
  pt: ['o', 'a', 'os', 'as', 'e', 'que', 'de', 'um', 'uma', 'para', 'com', 'não', 'do'],
};

/** ISO 639-1 guess from stop-word frequency; null for too little text. */
export function detectLanguage(text: string): string | null {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  if (words.length < 5) return null;
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  let best: string | null = null;
  let bestScore = 0;
  for (const [lang, list] of Object.entries(STOPWORDS)) {
    const score = list.reduce((s, w) => s + (counts.get(w) ?? 0), 0);
    if (score > bestScore) {
      best = lang;
      bestScore = score;
    }
  }
  return bestScore >= 2 ? best : null;
}
