/**
 * HTTP for providers: a timeout on every call; retries only for what may pass
 * (connection errors, 408/429, 5xx, unreadable JSON) with jittered back-off, waiting at
 * least as long as a Retry-After header asks; any other 4xx fails at once. API keys
 * travel in headers only and never appear in errors.
 */
import { request, Agent, type Dispatcher } from 'undici';
import {
  DelegateBackoff,
  handleWhen,
  retry,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';
import { exponentialBackoff } from '../resilience/backoff.ts';

export class ProviderError extends Error {
  readonly status: number | null;
  readonly retryable: boolean;
  readonly attempts: number;
  /** How long the server asked us to wait (Retry-After), if it did. */
  readonly retryAfterMs: number | null;
  constructor(
    message: string,
    opts: {
      status: number | null;
      retryable: boolean;
      attempts: number;
      retryAfterMs?: number | null;
      cause?: unknown;
    },
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ProviderError';
    this.status = opts.status;
    this.retryable = opts.retryable;
    this.attempts = opts.attempts;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

/** Longest Retry-After we honour; beyond it the breaker and the job's back-off take over. */
export const MAX_RETRY_AFTER_MS = 60_000;

export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(v) * 1000));
  const date = Date.parse(v);
  return Number.isNaN(date) ? null : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface CallOptions {
  timeoutMs: number;
  maxRetries: number;
  signal?: AbortSignal | undefined;
  backoff?: { baseMs: number; capMs: number };
  /** Called before each retry (for logs and tests). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

const agent: Dispatcher = new Agent({ connections: 32, keepAliveTimeout: 30_000 });

/** One POST; any failure is a ProviderError saying whether another attempt may pass. */
async function attemptOnce<T>(
  url: string,
  body: { json?: unknown; raw?: Buffer | FormData; contentType?: string },
  headers: Record<string, string>,
  opts: CallOptions,
  attempt: number,
): Promise<T> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  let status: number | null = null;
  let retryAfterMs: number | null = null;
  let reason: string;
  try {
    let payload: string | Buffer | FormData;
    const h: Record<string, string> = { ...headers };
    if (body.json !== undefined) {
      payload = JSON.stringify(body.json);
      h['content-type'] = 'application/json';
    } else {
      payload = body.raw!;
      if (body.contentType) h['content-type'] = body.contentType;
    }
    const res = await request(url, {
      method: 'POST',
      headers: h,
      body: payload as string,
      signal,
      dispatcher: agent,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    status = res.statusCode;
    const text = await res.body.text();
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text) as T;
      } catch {
        reason = 'unreadable JSON in the answer';
      }
    } else {
      retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      reason = `HTTP ${status}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`;
      if (!isRetryableStatus(status))
        throw new ProviderError(`Provider refused the request (${reason})`, {
          status,
          retryable: false,
          attempts: attempt,
        });
    }
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    reason = deadline.aborted ? `timed out after ${opts.timeoutMs} ms` : `connection failed: ${(err as Error).message}`;
  }
  throw new ProviderError(`Provider call failed after ${attempt} attempt(s): ${reason}`, {
    status,
    retryable: true,
    attempts: attempt,
    retryAfterMs,
  });
}

/** cockatiel's jittered back-off, but never shorter than the Retry-After the server asked for. */
function honouringRetryAfter(opts: CallOptions): IBackoffFactory<IRetryBackoffContext<unknown>> {
  const exponential = exponentialBackoff(opts.backoff ?? { baseMs: 500, capMs: 10_000 });
  return new DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>>((context, previous) => {
    const next = previous ? previous.next(undefined) : exponential.next();
    const failure = 'error' in context.result ? context.result.error : null;
    const asked = failure instanceof ProviderError ? (failure.retryAfterMs ?? 0) : 0;
    return { delay: Math.max(asked, next.duration), state: next };
  });
}

/** Settles with `work`, or rejects at once when `signal` aborts (cockatiel's back-off sleep is not abortable). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** POST and parse a JSON answer, with the retry policy above (cockatiel's retry). */
export async function postForJson<T>(
  url: string,
  body: { json?: unknown; raw?: Buffer | FormData; contentType?: string },
  headers: Record<string, string>,
  opts: CallOptions,
): Promise<{ data: T; attempts: number }> {
  const policy = retry(
    handleWhen((err) => err instanceof ProviderError && err.retryable && !opts.signal?.aborted),
    { maxAttempts: opts.maxRetries, backoff: honouringRetryAfter(opts) },
  );
  policy.onRetry((event) => {
    const reason = 'error' in event ? (event.error as Error).message : 'no answer';
    opts.onRetry?.({ attempt: event.attempt, delayMs: event.delay, reason });
  });
  let attempts = 0;
  const data = await untilAborted(
    policy.execute(() => {
      attempts++;
      if (opts.signal?.aborted) throw opts.signal.reason;
      return attemptOnce<T>(url, body, headers, opts, attempts);
    }),
    opts.signal,
  );
  return { data, attempts };
}
