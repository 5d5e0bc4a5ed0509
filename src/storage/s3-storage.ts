/**
 * The S3 driver: files live in an S3-compatible object store (AWS S3, MinIO, R2, Ceph
 * RGW, GCS interoperability) under `<S3_PREFIX><relativePath>`; the relative paths are
 * the same as the local driver's, so rows, retention and backups do not care which
 * driver wrote them.
 *
 * - Uploads stream into the store with a multipart upload (lib-storage) holding at most
 *   `queueSize` parts of `partSizeBytes` in memory; on an error, a client disconnect or
 *   the size limit the multipart upload is aborted, so nothing is left behind.
 * - A worker's tools get local paths: `materialize` downloads into this process's
 *   scratch folder, `persist` uploads what a tool wrote there; `releaseScratch` drops
 *   the copies when the job ends.
 * - Credentials come from the standard AWS chain (environment, profiles, instance and
 *   pod roles); this module never reads or logs them.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  HeadBucketCommand,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError } from '../domain/errors.ts';
import {
  createS3Client,
  DEFAULT_QUEUE_SIZE,
  isNotFound,
  mapS3Error,
  S3_MIN_PART_BYTES,
  type S3StorageSettings,
} from './s3-client.ts';
import { securePath, hashFile, type ByteRange, type Storage, type StoredEntry, type StoredFile } from './storage.ts';
import { removeAnalysisScratch, sweepScratchParent } from './scratch.ts';
export class S3Storage implements Storage {
  readonly driver = 's3' as const;
  readonly root: string;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(settings: S3StorageSettings, clientOverrides: Partial<S3ClientConfig> = {}) {
    this.root = path.resolve(settings.scratchDir);
    this.bucket = settings.bucket;
    this.prefix = settings.prefix && !settings.prefix.endsWith('/') ? `${settings.prefix}/` : settings.prefix;
    this.partSize = Math.max(settings.partSizeBytes ?? S3_MIN_PART_BYTES, S3_MIN_PART_BYTES);
    this.queueSize = settings.queueSize ?? DEFAULT_QUEUE_SIZE;
    this.client = createS3Client(settings, clientOverrides);
  }

  /** The object key of a relative path (validated like a local path: no `..`, not absolute). */
  key(relativePath: string): string {
    securePath(this.root, relativePath);
    return `${this.prefix}${relativePath}`;
  }

  private location(relativePath: string): string {
    return `s3://${this.bucket}/${this.key(relativePath)}`;
  }

  resolve(relativePath: string): string {
    return securePath(this.root, relativePath);
  }

  async writeStream(
    relativePath: string,
    source: Readable,
    opts: { maxBytes?: number; signal?: AbortSignal; contentType?: string } = {},
  ): Promise<StoredFile> {
    const key = this.key(relativePath);
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
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: meter,
        ...(opts.contentType ? { ContentType: opts.contentType } : {}),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    let streamError: unknown = null;
    const piping = pipeline(source, meter, opts.signal ? { signal: opts.signal } : {}).catch((err: unknown) => {
      streamError = err;
      throw err;
    });
    const uploading = upload.done();
    // Both are awaited below; these handlers only keep the loser from being "unhandled".
    piping.catch(() => undefined);
    uploading.catch(() => undefined);
    try {
      await Promise.all([piping, uploading]);
    } catch (err) {
      meter.destroy();
      if (!source.destroyed) source.destroy();
      // Abort the multipart upload (its parts) and remove an object a racing PutObject may have made.
      await upload.abort().catch(() => undefined);
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => undefined);
      if (streamError instanceof AppError) throw streamError;
      if (opts.signal?.aborted || streamError) throw streamError ?? err;
      throw mapS3Error(err, 'upload');
    }
    return {
      relativePath,
      absolutePath: this.resolve(relativePath),
      location: this.location(relativePath),
      sizeBytes: size,
      sha256: hash.digest('hex'),
    };
  }

  async writeBuffer(relativePath: string, data: Buffer | string): Promise<StoredFile> {
    const absolutePath = this.resolve(relativePath);
    await fsp.mkdir(path.dirname(absolutePath), { recursive: true });
    await fsp.writeFile(absolutePath, data);
    return this.persist(relativePath);
  }

  async persist(relativePath: string, contentType?: string): Promise<StoredFile> {
    const absolutePath = this.resolve(relativePath);
    const { sizeBytes, sha256 } = await hashFile(absolutePath);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.key(relativePath),
        Body: fs.createReadStream(absolutePath),
        ContentLength: sizeBytes,
        ...(contentType ? { ContentType: contentType } : {}),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    await upload.done().catch((err: unknown) => {
      throw mapS3Error(err, 'upload');
    });
    return { relativePath, absolutePath, location: this.location(relativePath), sizeBytes, sha256 };
  }

  async materialize(relativePath: string): Promise<string> {
    const absolutePath = this.resolve(relativePath);
    if (
      await fsp.stat(absolutePath).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return absolutePath;
    await fsp.mkdir(path.dirname(absolutePath), { recursive: true });
    const partial = `${absolutePath}.partial-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      const body = await this.read(relativePath);
      await pipeline(body, fs.createWriteStream(partial));
      await fsp.rename(partial, absolutePath);
    } catch (err) {
      await fsp.rm(partial, { force: true });
      throw err;
    }
    return absolutePath;
  }

  async stat(relativePath: string): Promise<{ sizeBytes: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(relativePath) }));
      return { sizeBytes: Number(head.ContentLength ?? 0) };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw mapS3Error(err, 'stat');
    }
  }

  async exists(relativePath: string): Promise<boolean> {
    return (await this.stat(relativePath)) !== null;
  }

  async read(relativePath: string, range?: ByteRange): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(relativePath),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new AppError('ARTIFACT_NOT_FOUND', 'The file is no longer stored');
      throw mapS3Error(err, 'read');
    }
  }

  async presign(
    relativePath: string,
    opts: { ttlSeconds: number; filename: string; contentType: string },
  ): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.key(relativePath),
      ResponseContentType: opts.contentType,
      ResponseContentDisposition: `inline; filename="${opts.filename.replace(/["\\\r\n]/g, '_')}"`,
    });
    return getSignedUrl(this.client, command, { expiresIn: opts.ttlSeconds });
  }

  async remove(relativePath: string): Promise<void> {
    await fsp.rm(this.resolve(relativePath), { force: true });
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(relativePath) }));
    } catch (err) {
      if (!isNotFound(err)) throw mapS3Error(err, 'delete');
    }
  }

  async removeDir(relativeDir: string): Promise<void> {
    await fsp.rm(this.resolve(relativeDir), { recursive: true, force: true });
    const keys: string[] = [];
    for await (const o of this.listUnder(`${relativeDir.replace(/\/+$/, '')}/`)) keys.push(o.relativePath);
    // One at a time: an analysis folder holds a few dozen files at most, and some
    // S3-compatible servers mishandle concurrent deletes in one folder.
    for (const k of keys) await this.remove(k);
  }

  async *list(): AsyncIterable<string> {
    for await (const o of this.listUnder('')) yield o.relativePath;
  }

  /** Objects only: an upload killed halfway leaves an incomplete multipart upload, not an object. */
  listEntries(): AsyncIterable<StoredEntry> {
    return this.listUnder('');
  }

  private async *listUnder(relativePrefix: string): AsyncGenerator<StoredEntry> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${this.prefix}${relativePrefix}`,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (err) {
        throw mapS3Error(err, 'list');
      }
      for (const o of page.Contents ?? [])
        if (o.Key)
          yield {
            relativePath: o.Key.slice(this.prefix.length),
            sizeBytes: Number(o.Size ?? 0),
            modifiedAt: o.LastModified ?? new Date(),
          };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async releaseScratch(analysisId: string): Promise<void> {
    await removeAnalysisScratch(this.root, analysisId);
  }

  async sweepScratch(): Promise<number> {
    await fsp.mkdir(this.root, { recursive: true });
    return sweepScratchParent(path.dirname(this.root), path.basename(this.root));
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw mapS3Error(err, 'bucket check');
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
