/** A short human-readable summary of what the pipeline found; shown as `result_summary`. */
import { describeVision } from '../domain/analysis/vision-summary.ts';
import type { AnalysisSections } from './results.types.ts';

/** What was seen, in one line ("13 s video, 5 shots; a person and a cup; on-screen text '…'"; a PDF's faces and their pages); empty without vision sections. */
export function visionDescription(results: AnalysisSections): string {
  const { probe } = results;
  if (probe?.kind === 'document') return documentFaces(results);
  const kind = probe?.kind === 'image' ? 'image' : probe?.kind === 'video' ? 'video' : null;
  if (!kind || (!results.shots && !results.objects && !results.faces && !results.moderation)) return '';
  const imageOcr = results.image?.ocr?.text;
  const onScreenText = results.ocr?.lines.map((l) => l.text) ?? (imageOcr ? imageOcr.split('\n') : []);
  const durationSeconds = probe?.kind === 'video' ? probe.duration_seconds : null;
  return describeVision(results, { kind, durationSeconds, onScreenText });
}

function fmtDuration(s: number | null | undefined): string | null {
  return typeof s === 'number' ? `${s.toFixed(1)} s` : null;
}

/** The status's `result_summary`: the model's answer, or the local facts with a clear note that no model answered. */
export function resultSummary(results: AnalysisSections): string {
  const answer = results.answer;
  if (answer?.text && answer.provider) return answer.text;
  // Without a model the local answer is extracted text; what was seen comes first.
  if (answer?.text) return [visionDescription(results), answer.text].filter(Boolean).join('\n');
  const parts = [visionDescription(results), summarize(results)];
  if (answer?.extractive?.sentences.length) parts.push(`Key points: ${answer.extractive.sentences.join(' ')}`);
  if (answer?.extractive?.terms.length) parts.push(`Key terms: ${answer.extractive.terms.join(', ')}`);
  if (answer?.note) parts.push(`(${answer.note.split('.')[0]}.)`);
  return parts.filter(Boolean).join('\n');
}

export function summarize(results: AnalysisSections): string {
  const { probe, intake } = results;
  const parts: string[] = [];
  if (intake) parts.push(intake.mime);
  switch (probe?.kind) {
    case 'video':
    case 'audio': {
      const d = fmtDuration(probe.duration_seconds);
      if (d) parts.push(d);
      for (const s of probe.streams) {
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
    case undefined:
      break;
  }
  if (intake) parts.push(`${intake.size_bytes} bytes`);
  return parts.join(' · ');
}

/** A PDF's faces that count (on its embedded pictures), with their pages: "2 faces on pages 2, 5"; empty without. */
function documentFaces(results: AnalysisSections): string {
  const counted = (results.faces?.frames ?? []).filter((f) => f.count > 0 && f.page !== undefined);
  if (counted.length === 0) return '';
  const pages = [...new Set(counted.map((f) => f.page!))].sort((a, b) => a - b);
  const faces = counted.reduce((n, f) => n + f.count, 0);
  return `${faces === 1 ? 'a face' : `${faces} faces`} on page${pages.length === 1 ? '' : 's'} ${pages.join(', ')}`;
}
