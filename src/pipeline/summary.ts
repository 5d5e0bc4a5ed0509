/** A short human-readable summary of what the pipeline found; shown as `result_summary`. */
import { describeVision } from '../domain/analysis/vision-summary.ts';
import type { VisionResults } from '../domain/analysis/vision.sections.ts';

/** What was seen, in one line ("20 s video, 3 shots; 2 people and a boat; on-screen text '…'"). */
export function visionDescription(results: Record<string, unknown>): string {
  const probe = (results.probe ?? {}) as { kind?: string; duration_seconds?: number };
  const kind = probe.kind === 'image' ? 'image' : probe.kind === 'video' ? 'video' : null;
  const v = results as VisionResults;
  if (!kind || (!v.shots && !v.objects && !v.faces && !v.moderation)) return '';
  const ocr = results.ocr as { lines?: Array<{ text: string }> } | undefined;
  const imageOcr = (results.image as { ocr?: { text?: string } } | undefined)?.ocr?.text;
  const onScreenText = ocr?.lines?.map((l) => l.text) ?? (imageOcr ? imageOcr.split('\n') : []);
  return describeVision(v, { kind, durationSeconds: probe.duration_seconds ?? null, onScreenText });
}

function fmtDuration(s: unknown): string | null {
  return typeof s === 'number' ? `${s.toFixed(1)} s` : null;
}

/** The status's `result_summary`: the model's answer, or the local facts with a clear note that no model answered. */
export function resultSummary(results: Record<string, unknown>): string {
  const answer = results.answer as
    { text?: string | null; note?: string; extractive?: { sentences: string[]; terms: string[] } } | undefined;
  if (answer?.text) return answer.text;
  const parts = [visionDescription(results), summarize(results)];
  if (answer?.extractive?.sentences.length) parts.push(`Key points: ${answer.extractive.sentences.join(' ')}`);
  if (answer?.extractive?.terms.length) parts.push(`Key terms: ${answer.extractive.terms.join(', ')}`);
  if (answer?.note) parts.push(`(${answer.note.split('.')[0]}.)`);
  return parts.filter(Boolean).join('\n');
}

export function summarize(results: Record<string, unknown>): string {
  const probe = (results.probe ?? {}) as Record<string, unknown>;
  const intake = (results.intake ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof intake.mime === 'string') parts.push(intake.mime);
  switch (probe.kind) {
    case 'video':
    case 'audio': {
      const d = fmtDuration(probe.duration_seconds);
      if (d) parts.push(d);
      for (const s of (probe.streams ?? []) as Array<Record<string, unknown>>) {
        if (s.type === 'video') parts.push(`video ${s.codec} ${s.width}x${s.height}${s.fps ? ` @ ${s.fps} fps` : ''}`);
        if (s.type === 'audio') parts.push(`audio ${s.codec} ${s.sampleRate} Hz ${s.channels} ch`);
      }
      break;
    }
    case 'image':
      parts.push(`${probe.width}x${probe.height} ${probe.format}`);
      break;
    case 'document':
      if (typeof probe.pages === 'number') parts.push(`${probe.pages} page${probe.pages === 1 ? '' : 's'}`);
      if (typeof probe.title === 'string') parts.push(`"${probe.title}"`);
      if (typeof probe.characters === 'number') parts.push(`${probe.characters} characters`);
      break;
  }
  if (typeof intake.size_bytes === 'number') parts.push(`${intake.size_bytes} bytes`);
  return parts.join(' · ');
}
