/**
 * Probe: ffprobe for audio and video (duration, streams, codecs), sharp for images,
 * page count for PDFs. A video container without a video stream is re-typed as audio.
 */
import { sandboxLimits } from '../../media/sandbox/sandbox-limits.ts';
import { AppError } from '../../domain/errors.ts';
import type { Stage } from '../stage.ts';

export const probeStage: Stage = {
  name: 'probe',
  needs: ['intake'],
  produces: ['probe'],
  optional: false,
  appliesTo: (ctx) => ctx.source !== null,
  async run(ctx) {
    const { probeFile } = ctx.deps.tools.ffprobe;
    const { probeImage } = ctx.deps.tools.images;
    const { probeText, probePdfSandboxed } = ctx.deps.tools.documents;
    const source = ctx.source!;
    const { config, db } = ctx.deps;
    switch (source.mediaType) {
      case 'video':
      case 'audio': {
        const p = await probeFile(config.media.ffprobePath, source.absolutePath, {
          timeoutMs: config.media.probeTimeoutMs,
          signal: ctx.signal,
        });
        const hasVideo = p.streams.some((s) => s.type === 'video' && !isCoverArt(s.codec));
        const hasAudio = p.streams.some((s) => s.type === 'audio');
        if (!hasVideo && !hasAudio)
          throw new AppError('UNSUPPORTED_MEDIA', 'The file has neither audio nor video streams');
        if (p.durationSeconds !== null && p.durationSeconds > config.media.maxDurationSeconds) {
          throw new AppError(
            'MEDIA_TOO_LONG',
            `The media lasts ${Math.round(p.durationSeconds)} s; the limit is ${config.media.maxDurationSeconds} s`,
          );
        }
        ctx.media = { durationSeconds: p.durationSeconds, hasAudio, hasVideo };
        const actual = hasVideo ? 'video' : 'audio';
        if (actual !== source.mediaType) {
          await ctx.deps.repositories.analyses.updateWhileProcessing(db, ctx.analysis.id, { media_type: actual });
          ctx.analysis = { ...ctx.analysis, mediaType: actual };
          source.mediaType = actual;
        }
        ctx.results.probe = {
          kind: actual,
          format: p.formatName,
          duration_seconds: p.durationSeconds,
          bit_rate: p.bitRate,
          streams: p.streams,
        };
        return;
      }
      case 'image': {
        const { exif: _exif, ...img } = await probeImage(source.absolutePath, config.media.maxImagePixels);
        ctx.results.probe = { kind: 'image', ...img };
        return;
      }
      case 'document': {
        const doc =
          source.mime === 'application/pdf'
            ? await probePdfSandboxed(source.absolutePath, sandboxLimits.decode(config, ctx.signal))
            : source.mime.startsWith('text/')
              ? await probeText(source.absolutePath, source.mime)
              : { format: source.mime, pages: null, title: null };
        if (doc.pages !== null && doc.pages > config.media.maxDocumentPages)
          throw new AppError(
            'DOCUMENT_TOO_LONG',
            `The document has ${doc.pages} pages; the limit is ${config.media.maxDocumentPages}`,
          );
        ctx.results.probe = { kind: 'document', ...doc };
        return;
      }
      default:
        throw new AppError('UNSUPPORTED_MEDIA', `Cannot probe media of type ${source.mediaType}`);
    }
  },
};

/** Embedded cover art shows up as a one-frame mjpeg/png "video" stream in audio files. */
function isCoverArt(codec: string | null): boolean {
  return codec === 'mjpeg' || codec === 'png';
}
