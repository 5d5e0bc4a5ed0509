/**
 * File storage behind a small interface. The local implementation keeps every path
 * inside its root: paths are built by the server and still resolved through
 * `securePath`, which refuses anything that would escape the root.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../domain/errors.ts';

export const STORAGE_AREAS = ['uploads', 'frames', 'contact-sheets', 'outputs', 'temp'] as const;
export type StorageArea = (typeof STORAGE_AREAS)[number];

export interface StoredFile {
  relativePath: string;
  absolutePath: string;
  sizeBytes: number;
  sha256: string;
}

export class PathEscapeError extends Error {
  constructor(p: string) {
    super(`Path escapes the storage root: ${JSON.stringify(p)}`);
    this.name = 'PathEscapeError';
  }
}

/** Resolve `relative` under `root`, refusing absolute paths, NUL bytes and `..` escapes. */
export function securePath(root: string, relative: string): string {
  if (relative.length === 0 || relative.includes('\0') || path.isAbsolute(relative))
    throw new PathEscapeError(relative);
  const resolvedRoot = path.resolve(root);
  const resolved = path.resolve(resolvedRoot, relative);
  if (!resolved.startsWith(resolvedRoot + path.sep)) throw new PathEscapeError(relative);
  return resolved;
}

/** `uploads/2026-11-22/<id>/` — the folder of one analysis in one area. */
export function analysisDir(area: StorageArea, analysisId: string, createdAt: Date): string {
  if (!/^[0-9a-f-]{36}$/i.test(analysisId)) throw new PathEscapeError(analysisId);
  const day = createdAt.toISOString().slice(0, 10);
  return `${area}/${day}/${analysisId}`;
}

/** Where an analysis's source media (upload or download) is kept. */
export function sourcePath(analysisId: string, createdAt: Date): string {
  return `${analysisDir('uploads', analysisId, createdAt)}/source`;
}

export interface Storage {
  readonly root: string;
  resolve(relativePath: string): string;
  /** Stream into a file, computing size and sha-256; over `maxBytes` the file is removed and MEDIA_TOO_LARGE thrown. */
  writeStream(
    relativePath: string,
    source: Readable,
    opts?: { maxBytes?: number; signal?: AbortSignal },
  ): Promise<StoredFile>;
  writeBuffer(relativePath: string, data: Buffer | string): Promise<StoredFile>;
  remove(relativePath: string): Promise<void>;
  /** Remove an analysis folder with everything in it. */
  removeDir(relativeDir: string): Promise<void>;
  exists(relativePath: string): Promise<boolean>;
}

export class LocalFileStorage implements Storage {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  resolve(relativePath: string): string {
    return securePath(this.root, relativePath);
  }

  async writeStream(
    relativePath: string,
    source: Readable,
    opts: { maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<StoredFile> {
    const absolutePath = this.resolve(relativePath);
    await fsp.mkdir(path.dirname(absolutePath), { recursive: true });
    const hash = crypto.createHash('sha256');
    let size = 0;
    const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) {
          cb(new AppError('MEDIA_TOO_LARGE', `Media exceeds the limit of ${max} bytes`));
          return;
        }
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    // Write to a temporary name first so a half-written file never sits at the final path.
    const partial = `${absolutePath}.partial-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      await pipeline(source, meter, fs.createWriteStream(partial), opts.signal ? { signal: opts.signal } : {});
      await fsp.rename(partial, absolutePath);
    } catch (err) {
      await fsp.rm(partial, { force: true });
      throw err;
    }
    return { relativePath, absolutePath, sizeBytes: size, sha256: hash.digest('hex') };
  }

  async writeBuffer(relativePath: string, data: Buffer | string): Promise<StoredFile> {
    const absolutePath = this.resolve(relativePath);
    await fsp.mkdir(path.dirname(absolutePath), { recursive: true });
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    await fsp.writeFile(absolutePath, buf);
    return {
      relativePath,
      absolutePath,
      sizeBytes: buf.length,
      sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    };
  }

  async remove(relativePath: string): Promise<void> {
    await fsp.rm(this.resolve(relativePath), { force: true });
  }

  async removeDir(relativeDir: string): Promise<void> {
    await fsp.rm(this.resolve(relativeDir), { recursive: true, force: true });
  }

  async exists(relativePath: string): Promise<boolean> {
    return fsp.stat(this.resolve(relativePath)).then(
      () => true,
      () => false,
    );
  }
}
