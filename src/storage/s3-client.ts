/**
 * The S3 driver's settings, its SDK client, and the mapping of SDK and network errors
 * to the error catalogue (an unreachable store or a 5xx is STORAGE_UNAVAILABLE, retryable).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { AppError } from '../domain/errors.ts';

export interface S3StorageSettings {
  bucket: string;
  /** Key prefix, e.g. `media/` (a missing trailing slash is added). */
  prefix: string;
  /** Custom endpoint for non-AWS stores (MinIO, R2, …); unset for AWS. */
  endpoint: string | null;
  region: string;
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and most self-hosted stores need. */
  forcePathStyle: boolean;
  /** This process's scratch folder (see scratch.ts). */
  scratchDir: string;
  /** Multipart part size; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded at once (memory bound = partSizeBytes × queueSize). */
  queueSize?: number;
  /** How long a connection attempt may take before the store counts as unreachable. */
  connectTimeoutMs?: number;
  /** Attempts per request (the SDK retries transient errors with back-off). */
  maxAttempts?: number;
}

/** S3's minimum part size; also ours, so an upload holds at most a few parts in memory. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 2;
const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** A socket idle this long is dead (a stalled transfer, not a slow one). */
const SOCKET_IDLE_TIMEOUT_MS = 60_000;

/** Network-level failures that mean "the store is not reachable right now". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', // nothing listens at the endpoint
  'ECONNRESET', // connection dropped mid-request
  'ETIMEDOUT', // connect or socket timeout
  'ENOTFOUND', // DNS name does not resolve
  'EAI_AGAIN', // DNS temporarily failing
  'EHOSTUNREACH', // no route to host
  'EPIPE', // peer closed while we wrote
]);

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const e = err as SdkError | null;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || statusOf(err) === 404;
}

/** Map an SDK or network error to the catalogue: unreachable or 5xx → STORAGE_UNAVAILABLE (retryable). */
export function mapS3Error(err: unknown, what: string): Error {
  if (err instanceof AppError) return err;
  const e = err as SdkError & Error;
  const code = e?.code ?? (e as { cause?: { code?: string } })?.cause?.code;
  const status = statusOf(err);
  if (
    (code && UNREACHABLE_CODES.has(code)) ||
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError' ||
    status === undefined ||
    status >= 500
  ) {
    return new AppError('STORAGE_UNAVAILABLE', `The object store is unavailable (${what})`, {
      cause: err,
      headers: { 'retry-after': '5' },
    });
  }
  return new AppError('INTERNAL_ERROR', `Object store refused ${what} (HTTP ${status})`, { cause: err });
}

/** The SDK client for these settings: bounded connect and idle timeouts, retries, checksums only where required. */
export function createS3Client(settings: S3StorageSettings, clientOverrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: settings.maxAttempts ?? 3,
    // Checksums only where S3 requires them: several S3-compatible stores reject the
    // newer default (aws-chunked bodies with trailing CRC32).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      socketTimeout: SOCKET_IDLE_TIMEOUT_MS,
    },
    ...clientOverrides,
  });
}
