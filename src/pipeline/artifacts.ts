/**
 * Artifacts: files a stage produces, stored under `{area}/{YYYY-MM-DD}/{id}/` and
 * recorded in media_files with the area's retention.
 */
import fs from 'node:fs/promises';
import crypto from 'node:crypto';
import path from 'node:path';
import { analysisDir, type StorageArea } from '../storage/storage.ts';
import { mediaFileRepository } from '../persistence/media-file.repository.ts';
import type { StageContext } from './stage.ts';

export interface StoredArtifact {
  id: string;
  relativePath: string;
  absolutePath: string;
  sizeBytes: number;
  sha256: string;
}

/** Absolute path (folder created) for an artifact a tool will write itself. */
export async function artifactPath(
  ctx: StageContext,
  area: StorageArea,
  name: string,
): Promise<{ relativePath: string; absolutePath: string }> {
  const relativePath = `${analysisDir(area, ctx.analysis.id, ctx.analysis.createdAt)}/${name}`;
  const absolutePath = ctx.deps.storage.resolve(relativePath);
  await fs.mkdir(path.dirname(absolutePath), { recursive: true });
  return { relativePath, absolutePath };
}

/** Record a file already written at `relativePath`. */
export async function recordArtifact(
  ctx: StageContext,
  area: StorageArea,
  relativePath: string,
  mime: string,
): Promise<StoredArtifact> {
  const absolutePath = ctx.deps.storage.resolve(relativePath);
  const data = await fs.readFile(absolutePath);
  const sha256 = crypto.createHash('sha256').update(data).digest('hex');
  const row = await mediaFileRepository.upsert(ctx.deps.db, {
    analysisId: ctx.analysis.id,
    area,
    storagePath: absolutePath,
    relativePath,
    sizeBytes: data.length,
    mimeType: mime,
    sha256,
    retentionDays: ctx.deps.config.storage.retentionDays[area],
  });
  return { id: row.id, relativePath, absolutePath, sizeBytes: data.length, sha256 };
}

export async function storeArtifact(
  ctx: StageContext,
  area: StorageArea,
  name: string,
  data: Buffer | string,
  mime: string,
): Promise<StoredArtifact> {
  const { relativePath } = await artifactPath(ctx, area, name);
  await ctx.deps.storage.writeBuffer(relativePath, data);
  return recordArtifact(ctx, area, relativePath, mime);
}
