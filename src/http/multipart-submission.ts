/**
 * A multipart submission: the file part streams straight into storage while the other
 * parts are collected and validated like a JSON body. Nothing of a refused upload is kept.
 */
import { Transform, pipeline } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { AppError, errors } from '../domain/errors.ts';
import { sourcePath, type Storage, type StoredFile } from '../storage/storage.ts';
import { bodyAjv } from './plugins/validation.ts';
import { fieldErrors } from './problem.ts';
import { checkJsonInput } from './plugins/input-guard.ts';
import { detectBuffer, type DetectedType } from '../media/detect-type.ts';
import { AnalyzeBodySchema, type AnalyzeBody } from './schemas/media.schemas.ts';

const validateAnalyzeBody = bodyAjv.compile(AnalyzeBodySchema);
/** Multipart fields that carry JSON objects; the rest are plain strings. */
const MULTIPART_JSON_FIELDS = new Set(['config', 'options', 'metadata']);

/** The stored upload: the client's name and Content-Type (advisory), and the type its bytes show. */
export type StoredUpload = StoredFile & {
  originalFilename: string | null;
  mime: string | null;
  detected: DetectedType;
};

/** Leading bytes kept while the file streams to storage, for type detection at submit. */
const HEAD_BYTES = 64 * 1024;

export interface ParsedSubmission {
  body: AnalyzeBody;
  upload: StoredUpload | null;
}

/**
 * A file name PostgreSQL cannot store (NUL), that is not valid Unicode, or that holds
 * another control character (which no real file name needs and which would reach logs
 * and exports as it is).
 */
function badFilename(name: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  return /[\u0000-\u001f\u007f]/.test(name) || !name.isWellFormed();
}

/** Stream a multipart upload straight into storage while collecting its fields. */
export async function readMultipart(
  request: FastifyRequest,
  storage: Storage,
  id: string,
  createdAt: Date,
  maxBytes: number,
): Promise<ParsedSubmission> {
  const fields: Record<string, unknown> = {};
  let upload: StoredUpload | null = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || upload) {
          part.file.resume();
          throw errors.validation([
            { field: part.fieldname, message: 'send exactly one file, in the part named "file"' },
          ]);
        }
        if (part.filename && badFilename(part.filename)) {
          part.file.resume();
          throw new AppError('INVALID_TEXT', 'The file name holds a control character or an unpaired surrogate', {
            errors: [{ field: 'file', message: 'the file name must be printable Unicode text' }],
          });
        }
        const head: Buffer[] = [];
        let headBytes = 0;
        // Passes every byte on to storage, keeping a copy of the first HEAD_BYTES.
        const tap = new Transform({
          transform(chunk: Buffer, _enc, done) {
            if (headBytes < HEAD_BYTES) {
              head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
              headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
            }
            done(null, chunk);
          },
        });
        // A body cut off before its closing boundary can have errored and closed the file
        // stream before this code sees the part: nothing would ever flow from it again.
        if (part.file.destroyed)
          throw new AppError(
            'INVALID_MULTIPART',
            `The file part is cut off: ${part.file.errored?.message ?? 'closed'}`,
          );
        // pipeline, not .pipe(): an error of the file stream reaches the tap (and so storage).
        pipeline(part.file, tap, (err) => {
          if (err) tap.destroy(err);
        });
        const stored = await storage.writeStream(sourcePath(id, createdAt), tap, { maxBytes });
        upload = {
          ...stored,
          originalFilename: part.filename ? part.filename.slice(0, 255) : null,
          mime: part.mimetype ?? null,
          detected: await detectBuffer(Buffer.concat(head)),
        };
        // The multipart parser stops at the limit and marks the stream truncated.
        if (part.file.truncated) throw new AppError('MEDIA_TOO_LARGE', `The upload exceeds ${maxBytes} bytes`);
      } else {
        // A repeated field would silently replace the first one (which one wins is up to the client).
        if (Object.hasOwn(fields, part.fieldname))
          throw new AppError('DUPLICATE_FIELD', `The field "${part.fieldname}" was sent more than once`, {
            errors: [{ field: part.fieldname, message: 'send each field once' }],
          });
        const value = String(part.value);
        if (MULTIPART_JSON_FIELDS.has(part.fieldname)) {
          try {
            fields[part.fieldname] = JSON.parse(value);
          } catch {
            throw errors.validation([{ field: part.fieldname, message: 'must be a JSON object' }]);
          }
        } else {
          fields[part.fieldname] = value;
        }
      }
    }
  } catch (err) {
    if (upload) await storage.remove(upload.relativePath);
    throw err;
  }
  try {
    checkJsonInput(fields);
  } catch (err) {
    if (upload) await storage.remove(upload.relativePath);
    throw err;
  }
  if (!validateAnalyzeBody(fields)) {
    if (upload) await storage.remove(upload.relativePath);
    throw errors.validation(fieldErrors(validateAnalyzeBody.errors ?? []));
  }
  return { body: fields as AnalyzeBody, upload };
}
