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
    results: Record<string, unknown>;
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

/** The results of an hour of speech: ~150 words a minute in 10-word segments, a shot every 12 s. */
export async function longVideoResult(
  minutes: number,
): Promise<{ results: Record<string, unknown>; files: SeedFile[]; words: number; shots: number }> {
  const seconds = minutes * 60;
  const vocabulary = 'the quick brown fox jumps over lazy dog while seven wise owls watch a river'.split(' ');
  const segments: Array<Record<string, unknown>> = [];
  const wordSeconds = 0.4;
  let index = 0;
  for (let start = 0; start + 10 * wordSeconds <= seconds; start += 10 * wordSeconds) {
    const words = Array.from({ length: 10 }, (_, i) => ({
      start: Number((start + i * wordSeconds).toFixed(2)),
      end: Number((start + (i + 1) * wordSeconds - 0.05).toFixed(2)),
      word: vocabulary[index++ % vocabulary.length]!,
    }));
    segments.push({ start, end: start + 10 * wordSeconds, text: words.map((w) => w.word).join(' '), words });
  }
  const shotLength = 12;
  const thumb = await sharp({ create: { width: 128, height: 72, channels: 3, background: { r: 40, g: 80, b: 160 } } })
    .jpeg({ quality: 60 })
    .toBuffer();
  const files: SeedFile[] = [];
  const shots: Array<Record<string, unknown>> = [];
  for (let i = 0; i * shotLength < seconds; i++) {
    const name = `shot-${String(i + 1).padStart(4, '0')}.jpg`;
    files.push({ area: 'frames', name, data: thumb, mime: 'image/jpeg' });
    shots.push({
      index: i,
      start: i * shotLength,
      end: Math.min(seconds, (i + 1) * shotLength),
      keyframe: path.posix.join('frames', name),
    });
  }
  return {
    results: {
      probe: {
        kind: 'video',
        duration_seconds: seconds,
        streams: [{ type: 'video', codec: 'h264', width: 1280, height: 720 }],
      },
      intake: { mime: 'video/mp4', size_bytes: 734_003_200 },
      transcript: { text: segments.map((s) => s.text).join(' '), language: 'en', segments },
      shots,
      answer: { text: 'A long talk about a fox [12:30] and owls [45:00].' },
      stages: [
        { stage: 'probe', ms: 120 },
        { stage: 'transcription', ms: 95_000 },
      ],
    },
    files,
    words: segments.length * 10,
    shots: shots.length,
  };
}
