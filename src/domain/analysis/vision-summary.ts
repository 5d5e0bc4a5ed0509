/**
 * Pure decisions over vision results: label counts per picture and per shot, the
 * moderation verdict, and the one-line description of what was seen ("20 s video,
 * 3 shots; 2 people and a boat; on-screen text '…'").
 */
import type { LabelCount, ModerationVerdict, VisionResults } from './vision.sections.ts';
import { isFace, type FaceThresholds } from '../../media/vision/face-rule.ts';

// The rule a face candidate must pass lives beside the models that apply it first (faceres
// describes only such faces), so that both sides count the same faces.
export { isFace, type FaceThresholds };

/** A box as fractions of the picture: x, y, width, height. */
type Box = number[];

/** Counts of each label on one picture. */
export function countLabels(items: Array<{ label: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.label, (counts.get(i.label) ?? 0) + 1);
  return counts;
}

/** Labels over many pictures: the most seen on one picture, and when. Most frequent first. */
export function aggregateLabels(
  frames: Array<{ seconds: number; items: Array<{ label: string; score: number }> }>,
): LabelCount[] {
  const byLabel = new Map<string, LabelCount>();
  for (const f of frames) {
    for (const [label, count] of countLabels(f.items)) {
      const entry = byLabel.get(label) ?? { label, max_count: 0, seconds: [], best_score: 0 };
      entry.max_count = Math.max(entry.max_count, count);
      entry.seconds.push(f.seconds);
      for (const i of f.items) if (i.label === label) entry.best_score = Math.max(entry.best_score, i.score);
      byLabel.set(label, entry);
    }
  }
  return [...byLabel.values()].sort(
    (a, b) => b.seconds.length - a.seconds.length || b.max_count - a.max_count || a.label.localeCompare(b.label),
  );
}

/**
 * A person for every confirmed face (`isFace`) whose centre lies in no person box the
 * detector counted: a face BlazeFace and the face mesh agree on is a person, even where
 * CenterNet scores the body below its threshold (a portrait cropped at the shoulders).
 * The finding keeps the face's score and box, marked `from: 'face'`.
 */
export function peopleFromFaces<F extends { score: number; mesh_score: number | null; box: Box }>(
  objects: ReadonlyArray<{ label: string; box: Box }>,
  faces: readonly F[],
  t: FaceThresholds,
): Array<{ label: 'person'; score: number; box: F['box']; from: 'face' }> {
  const people = objects.filter((o) => o.label === 'person').map((o) => o.box);
  const [x, y, w, h] = [0, 1, 2, 3];
  const inside = (b: Box, px: number, py: number) =>
    px >= b[x]! && px <= b[x]! + b[w]! && py >= b[y]! && py <= b[y]! + b[h]!;
  return faces
    .filter((f) => isFace(f, t))
    .filter((f) => !people.some((p) => inside(p, f.box[x]! + f.box[w]! / 2, f.box[y]! + f.box[h]! / 2)))
    .map((f) => ({ label: 'person' as const, score: f.score, box: f.box, from: 'face' as const }));
}

export interface ModerationThresholds {
  /** Porn + Hentai at or above this: explicit. */
  explicit: number;
  /** Sexy at or above this, with enough bare skin: suggestive. */
  suggestive: number;
  /** Share of the people's pixels that must be bare skin for "suggestive". */
  suggestiveSkin: number;
}

/** One picture's moderation reading: nsfwjs's scores and the exposed-skin context. */
export interface ModerationReading {
  seconds: number;
  scores: Record<string, number>;
  skin?: { share: number; region: 'people' | 'picture' } | null;
}

export interface ModerationDecision {
  verdict: ModerationVerdict;
  strongest: { seconds: number; class: string; score: number } | null;
  /** Why: the scores and the skin share the verdict rests on, in words. */
  basis: string;
}

/**
 * explicit = Porn + Hentai at or above its threshold. suggestive = Sexy at or above its
 * threshold AND bare skin on at least `suggestiveSkin` of the people: nsfwjs's Sexy class
 * alone calls a footballer in full kit suggestive (0.89), so the class is not enough. A
 * picture whose skin was not measured keeps the class-only rule.
 */
