/**
 * Intake: bring the media into storage under `uploads/{YYYY-MM-DD}/{id}/` (download a
 * URL through the SSRF guard, or take the upload the API already stored), record its
 * size and sha-256, and detect its type from the bytes.
 */
import { AppError } from '../../domain/errors.ts';
import { sourceFilePath } from '../artifacts.ts';
import type { Stage, StageContext } from '../stage.ts';
import type { IntakeSection } from '../results.types.ts';

async function download(ctx: StageContext, url: string) {
  const { openDownload, mapNetworkError } = ctx.deps.tools.download;
  const { config, storage, downloadAgent } = ctx.deps;
  const policy = {
    maxBytes: config.limits.maxDownloadBytes,
    timeoutMs: config.limits.downloadTimeoutMs,
    maxRedirects: config.limits.downloadMaxRedirects,
    allowHosts: config.limits.downloadAllowHosts,
  };
  const res = await openDownload(url, policy, downloadAgent, ctx.signal);
  ctx.log.info(
    { final_url: res.finalUrl, redirects: res.redirects, content_length: res.contentLength },
    'downloading media',
  );
  try {
    const stored = await storage.writeStream(sourceFilePath(ctx), res.body, {
      maxBytes: policy.maxBytes,
      signal: ctx.signal,
    });
    const row = await ctx.deps.repositories.mediaFiles.upsert(ctx.deps.db, {
      analysisId: ctx.analysis.id,
      area: 'uploads',
      storagePath: stored.location,
      relativePath: stored.relativePath,
      sizeBytes: stored.sizeBytes,
      mimeType: null,
      sha256: stored.sha256,
      retentionDays: ctx.deps.config.storage.retentionDays.uploads,
    });
    return { row, redirects: res.redirects, finalUrl: res.finalUrl };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    throw mapNetworkError(err);
  }
}

export const intakeStage: Stage = {
  name: 'intake',
  needs: [],
  produces: ['intake'],
  optional: false,
  // Waits on the network and the disk, not the CPU.
  cost: 0,
  appliesTo: () => true,
  async run(ctx) {
    const { detectFile } = ctx.deps.tools.detectType;
    const { db, storage } = ctx.deps;
    let row = await ctx.deps.repositories.mediaFiles.sourceFor(db, ctx.analysis.id);
    let origin: Pick<IntakeSection, 'kind' | 'original_filename' | 'source_url' | 'final_url' | 'redirects'> = {
      kind: 'upload',
      original_filename: ctx.analysis.originalFilename,
    };
    if (!row || !(await storage.exists(row.relative_path))) {
      if (!ctx.analysis.sourceUrl) throw new AppError('MEDIA_CORRUPT', 'The uploaded file is missing from storage');
      const d = await download(ctx, ctx.analysis.sourceUrl);
      row = d.row;
      origin = { kind: 'url', source_url: ctx.analysis.sourceUrl, final_url: d.finalUrl, redirects: d.redirects };
    }
    if (Number(row.size_bytes) === 0) throw new AppError('MEDIA_EMPTY', 'The media file is empty (0 bytes)');

    // A local copy for the tools (the S3 driver downloads into this worker's scratch).
    const absolutePath = await storage.materialize(row.relative_path);
    const detected = await detectFile(absolutePath);
    const claimed = ctx.analysis.mediaType;
    if (detected.mediaType === 'unknown')
      throw new AppError('UNSUPPORTED_MEDIA', `Unrecognised media format (${detected.mime})`);
    if (claimed !== 'unknown' && claimed !== detected.mediaType && !compatible(claimed, detected.mediaType)) {
      throw new AppError('MEDIA_TYPE_MISMATCH', `Declared media_type ${claimed} but the bytes are ${detected.mime}`);
    }
    await ctx.deps.repositories.mediaFiles.setMime(db, row.id, detected.mime);
    const mediaType = claimed === 'unknown' ? detected.mediaType : claimed;
    if (mediaType !== ctx.analysis.mediaType) {
      await ctx.deps.repositories.analyses.updateWhileProcessing(db, ctx.analysis.id, { media_type: mediaType });
      ctx.analysis = { ...ctx.analysis, mediaType };
    }
    ctx.source = {
      mediaFileId: row.id,
      relativePath: row.relative_path,
      absolutePath,
      sizeBytes: Number(row.size_bytes),
      sha256: row.sha256 ?? '',
      mime: detected.mime,
      mediaType,
    };
    ctx.results.intake = {
      ...origin,
      size_bytes: Number(row.size_bytes),
      sha256: row.sha256,
      mime: detected.mime,
      detected_type: detected.mediaType,
    };
  },
};

/** A container detected as video may carry only audio (and the client knows better). */
function compatible(claimed: string, detected: string): boolean {
  return claimed === 'audio' && detected === 'video';
}
