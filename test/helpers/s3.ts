/**
 * A local S3-protocol server for tests: s3rver (files in a temporary folder) behind a
 * small recording proxy, so a test can see which S3 calls were made (for example the
 * AbortMultipartUpload after a refused upload, which s3rver itself ignores).
 */
import http from 'node:http';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import type { S3StorageSettings } from '../../src/storage/s3-client.ts';
import { freePort } from './net.ts';

/** s3rver's fixed account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** `METHOD path?query` of every request that reached the store, in order. */
  requests: string[];
  /** Settings for an S3Storage on this server (scratch in its own temporary folder). */
  settings(prefix?: string): Promise<S3StorageSettings>;
  /** Environment for a child process using this server. */
  env(prefix?: string): Record<string, string>;
  /** Make an object look `ageMs` old (its LastModified is the stored file's mtime). */
  age(key: string, ageMs: number): Promise<void>;
  /** An endpoint where nothing listens (the store is down). */
  unreachableEndpoint(): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestS3(bucket = 'media-test'): Promise<TestS3> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port: s3Port } = (await server.run()) as AddressInfo;
  const requests: string[] = [];
  const proxy = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = http.request(
      { host: '127.0.0.1', port: s3Port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const scratchDirs: string[] = [];
  return {
    endpoint,
    bucket,
    requests,
    async settings(prefix = 'media/') {
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-scratch-'));
      scratchDirs.push(scratch);
      return {
        bucket,
        prefix,
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        scratchDir: path.join(scratch, 'scratch', `test-${process.pid}-00000000`),
        connectTimeoutMs: 1_000,
        maxAttempts: 1,
      };
    },
    env(prefix = 'media/') {
      return {
        STORAGE_DRIVER: 's3',
        S3_BUCKET: bucket,
        S3_PREFIX: prefix,
        S3_ENDPOINT: endpoint,
        S3_REGION: 'us-east-1',
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      };
    },
    async age(key, ageMs) {
      const parts = key.split('/');
      const file = path.join(dir, bucket, ...parts.slice(0, -1), `${parts.at(-1)}._S3rver_object`);
      const when = new Date(Date.now() - ageMs);
      await fs.utimes(file, when, when);
    },
    async unreachableEndpoint() {
      return `http://127.0.0.1:${await freePort()}`;
    },
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.close();
      await fs.rm(dir, { recursive: true, force: true });
      for (const d of scratchDirs) await fs.rm(d, { recursive: true, force: true });
    },
  };
}
