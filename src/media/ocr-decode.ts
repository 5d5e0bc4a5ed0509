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
 * What the recogniser saw at one step of its output: its most likely character (null for
 * CTC's blank) with that character's probability, and the probability of the space.
 */
export interface CtcStep {
  char: string | null;
  probability: number;
  space: number;
}

/**
 * The recognition output ([1, steps, classes] probabilities; class 0 is CTC's blank, class
 * i the dictionary's character i - 1, the last class the space) as one CtcStep a step.
 */
export function ctcSteps(dictionary: readonly string[], dims: readonly number[], data: Float32Array): CtcStep[] {
  const [, steps, classes] = dims as [number, number, number];
  const spaceClass = dictionary.lastIndexOf(' ') + 1;
  const out: CtcStep[] = [];
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
    out.push({
      char: best === CTC_BLANK ? null : (dictionary[best - 1] ?? ''),
      probability: bestP,
      space: spaceClass > 0 ? data[t * classes + spaceClass]! : 0,
    });
  }
  return out;
}

/**
 * Greedy CTC decoding of `steps`, keeping each character's probability; words split at
 * spaces and after run-on punctuation. A blank step whose space probability reaches
 * `minSpaceProbability` is read as a space (TEXT_CALIBRATION.minSpaceProbability; 1: never,
 * since where the blank wins the space has at most 0.5). The Chinese+English model often
 * lets the blank win over a space it does see in small or blurred print (the space at
 * 0.2–0.47 where the held-out scanned page ran "often build" into one word), and a word
 * run into the next is two words lost.
 */
export function decodeSteps(steps: readonly CtcStep[], minSpaceProbability: number): OcrWord[] {
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
  let previous: string | null = null;
  for (const step of steps) {
    const char = step.char === null && step.space >= minSpaceProbability ? ' ' : step.char;
    if (char !== null && char !== previous) {
      if (char === ' ') flush();
      else {
        chars += char;
        probs.push(step.probability);
      }
    }
    previous = char;
  }
  flush();
  return splitRunOnWords(words);
}
