/**
 * Completed analyses written straight into the database and storage, for tests that need
 * a result the pipeline would take long to produce (an hour of speech), content it cannot
 * be relied on to produce (hostile OCR text), or a given result or duration (exports, the
 * submission estimate).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import sharp from 'sharp';
import { mediaFileRepository } from '../../src/persistence/media-file.repository.ts';
import type { TestApp } from './app.ts';
import type { AnalysisResults } from '../../src/contract/results.schema.ts';
import type { FramesSection } from '../../src/contract/media-sections.schema.ts';
import type { TranscriptSegment, TranscriptWord } from '../../src/contract/text-sections.schema.ts';
import type { ShotSection } from '../../src/contract/vision-sections.schema.ts';

export interface SeedFile {
  area: string;
  name: string;
  data: Buffer;
  mime: string;
}

export async function seedCompletedAnalysis(
  t: TestApp,
  opts: {
    tenant: string;
    filename: string;
    mediaType: string;
    results: AnalysisResults;
    files?: SeedFile[];
    latencyMs?: number;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  const now = new Date();
  await t.db.db
    .insertInto('media_analysis_requests')
    .values({
      id,
      correlation_id: `seed-${id}`,
      prompt: 'Seeded for the console tests',
      prompt_hash: crypto.createHash('sha256').update(id).digest('hex'),
      source_url: null,
      original_filename: opts.filename,
      media_type: opts.mediaType,
      status: 'completed',
      progress: 100,
      analysis_config: '{}',
      analysis_options: '{}',
      results: JSON.stringify(opts.results),
      metadata: '{}',
      tenant_id: opts.tenant,
      started_at: now,
      completed_at: now,
      latency_ms: opts.latencyMs ?? null,
    })
    .execute();
  for (const f of opts.files ?? []) {
    const relativePath = `${f.area}/seed/${id}/${f.name}`;
    const stored = await t.pipeline.storage.writeBuffer(relativePath, f.data);
    await mediaFileRepository.upsert(t.db.db, {
      analysisId: id,
      area: f.area as 'uploads',
      storagePath: stored.absolutePath,
      relativePath,
      sizeBytes: f.data.length,
      mimeType: f.mime,
      sha256: null,
      retentionDays: null,
    });
  }
  return id;
}

/**
 * The results of an hour of speech as the pipeline writes them without a provider: ~150
 * words a minute with their times beside 10-word segments (the local engine's shape), a
 * shot every 12 s with the frame taken for it, stored as an artifact.
 */
export async function longVideoResult(
  minutes: number,
): Promise<{ results: AnalysisResults; files: SeedFile[]; words: number; shots: number }> {
  const seconds = minutes * 60;
  const vocabulary = 'the quick brown fox jumps over lazy dog while seven wise owls watch a river'.split(' ');
  const segments: TranscriptSegment[] = [];
  const words: TranscriptWord[] = [];
  const wordSeconds = 0.4;
  let index = 0;
  for (let start = 0; start + 10 * wordSeconds <= seconds; start += 10 * wordSeconds) {
    const mine = Array.from({ length: 10 }, (_, i) => ({
      word: vocabulary[index++ % vocabulary.length]!,
      start: Number((start + i * wordSeconds).toFixed(2)),
      end: Number((start + (i + 1) * wordSeconds - 0.05).toFixed(2)),
      confidence: 0.8,
    }));
    words.push(...mine);
    segments.push({ start, end: start + 10 * wordSeconds, text: mine.map((w) => w.word).join(' ') });
  }
  const shotLength = 12;
  const thumb = await sharp({ create: { width: 128, height: 72, channels: 3, background: { r: 40, g: 80, b: 160 } } })
    .jpeg({ quality: 60 })
    .toBuffer();
  const files: SeedFile[] = [];
  const shots: ShotSection['items'] = [];
  const frames: FramesSection['items'] = [];
  for (let i = 0; i * shotLength < seconds; i++) {
    const name = `shot-${String(i + 1).padStart(4, '0')}.jpg`;
    files.push({ area: 'frames', name, data: thumb, mime: 'image/jpeg' });
    const start = i * shotLength;
    shots.push({
      index: i,
      start,
      end: Math.min(seconds, start + shotLength),
      cut_score: 40,
      keyframe_seconds: start + 6,
    });
    frames.push({ seconds: start + 6, shot: i, path: path.posix.join('frames', name) });
  }
  const text = segments.map((s) => s.text).join(' ');
  return {
    results: {
      intake: {
        kind: 'upload',
        original_filename: 'hour-long-talk.mp4',
        size_bytes: 734_003_200,
        sha256: null,
        mime: 'video/mp4',
        detected_type: 'video',
      },
      probe: {
        kind: 'video',
        format: 'mov,mp4,m4a,3gp,3g2,mj2',
        duration_seconds: seconds,
        bit_rate: null,
        streams: [{ index: 0, type: 'video', codec: 'h264', width: 1280, height: 720 }],
      },
      shots: { status: 'completed', count: shots.length, items: shots, threshold: 10, pass_ms: 1 },
      frames: {
        count: frames.length,
        requested: frames.length,
        method: 'every distinct scene first, per shot, accurate input seeking',
        stored: true,
        extraction_ms: 1,
        items: frames,
      },
      transcript: {
        provider: 'local',
        engine: 'pocketsphinx',
        model: 'en-us',
        language: 'en',
        text,
        segments,
        words,
        chunks: segments.length,
        cost_usd: 0,
        latency_ms: 0,
      },
      answer: { provider: null, model: null, text: 'A long talk about a fox [12:30] and owls [45:00].' },
      stages: [
        { stage: 'probe', ms: 120 },
        { stage: 'transcription', ms: 95_000 },
      ],
    },
    files,
    words: words.length,
    shots: shots.length,
  };
}
