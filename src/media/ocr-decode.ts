/**
 * From the recognition model's output to words: greedy CTC decoding with each word's
 * confidence, and the split of words the model runs together after punctuation. Pure.
 */

export interface OcrWord {
  text: string;
  /** Mean probability of the word's characters, 0–1. */
  confidence: number;
}

/** Index of CTC's blank symbol in the recognition output. */
const CTC_BLANK = 0;

/**
 * A word the recogniser ran into the next one after punctuation, split there. The model's
 * dictionary is Chinese and English, and Chinese sets no space after punctuation: it
 * writes "projects,which" and "present.The" where the page has a space. Split after
 * , ; : ! ? ) ] when a letter follows, and after a full stop when a capital and a small
 * letter follow (not "e.g." nor "U.S.A"). "1,000" and "3.5" stay whole. Both parts keep
 * the word's confidence.
 */
export function splitRunOnWords(words: OcrWord[]): OcrWord[] {
  const RUN_ON = /(?<=[,;:!?)\]])(?=\p{L})|(?<=\p{L}\.)(?=\p{Lu}\p{Ll})/u;
  return words.flatMap((w) =>
    w.text
      .split(RUN_ON)
      .filter(Boolean)
      .map((text) => ({ text, confidence: w.confidence })),
  );
}

/**
 * Greedy CTC decoding of the recognition output ([1, steps, classes] probabilities; class 0
 * is CTC's blank, class i the dictionary's character i - 1), keeping each character's
 * probability; words split at spaces and after run-on punctuation.
 */
export function decodeCtc(dictionary: readonly string[], dims: readonly number[], data: Float32Array): OcrWord[] {
  const [, steps, classes] = dims as [number, number, number];
  const words: OcrWord[] = [];
  let chars = '';
  let probs: number[] = [];
  const flush = () => {
    // NFKC: the model's dictionary is Chinese and English; it writes full-width brackets and digits.
    if (chars)
      words.push({ text: chars.normalize('NFKC'), confidence: probs.reduce((s, p) => s + p, 0) / probs.length });
    chars = '';
    probs = [];
  };
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -Infinity;
    for (let c = 0; c < classes; c++) {
      const p = data[t * classes + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== CTC_BLANK && best !== previous) {
      const ch = dictionary[best - 1] ?? '';
      if (ch === ' ') flush();
      else {
        chars += ch;
        probs.push(bestP);
      }
    }
    previous = best;
  }
  flush();
  return splitRunOnWords(words);
}
