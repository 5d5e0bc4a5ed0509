/**
 * Pure readers from an analysis's `results` to what the viewer draws. The sections are the
 * server's contract (the SDK's types): a section is absent when its stage did not run, and
 * the viewer then leaves its panel out.
 */
import type { DetectionBox, DetectionFrame } from './components/detections.tsx';
import type { TimelineItem } from './components/timeline.tsx';
import { basename } from './format.ts';
import type { AnalysisStatusBody, Artifact, FramesSection, Results } from './types.ts';

export type ArtifactLookup = (pathOrName: string | null | undefined) => string | null;
type Frame = FramesSection['items'][number];

/** Results name stored files by path; the artifact list names them by file name within the analysis. */
export function artifactLookup(artifacts: Artifact[]): ArtifactLookup {
  const byName = new Map<string, string>();
  for (const a of artifacts) byName.set(a.name, a.url);
  return (p) => {
    if (!p) return null;
    if (p.startsWith('/api/')) return p;
    return byName.get(basename(p)) ?? null;
  };
}

/** The stored source (what was uploaded or downloaded), which the player streams with Range requests. */
export function sourceArtifact(artifacts: Artifact[]): Artifact | null {
  return artifacts.find((a) => a.area === 'uploads' || a.area === 'downloads' || a.area === 'sources') ?? null;
}

export function duration(results: Results | null): number {
  const probe = results?.probe;
  return probe && 'duration_seconds' in probe ? (probe.duration_seconds ?? 0) : 0;
}

/** The extracted frame nearest to a time (within 0.25 s): where detections find their picture. */
export function frameNear(results: Results | null, seconds: number): Frame | null {
  let best: Frame | null = null;
  for (const f of results?.frames?.items ?? []) {
    if (
      Math.abs(f.seconds - seconds) <= 0.25 &&
      (!best || Math.abs(f.seconds - seconds) < Math.abs(best.seconds - seconds))
    )
      best = f;
  }
  return best;
}

/** Shots, else chapters (long media without shots), else the extracted frames, as timeline items. */
export function timeline(results: Results | null, lookup: ArtifactLookup): { kind: string; items: TimelineItem[] } {
  const total = duration(results);
  const frames = results?.frames?.items ?? [];
  const shots = results?.shots?.items ?? [];
  if (shots.length > 0) {
    return {
      kind: 'Shots',
      items: shots.map((s) => ({
        start: s.start,
        end: s.end,
        title: `Shot ${s.index + 1}`,
        // The frame taken for the shot (frames are picked per shot), else the one at its keyframe.
        thumb: lookup((frames.find((f) => f.shot === s.index) ?? frameNear(results, s.keyframe_seconds))?.path),
      })),
    };
  }
  const chapters = results?.understanding?.chapters ?? [];
  if (chapters.length > 0) {
    return {
      kind: 'Chapters',
      items: chapters.map((c) => ({ start: c.start, end: c.end, title: c.title, thumb: null })),
    };
  }
  return {
    kind: 'Keyframes',
    items: frames.map((f, i) => ({
      start: f.seconds,
      end: frames[i + 1]?.seconds ?? (total || f.seconds),
      title: `Frame ${i + 1}`,
      thumb: lookup(f.path),
    })),
  };
}

function box(b: number[]): DetectionBox['box'] | null {
  return b.length >= 4 ? [b[0]!, b[1]!, b[2]!, b[3]!] : null;
}

/** The pictures with the objects and faces that count on them (objects.frames, faces.frames). */
export function detectionFrames(results: Results | null, lookup: ArtifactLookup): DetectionFrame[] {
  const frames = new Map<number, DetectionFrame>();
  const add = (seconds: number, boxes: DetectionBox[]) => {
    if (boxes.length === 0) return;
    const f = frames.get(seconds) ?? {
      // An image's one picture is the image itself (at 0 s, with no frame of its own).
      seconds: results?.probe?.kind === 'image' ? null : seconds,
      thumb: lookup(frameNear(results, seconds)?.path ?? results?.image?.thumbnail),
      width: null,
      height: null,
      boxes: [],
    };
    f.boxes.push(...boxes);
    frames.set(seconds, f);
  };
  for (const f of results?.objects?.frames ?? [])
    add(
      f.seconds,
      f.items.flatMap((o) => {
        const b = box(o.box);
        return b ? [{ label: o.label, kind: 'object' as const, score: o.score, box: b }] : [];
      }),
    );
  // Boxes are drawn on a picture the console can show: not on a PDF's embedded pictures, nor on
  // the moments a video was looked at for faces only (they have no stored frame).
  const drawable = (f: { seconds: number; page?: number }) =>
    f.page === undefined && (results?.probe?.kind !== 'video' || frameNear(results, f.seconds) !== null);
  for (const f of (results?.faces?.frames ?? []).filter(drawable))
    add(
      f.seconds,
      f.boxes.flatMap((fb) => {
        const b = box(fb);
        return b ? [{ label: 'face', kind: 'face' as const, score: null, box: b }] : [];
      }),
    );
  return [...frames.values()].sort((a, b) => (a.seconds ?? 0) - (b.seconds ?? 0));
}

