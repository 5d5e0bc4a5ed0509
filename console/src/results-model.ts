/**
 * Pure readers from an analysis's `results` to what the viewer draws. Sections are read
 * defensively: the shapes grow as stages are added, and a missing section is not an error.
 */
import type { DetectionBox, DetectionFrame } from './components/detections.tsx';
import type { TimelineItem } from './components/timeline.tsx';
import { basename } from './format.ts';
import type { AnalysisStatusBody, Artifact, Detection, Frame, Results, Shot } from './types.ts';

export type ArtifactLookup = (pathOrName: string | null | undefined) => string | null;

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

function list<T>(v: unknown): T[] {
  if (Array.isArray(v)) return v as T[];
  if (v && typeof v === 'object' && Array.isArray((v as { items?: unknown }).items)) return (v as { items: T[] }).items;
  return [];
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function duration(results: Results | null): number {
  const probe = results?.probe as { duration_seconds?: unknown } | undefined;
  return num(probe?.duration_seconds) ?? 0;
}

/** The extracted frame nearest to a time (within 0.25 s): where shots and detections find their picture. */
export function frameNear(results: Results | null, seconds: unknown): Frame | null {
  const t = num(seconds);
  if (t === null) return null;
  let best: Frame | null = null;
  for (const f of results?.frames?.items ?? []) {
    if (Math.abs(f.seconds - t) <= 0.25 && (!best || Math.abs(f.seconds - t) < Math.abs(best.seconds - t))) best = f;
  }
  return best;
}

function keyframePath(s: Shot): string | null {
  if (typeof s.keyframe === 'string') return s.keyframe;
  if (s.keyframe && typeof s.keyframe === 'object' && typeof s.keyframe.path === 'string') return s.keyframe.path;
  if (typeof s.thumbnail === 'string') return s.thumbnail;
  const rec = s as unknown as Record<string, unknown>;
  return typeof rec.keyframe_path === 'string' ? rec.keyframe_path : null;
}

/** Shots, else chapters, else the extracted frames, as timeline items. */
export function timeline(results: Results | null, lookup: ArtifactLookup): { kind: string; items: TimelineItem[] } {
  const total = duration(results);
  const shots = list<Shot>(results?.shots);
  if (shots.length > 0) {
    return {
      kind: 'Shots',
      items: shots.map((s, i) => ({
        start: num(s.start) ?? 0,
        end: num(s.end) ?? num(s.start) ?? 0,
        title: `Shot ${i + 1}`,
        thumb:
          lookup(keyframePath(s)) ??
          lookup(frameNear(results, (s as unknown as { keyframe_seconds?: number }).keyframe_seconds ?? s.start)?.path),
      })),
    };
  }
  const chapters = list<{ start: number; end?: number; title?: string }>(results?.chapters);
  if (chapters.length > 0) {
    return {
      kind: 'Chapters',
      items: chapters.map((c, i) => ({
        start: c.start,
        end: c.end ?? chapters[i + 1]?.start ?? total,
        title: c.title ?? `Chapter ${i + 1}`,
        thumb: null,
      })),
    };
  }
  const frames = results?.frames?.items ?? [];
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

function toBox(d: Detection): [number, number, number, number] | null {
  const b = d.box ?? d.bbox;
  if (!b) return null;
  if (Array.isArray(b)) {
    if (b.length < 4) return null;
    return [b[0]!, b[1]!, b[2]!, b[3]!];
  }
  const w = b.w ?? b.width;
  const h = b.h ?? b.height;
  if (typeof w !== 'number' || typeof h !== 'number') return null;
  return [b.x, b.y, w, h];
}

function boxesOf(items: unknown, kind: DetectionBox['kind']): DetectionBox[] {
  const out: DetectionBox[] = [];
  for (const d of list<Detection>(items)) {
    const box = toBox(d);
    if (!box) continue;
    out.push({
      label: d.label ?? (kind === 'face' ? 'face' : 'object'),
      kind,
      score: num(d.score ?? d.confidence),
      box,
    });
  }
  return out;
}

/** Keyframes that carry detected objects or faces, from frames, shots or a top-level list. */
export function detectionFrames(results: Results | null, lookup: ArtifactLookup): DetectionFrame[] {
  const frames = new Map<string, DetectionFrame>();
  const add = (
    where: { seconds?: unknown; path?: string | null; width?: unknown; height?: unknown },
    boxes: DetectionBox[],
  ) => {
    if (boxes.length === 0) return;
    const key = `${where.path ?? ''}@${String(where.seconds ?? '')}`;
    const f = frames.get(key) ?? {
      seconds: num(where.seconds),
      thumb: lookup(where.path),
      width: num(where.width),
      height: num(where.height),
      boxes: [],
    };
    f.boxes.push(...boxes);
    frames.set(key, f);
  };
  for (const f of results?.frames?.items ?? ([] as Frame[]))
    add(f, [...boxesOf(f.objects, 'object'), ...boxesOf(f.faces, 'face')]);
  for (const s of list<Shot>(results?.shots))
    add({ seconds: s.start, path: keyframePath(s) }, [...boxesOf(s.objects, 'object'), ...boxesOf(s.faces, 'face')]);
  // The vision sections: objects.frames[].items (label, score, box) and faces.frames[].boxes.
  const sectionFrames = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? list<Record<string, unknown>>((v as { frames?: unknown }).frames)
      : [];
  for (const f of sectionFrames(results?.objects)) {
    const picture = frameNear(results, f.seconds);
    add(
      {
        ...f,
        path: (f.path as string | undefined) ?? picture?.path ?? null,
        width: picture?.width,
        height: picture?.height,
      },
      boxesOf(f.items, 'object'),
    );
  }
  for (const f of sectionFrames(results?.faces)) {
    const picture = frameNear(results, f.seconds);
    const boxes = list<number[]>(f.boxes).map((box) => ({ box }));
    add(
      {
        ...f,
        path: (f.path as string | undefined) ?? picture?.path ?? null,
        width: picture?.width,
        height: picture?.height,
      },
      boxesOf(boxes, 'face'),
    );
  }
  for (const [section, kind] of [
    ['objects', 'object'],
    ['faces', 'face'],
  ] as const) {
    if (sectionFrames(results?.[section]).length > 0) continue;
    const v = results?.[section];
    const entries = list<Record<string, unknown>>(v);
    for (const e of entries) {
      const nested = e.objects ?? e.faces ?? e.detections;
      const path = (e.path ?? e.keyframe ?? e.frame ?? null) as string | null;
      if (nested) add({ ...e, path }, boxesOf(nested, kind));
      else add({ ...e, path }, boxesOf([e], kind));
    }
  }
  return [...frames.values()];
}

/** Object labels with counts, for the summary line: the objects section's own tally when it has one. */
export function labelCounts(results: Results | null, frames: DetectionFrame[]): Array<[string, number]> {
  const labels = (
    results?.objects as { labels?: Array<{ label: string; max_count?: number; seconds?: number[] }> } | undefined
  )?.labels;
  if (Array.isArray(labels) && labels.length > 0)
    return labels.map((l) => [l.label, l.seconds?.length ?? l.max_count ?? 1]);
  const counts = new Map<string, number>();
  for (const f of frames) for (const b of f.boxes) counts.set(b.label, (counts.get(b.label) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

export interface Citation {
  seconds: number;
  label: string;
}

const TIME_IN_TEXT = /\[(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.\d+)?\]/g;

/**
 * The answer split into text and cited times: explicit `citations`, and `[mm:ss]` or
 * `[h:mm:ss]` marks in the text, become buttons that seek the player.
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
  const citations: Citation[] = [];
  for (const c of answer?.citations ?? []) {
    const seconds = num(c.start) ?? num(c.seconds);
    if (seconds !== null) citations.push({ seconds, label: c.text ?? c.label ?? '' });
  }
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
  if (status.stages && status.stages.length > 0)
    return status.stages.map((s) => ({ stage: s.name, ms: num(s.duration_ms), status: s.status }));
  const raw = status.results?.stages;
  if (Array.isArray(raw))
    return (raw as Array<{ stage?: string; name?: string; ms?: number }>).map((s) => ({
      stage: String(s.stage ?? s.name ?? '?'),
      ms: num(s.ms),
      status: null,
    }));
  return [];
}

/** On-screen text lines with the times they were seen. */
export function screenText(results: Results | null): Array<{ text: string; seconds: number[] }> {
  const lines = results?.ocr?.lines;
  if (Array.isArray(lines) && lines.length > 0) return lines.map((l) => ({ text: l.text, seconds: l.seconds ?? [] }));
  const single = results?.ocr?.text ?? (results?.image?.ocr?.text as string | undefined);
  return single ? [{ text: single, seconds: [] }] : [];
}

/** Entities and keywords from their sections, or the extractive summary's terms. */
export function keywords(results: Results | null): { entities: string[]; keywords: string[] } {
  const names = (v: unknown): string[] =>
    list<unknown>(v)
      .map((e) =>
        typeof e === 'string'
          ? e
          : e && typeof e === 'object'
            ? String(
                (e as Record<string, unknown>).text ??
                  (e as Record<string, unknown>).name ??
                  (e as Record<string, unknown>).term ??
                  '',
              )
            : '',
      )
      .filter(Boolean);
  const kw = names(results?.keywords);
  return {
    entities: names(results?.entities),
    keywords: kw.length > 0 ? kw : (results?.answer?.extractive?.terms ?? []),
  };
}
