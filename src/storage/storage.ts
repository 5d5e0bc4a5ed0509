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
  /** A local path for the file (S3: its place in this process's scratch folder, which may be empty). */
  absolutePath: string;
  /** Where the stored bytes live: the local path, or `s3://bucket/key` (recorded as media_files.storage_path). */
  location: string;
  sizeBytes: number;
  sha256: string;
}

/** Which implementation holds the files. */
export const STORAGE_DRIVERS = ['local', 's3'] as const;
export type StorageDriver = (typeof STORAGE_DRIVERS)[number];

/** One file in the store as a listing shows it (for the orphan sweep). */
export interface StoredEntry {
  relativePath: string;
  sizeBytes: number;
  /** mtime (local) or LastModified (S3): when the last byte was written. */
  modifiedAt: Date;
}

/** Inclusive byte range, as HTTP Range gives it. */
export interface ByteRange {
  start: number;
  end: number;
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

/**
 * Vocabulary: the *store* holds the files (local disk or an object store); *scratch* is a
 * process-local folder where a worker keeps copies for tools that need a path (ffmpeg).
 * With the local driver the two are the same folder and every copy is free.
 */
export interface Storage {
  readonly driver: StorageDriver;
  /** The local folder `resolve` maps into (local: the store; S3: this process's scratch). */
  readonly root: string;
  resolve(relativePath: string): string;
  /** A local path holding the file's bytes (S3: downloaded into scratch once per job). */
  materialize(relativePath: string): Promise<string>;
  /** Store a file a tool wrote at `resolve(relativePath)` (S3: upload it); returns its size and hash. */
  persist(relativePath: string, contentType?: string): Promise<StoredFile>;
  /** Size of a stored file, or null when it is not there. */
  stat(relativePath: string): Promise<{ sizeBytes: number } | null>;
  /** Read a stored file, whole or one byte range. */
  read(relativePath: string, range?: ByteRange): Promise<Readable>;
  /** A short-lived URL that serves the file directly, or null when the driver has none (local). */
  presign(
    relativePath: string,
    opts: { ttlSeconds: number; filename: string; contentType: string },
  ): Promise<string | null>;
  /** Every stored file's relative path (for `storage verify`). */
  list(): AsyncIterable<string>;
  /** Every file in the store with its size and age, half-written `.partial-` files included. */
  listEntries(): AsyncIterable<StoredEntry>;
  /** Drop the scratch copies of one analysis (no-op for the local driver, whose copies are the store). */
  releaseScratch(analysisId: string): Promise<void>;
  /** Remove scratch left by processes that died (called when a worker starts). Returns entries removed. */
  sweepScratch(): Promise<number>;
  /** Throws when the store cannot be reached (readiness). */
  check(): Promise<void>;
  /** Release connections (S3 client sockets). */
  close(): Promise<void>;
  /** Stream into a file, computing size and sha-256; over `maxBytes` the file is removed and MEDIA_TOO_LARGE thrown. */
  writeStream(
    relativePath: string,
    source: Readable,
    opts?: { maxBytes?: number; signal?: AbortSignal; contentType?: string },
  ): Promise<StoredFile>;
  writeBuffer(relativePath: string, data: Buffer | string): Promise<StoredFile>;
  remove(relativePath: string): Promise<void>;
  /** Remove an analysis folder with everything in it. */
  removeDir(relativeDir: string): Promise<void>;
  exists(relativePath: string): Promise<boolean>;
}

export class LocalFileStorage implements Storage {
  readonly driver = 'local' as const;
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
    return { relativePath, absolutePath, location: absolutePath, sizeBytes: size, sha256: hash.digest('hex') };
  }

  async writeBuffer(relativePath: string, data: Buffer | string): Promise<StoredFile> {
    const absolutePath = this.resolve(relativePath);
    await fsp.mkdir(path.dirname(absolutePath), { recursive: true });
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    await fsp.writeFile(absolutePath, buf);
    return {
      relativePath,
      absolutePath,
      location: absolutePath,
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

  async materialize(relativePath: string): Promise<string> {
    return this.resolve(relativePath);
  }

  async persist(relativePath: string): Promise<StoredFile> {
    const absolutePath = this.resolve(relativePath);
    const { sizeBytes, sha256 } = await hashFile(absolutePath);
    return { relativePath, absolutePath, location: absolutePath, sizeBytes, sha256 };
  }

  async stat(relativePath: string): Promise<{ sizeBytes: number } | null> {
    const st = await fsp.stat(this.resolve(relativePath)).catch(() => null);
    return st?.isFile() ? { sizeBytes: st.size } : null;
  }

  async read(relativePath: string, range?: ByteRange): Promise<Readable> {
    const absolutePath = this.resolve(relativePath);
    await fsp.access(absolutePath);
    return fs.createReadStream(absolutePath, range ? { start: range.start, end: range.end } : {});
  }

  async presign(): Promise<string | null> {
    return null;
  }

  async *list(): AsyncIterable<string> {
    for await (const rel of walkFiles(this.root, '')) if (!rel.includes('.partial-')) yield rel;
  }

  async *listEntries(): AsyncIterable<StoredEntry> {
    for await (const relativePath of walkFiles(this.root, '')) {
      // Gone between the listing and the stat (a rename, a cleanup): not a file any more.
      const st = await fsp.stat(path.join(this.root, relativePath)).catch(() => null);
      if (st?.isFile()) yield { relativePath, sizeBytes: st.size, modifiedAt: st.mtime };
    }
  }

  async releaseScratch(): Promise<void> {}

  async sweepScratch(): Promise<number> {
    return 0;
  }

  async check(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    await fsp.access(this.root, fs.constants.W_OK);
  }

  async close(): Promise<void> {}
}

/** Size and sha-256 of a local file, streamed (artifacts can be large). */
export async function hashFile(absolutePath: string): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = crypto.createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of fs.createReadStream(absolutePath)) {
    sizeBytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

/** Files under `root/dir`, as paths relative to root (half-written `.partial-` files included). */
async function* walkFiles(root: string, dir: string): AsyncGenerator<string> {
  const entries = await fsp.readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) yield* walkFiles(root, rel);
    else if (e.isFile()) yield rel;
  }
}