/** Object labels with the number of pictures each was seen on, most frequent first. */
export function labelCounts(results: Results | null): Array<[string, number]> {
  return (results?.objects?.labels ?? []).map((l) => [l.label, l.seconds.length]);
}

export interface Citation {
  seconds: number;
  label: string;
}

/** `[m:ss]`, `[h:mm:ss]` or a span `[m:ss–m:ss]` in an answer's text; the span seeks to its start. */
const TIME_IN_TEXT = /\[(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.\d+)?(?:[–-](?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)?\]/g;

/**
 * The answer split into text and cited times (marks in the text become buttons that seek
 * the player), and the timed passages it quotes (`answer.quotes`) that its text does not
 * already cite: an extracted answer's text lists its quotes itself, so none are repeated.
 */
export function answerParts(results: Results | null): {
  parts: Array<string | Citation>;
  citations: Citation[];
} {
  const answer = results?.answer;
  const text = answer?.text ?? '';
  const parts: Array<string | Citation> = [];
  let last = 0;
  for (const m of text.matchAll(TIME_IN_TEXT)) {
    const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ seconds, label: m[0].slice(1, -1) });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const cited = new Set(parts.flatMap((p) => (typeof p === 'string' ? [] : [p.seconds])));
  const citations = (answer?.quotes ?? []).flatMap((q) =>
    q.start_seconds === null || cited.has(Math.floor(q.start_seconds))
      ? []
      : [{ seconds: q.start_seconds, label: q.text }],
  );
  return { parts, citations };
}

/**
 * What the status's summary adds beside the answer shown above it, or null. Without a
 * model the summary is what was seen followed by the answer's own text (pipeline/summary.ts),
 * so the answer is taken out rather than shown twice; with one it *is* the answer.
 */
export function summaryBesideAnswer(
  summary: string | null | undefined,
  answer: string | null | undefined,
): string | null {
  const s = (summary ?? '').trim();
  const a = (answer ?? '').trim();
  if (!s) return null;
  if (!a) return s;
  const rest = s.split(a).join('').trim();
  return rest || null;
}

/** Per-stage timings from the status's stage list, else from the pipeline's timing record. */
export function stageTimings(
  status: AnalysisStatusBody,
): Array<{ stage: string; ms: number | null; status: string | null }> {
  if (status.stages.length > 0)
    return status.stages.map((s) => ({ stage: s.name, ms: s.duration_ms, status: s.status }));
  return (status.results?.stages ?? []).map((s) => ({ stage: s.stage, ms: s.ms, status: null }));
}

/** Text read on the video's frames with the times it was seen, or on the image. */
export function screenText(results: Results | null): Array<{ text: string; seconds: number[] }> {
  const video = results?.ocr?.lines ?? [];
  if (video.length > 0) return video.map((l) => ({ text: l.text, seconds: l.seconds }));
  return (results?.image?.ocr?.lines ?? []).map((l) => ({ text: l.text, seconds: [] }));
}

const ENTITY_KINDS = [
  ['people', 'People'],
  ['places', 'Places'],
  ['organizations', 'Organizations'],
  ['dates', 'Dates'],
  ['money', 'Money'],
] as const;

/** Named entities by kind and keywords (understanding), else the extractive summary's terms. */
export function keywords(results: Results | null): { entities: Array<[string, string[]]>; keywords: string[] } {
  const u = results?.understanding;
  const entities = ENTITY_KINDS.flatMap(([key, label]): Array<[string, string[]]> => {
    const names = u?.entities?.[key] ?? [];
    return names.length > 0 ? [[label, names]] : [];
  });
  const kw = u?.keywords ?? [];
  return { entities, keywords: kw.length > 0 ? kw : (results?.answer?.extractive?.terms ?? []) };
}
