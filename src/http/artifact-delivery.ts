/**
 * Sending a stored artifact, after the route has checked the tenant: bytes through the
 * API with HTTP Range (`proxy`, either driver), or a 302 to a short-lived presigned URL
 * (`redirect`, when the driver has them; the local driver always proxies).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.ts';
import type { Storage } from '../storage/storage.ts';
import { problemBody, PROBLEM_CONTENT_TYPE } from './problem.ts';
import { parseRange } from './range.ts';

/** Types a browser renders as a document (and could run script in): served as attachments. */
const RENDERABLE_AS_DOCUMENT =
  /^(text\/html|application\/xhtml|image\/svg|text\/xml|application\/xml|application\/pdf)/i;

export const ARTIFACT_DELIVERIES = ['proxy', 'redirect'] as const;
export type ArtifactDelivery = (typeof ARTIFACT_DELIVERIES)[number];

export interface ArtifactFile {
  relativePath: string;
  mimeType: string | null;
  name: string;
}

export async function sendArtifact(
  request: FastifyRequest,
  reply: FastifyReply,
  storage: Storage,
  file: ArtifactFile,
  delivery: { mode: ArtifactDelivery; ttlSeconds: number },
): Promise<FastifyReply> {
  const contentType = file.mimeType ?? 'application/octet-stream';
  if (delivery.mode === 'redirect') {
    const url = await storage.presign(file.relativePath, {
      ttlSeconds: delivery.ttlSeconds,
      filename: file.name,
      contentType,
    });
    if (url) return reply.code(302).header('cache-control', 'private, no-store').redirect(url);
  }
  const stat = await storage.stat(file.relativePath);
  if (!stat) throw new AppError('ARTIFACT_NOT_FOUND', 'The artifact file is no longer stored');
  const size = stat.sizeBytes;
  const range = parseRange(request.headers.range, size);
  // A user's file is never a page of ours: scripts in it cannot run on our origin
  // (CSP sandbox), the browser may not guess another type (nosniff), and types a browser
  // would render as a document are downloads, not pages.
  const disposition = RENDERABLE_AS_DOCUMENT.test(contentType) ? 'attachment' : 'inline';
  reply
    .header('content-type', contentType)
    .header('accept-ranges', 'bytes')
    .header('content-disposition', `${disposition}; filename="${file.name.replace(/["\\\r\n]/g, '_')}"`)
    .header(
      'content-security-policy',
      "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'",
    )
    .header('x-content-type-options', 'nosniff');
  if (range === 'unsatisfiable') {
    return reply
      .code(416)
      .header('content-range', `bytes */${size}`)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemBody('RANGE_NOT_SATISFIABLE', request.id, `The file has ${size} bytes`));
  }
  if (range) {
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1)
      .send(await storage.read(file.relativePath, range));
  }
  return reply.header('content-length', size).send(await storage.read(file.relativePath));
}
