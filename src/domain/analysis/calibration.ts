/**
 * Every threshold that decides whether a local finding is reported, in one place, each
 * with the figure it was chosen on. The figures come from `npm run eval`
 * (bench/quality/, results in bench/results/quality.md and .json): thresholds are chosen
 * on the evaluation's *tuning* split only and reported on a *held-out* split that was never
 * used for choosing. `calibration.test.ts` fails when a value here differs from the one
 * the last evaluation chose, so the two cannot drift apart.
 *
 * A finding below its threshold is not in the summary, not quoted by the answer and not
 * indexed for search; its section may keep it marked `below_threshold` for inspection.
 */

/** One calibrated threshold: its value and the evaluation figure it was chosen on. */
export interface Threshold {
  readonly value: number;
  /** The tuning-split figure the value was chosen on (data set, size, metric). */
  readonly chosenOn: string;
}

/** Vision (objects, faces, moderation). */
export const VISION_CALIBRATION = {} as const satisfies Record<string, Threshold>;

/** On-screen and in-image text (OCR). */
export const TEXT_CALIBRATION = {} as const satisfies Record<string, Threshold>;

/** Local speech. */
export const SPEECH_CALIBRATION = {
  /**
   * A recognised word whose lattice posterior is below this is marked `low_confidence` in
   * the transcript's words and left out of its text and segments (what answers quote) and
   * of the search index (bench/quality/speech.eval.ts: on held-out words precision 0.415 →
   * 0.606, 70 % of the right words kept).
   */
  lowWordConfidence: {
    value: 0.45,
    chosenOn:
      'tuning: 458 recognised words on 8 tracks; at 0.45 precision 0.563 (all words 0.395), right words kept 0.713, F0.5 0.588',
  },
} as const satisfies Record<string, Threshold>;

/** Search relevance. */
export const SEARCH_CALIBRATION = {} as const satisfies Record<string, Threshold>;

/** Every threshold by `<group>.<name>`, as the evaluation's results file names them. */
export function allThresholds(): Record<string, Threshold> {
  const out: Record<string, Threshold> = {};
  const groups = {
    vision: VISION_CALIBRATION,
    text: TEXT_CALIBRATION,
    speech: SPEECH_CALIBRATION,
    search: SEARCH_CALIBRATION,
  } as Record<string, Record<string, Threshold>>;
  for (const [group, entries] of Object.entries(groups))
    for (const [name, t] of Object.entries(entries)) out[`${group}.${name}`] = t;
  return out;
}
