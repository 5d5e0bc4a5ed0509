/**
 * Artifacts: files a stage produces, stored under `{area}/{YYYY-MM-DD}/{id}/` and
 * recorded in media_files with the area's retention.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { analysisDir, sourcePath, type StorageArea } from '../storage/storage.ts';
import type { StageContext } from './stage.ts';

export interface StoredArtifact {
  id: string;
  relativePath: string;
  absolutePath: string;
  sizeBytes: number;
  sha256: string;
}

/** Where the analysis's source file is stored (relative to the storage root). */
export function sourceFilePath(ctx: StageContext): string {
  return sourcePath(ctx.analysis.id, ctx.analysis.createdAt);
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

/** Record a file already written at `relativePath` (the S3 driver uploads it here). */
export async function recordArtifact(
  ctx: StageContext,
  area: StorageArea,
  relativePath: string,
  mime: string,
): Promise<StoredArtifact> {
  const stored = await ctx.deps.storage.persist(relativePath, mime);
  const row = await ctx.deps.repositories.mediaFiles.upsert(ctx.deps.db, {
    analysisId: ctx.analysis.id,
    area,
    storagePath: stored.location,
    relativePath,
    sizeBytes: stored.sizeBytes,
    mimeType: mime,
    sha256: stored.sha256,
    retentionDays: ctx.deps.config.storage.retentionDays[area],
  });
  return {
    id: row.id,
    relativePath,
    absolutePath: stored.absolutePath,
    sizeBytes: stored.sizeBytes,
    sha256: stored.sha256,
  };
}

export async function storeArtifact(
  ctx: StageContext,
  area: StorageArea,
  name: string,
  data: Buffer | string,
  mime: string,
): Promise<StoredArtifact> {
  // Written locally first; recordArtifact stores it (one upload with the S3 driver).
  const { relativePath, absolutePath } = await artifactPath(ctx, area, name);
  await fs.writeFile(absolutePath, data);
  return recordArtifact(ctx, area, relativePath, mime);
}