export function moderationVerdict(frames: ModerationReading[], t: ModerationThresholds): ModerationDecision {
  let explicit: { seconds: number; score: number } | null = null;
  let suggestive: { seconds: number; score: number; skin: number | null } | null = null;
  let ungated: { seconds: number; score: number; skin: number } | null = null;
  for (const f of frames) {
    const e = round((f.scores.Porn ?? 0) + (f.scores.Hentai ?? 0));
    const s = round(f.scores.Sexy ?? 0);
    const skin = f.skin?.share ?? null;
    if (!explicit || e > explicit.score) explicit = { seconds: f.seconds, score: e };
    if (!suggestive || s > suggestive.score) suggestive = { seconds: f.seconds, score: s, skin };
    // The strongest Sexy score that the skin test held back, for the basis.
    if (s >= t.suggestive && skin !== null && skin < t.suggestiveSkin && (!ungated || s > ungated.score))
      ungated = { seconds: f.seconds, score: s, skin };
  }
  if (!explicit || !suggestive) return { verdict: 'safe', strongest: null, basis: 'no picture was classified' };
  if (explicit.score >= t.explicit)
    return {
      verdict: 'explicit',
      strongest: { seconds: explicit.seconds, score: explicit.score, class: 'explicit' },
      basis: `Porn + Hentai ${explicit.score} >= ${t.explicit}`,
    };
  // The strongest picture that passes both tests.
  let gated: { seconds: number; score: number; skin: number | null } | null = null;
  for (const f of frames) {
    const s = round(f.scores.Sexy ?? 0);
    const skin = f.skin?.share ?? null;
    if (s >= t.suggestive && (skin === null || skin >= t.suggestiveSkin) && (!gated || s > gated.score))
      gated = { seconds: f.seconds, score: s, skin };
  }
  if (gated)
    return {
      verdict: 'suggestive',
      strongest: { seconds: gated.seconds, score: gated.score, class: 'suggestive' },
      basis:
        gated.skin === null
          ? `Sexy ${gated.score} >= ${t.suggestive} (skin not measured)`
          : `Sexy ${gated.score} >= ${t.suggestive} and bare skin ${gated.skin} >= ${t.suggestiveSkin}`,
    };
  // Safe: no frame is named after a class it did not reach ("strongest: explicit 2 %" on a
  // photograph of galaxies read as a finding); the basis gives the highest scores.
  return {
    verdict: 'safe',
    strongest: null,
    basis: ungated
      ? `Sexy ${ungated.score} at ${ungated.seconds} s, but bare skin only ${ungated.skin} of the people (< ${t.suggestiveSkin})`
      : `Porn + Hentai ${explicit.score} < ${t.explicit}, Sexy ${suggestive.score} < ${t.suggestive}`,
  };
}

const PLURALS: Record<string, string> = {
  person: 'people',
  mouse: 'mice',
  knife: 'knives',
  sheep: 'sheep',
  skis: 'skis',
};

/** "2 people", "a boat", "3 cups". */
export function countPhrase(label: string, count: number): string {
  if (count === 1) return `${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label}`;
  const plural = PLURALS[label] ?? (/(s|sh|ch|x)$/.test(label) ? `${label}es` : `${label}s`);
  return `${count} ${plural}`;
}

/** "a, b and c". */
export function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** At most this many labels in the description. */
const DESCRIPTION_LABELS = 5;
/** Characters of on-screen text quoted in the description. */
const DESCRIPTION_TEXT_CHARS = 80;

/**
 * One line of what was seen, from the vision sections, the duration and on-screen text.
 * Empty when nothing was seen.
 */
