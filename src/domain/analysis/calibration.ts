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
export const VISION_CALIBRATION = {
  /** Shots whose appearance signatures (media/shots.ts) are at most this far apart show one scene. */
  sceneDistance: {
    value: 0.054,
    chosenOn:
      'tuning photo video (18 shots, 6 photographs, 3 framings each): shots of different photographs at least 0.107 apart; at half that, 10 of 18 pairs of shots of one photograph are joined',
  },
} as const satisfies Record<string, Threshold>;

/** On-screen and in-image text (OCR). */
export const TEXT_CALIBRATION = {} as const satisfies Record<string, Threshold>;

/** Local speech. */
export const SPEECH_CALIBRATION = {} as const satisfies Record<string, Threshold>;

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