export function describeVision(
  results: VisionResults,
  facts: { kind: 'video' | 'image'; durationSeconds?: number | null; onScreenText?: string[] },
): string {
  const head: string[] = [];
  if (facts.kind === 'video') {
    const d = facts.durationSeconds;
    const parts = [typeof d === 'number' ? `${Math.round(d)} s video` : 'video'];
    if (results.shots?.status === 'completed')
      parts.push(`${results.shots.count} shot${results.shots.count === 1 ? '' : 's'}`);
    head.push(parts.join(', '));
  } else head.push('image');
  const seen: string[] = [];
  if (results.objects?.status === 'completed') {
    for (const l of results.objects.labels.slice(0, DESCRIPTION_LABELS)) seen.push(countPhrase(l.label, l.max_count));
  }
  const faces = results.faces?.status === 'completed' ? results.faces.max_count : 0;
  if (faces > 0 && !seen.some((s) => /people|person/.test(s))) seen.push(faces === 1 ? 'a face' : `${faces} faces`);
  if (seen.length > 0) head.push(joinList(seen));
  else if (results.objects?.status === 'completed') head.push('no common objects recognised');
  const text = (facts.onScreenText ?? []).map((t) => t.trim()).filter((t) => t.length >= 3);
  if (text.length > 0) {
    const quoted = text.join(' / ');
    head.push(
      `on-screen text '${quoted.length > DESCRIPTION_TEXT_CHARS ? `${quoted.slice(0, DESCRIPTION_TEXT_CHARS - 1)}…` : quoted}'`,
    );
  }
  if (results.moderation?.status === 'completed' && results.moderation.verdict !== 'safe') {
    const s = results.moderation.strongest;
    head.push(
      `moderation: ${results.moderation.verdict}${s && facts.kind === 'video' ? ` (strongest at ${s.seconds} s)` : ''}`,
    );
  }
  return head.join('; ');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * The vision sections as prompt material a model can cite by time: one line per shot
 * (times, what its frames showed, faces), then black/frozen stretches and moderation.
 * For an image: one line of objects and faces.
 */
export function visionMaterial(results: VisionResults & { cues?: VisionResults['cues'] }): string {
  const lines: string[] = [];
  const objects = results.objects?.status === 'completed' ? results.objects : null;
  const faces = results.faces?.status === 'completed' ? results.faces : null;
  // Empty when nothing was recognised: an empty shot is not a finding, so no line says
  // "nothing recognised" for a model (or a reader) to quote as one.
  const what = (labels: Array<{ label: string; count: number }>, faceCount: number) => {
    const parts = labels.map((l) => countPhrase(l.label, l.count));
    if (faceCount > 0) parts.push(faceCount === 1 ? '1 face' : `${faceCount} faces`);
    return joinList(parts);
  };
  if (results.shots?.status === 'completed') {
    for (const s of results.shots.items) {
      const labels = objects?.per_shot.find((p) => p.shot === s.index)?.labels ?? [];
      const faceCount = faces?.per_shot.find((p) => p.shot === s.index)?.count ?? 0;
      const seen = what(labels, faceCount);
      if (objects || faces) {
        if (seen) lines.push(`Shot ${s.index + 1} (${s.start.toFixed(1)}-${s.end.toFixed(1)} s): ${seen}`);
      } else lines.push(`Shot ${s.index + 1} (${s.start.toFixed(1)}-${s.end.toFixed(1)} s)`);
    }
  } else if (objects || faces) {
    const labels = (objects?.labels ?? []).map((l) => ({ label: l.label, count: l.max_count }));
    const seen = what(labels, faces?.max_count ?? 0);
    if (seen) lines.push(`Seen: ${seen}`);
  }
  const cues = results.cues;
  if (cues?.black.length) lines.push(`Black: ${cues.black.map((c) => `${c.start}-${c.end} s`).join(', ')}`);
  if (cues?.frozen.length) lines.push(`Frozen: ${cues.frozen.map((c) => `${c.start}-${c.end} s`).join(', ')}`);
  const m = results.moderation;
  if (m?.status === 'completed')
    lines.push(
      `Moderation: ${m.verdict}${m.strongest ? ` (strongest ${m.strongest.class} ${m.strongest.score} at ${m.strongest.seconds} s)` : ''}${m.basis ? `; ${m.basis}` : ''}`,
    );
  return lines.join('\n');
}
