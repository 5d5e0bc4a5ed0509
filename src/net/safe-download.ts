/**
 * SSRF-safe download of a client's media URL.
 * - http/https only; at most `maxRedirects` hops, each one re-checked.
 * - The address is checked at connect time, in undici's connector, after DNS
 *   resolution: the socket connects to exactly the address that was checked, so a DNS
 *   answer that changes between check and use (rebinding) cannot slip through.
 * - Size and time limits; the body streams straight into storage.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { Agent, buildConnector, request, errors as undiciErrors } from 'undici';
import type { Readable } from 'node:stream';
import { AppError } from '../domain/errors.ts';
import { bareHost, classifyAddress, hostAllowed, isForbiddenHostname } from './address-policy.ts';

export interface DownloadPolicy {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** Hosts (name or IP, optionally with :port) an operator trusts even when private. */
  allowHosts: readonly string[];
}

export interface DownloadResponse {
  finalUrl: string;
  contentType: string | null;
  contentLength: number | null;
  body: Readable;
  redirects: number;
}

/** getaddrinfo's answer for a name that does not exist. */
const DNS_NOT_FOUND = 'ENOTFOUND';

/** Resolve a hostname and return the first address, refusing if any answer is forbidden. */
async function resolveChecked(hostname: string): Promise<{ address: string; family: number }> {
  const host = bareHost(hostname);
  if (isForbiddenHostname(host)) throw new AppError('MEDIA_URL_FORBIDDEN', `Host ${host} is not allowed`);
  const answers = net.isIP(host)
    ? [{ address: host, family: net.isIP(host) }]
    : await dns.lookup(host, { all: true, verbatim: true }).catch((err: unknown) => {
        // The name does not exist (NXDOMAIN): asking again will not make it. A temporary
        // failure (EAI_AGAIN, a resolver timeout) stays a transient, retried error.
        if ((err as { code?: string }).code === DNS_NOT_FOUND)
          throw new AppError('MEDIA_DOWNLOAD_REFUSED', `Host ${host} does not exist`);
        throw err;
      });
  if (answers.length === 0) throw new AppError('MEDIA_DOWNLOAD_REFUSED', `Host ${host} did not resolve`);
  for (const a of answers) {
    const verdict = classifyAddress(a.address);
    if (!verdict.allowed) {
      throw new AppError('MEDIA_URL_FORBIDDEN', `Host ${host} resolves to a forbidden address (${verdict.range})`);
    }
  }
  return answers[0]!;
}

/**
 * An undici dispatcher whose every connection is checked against the address policy.
 * `connections` caps the sockets per origin (host and port); requests beyond it queue.
 */
export function createGuardedAgent(policy: Pick<DownloadPolicy, 'allowHosts' | 'timeoutMs'>, connections = 8): Agent {
  const base = buildConnector({ timeout: Math.min(policy.timeoutMs, 30_000) });
  const connect: buildConnector.connector = (opts, cb) => {
    const port = opts.port || (opts.protocol === 'https:' ? '443' : '80');
    if (hostAllowed(policy.allowHosts, opts.hostname, port)) {
      base(opts, cb);
      return;
    }
    resolveChecked(opts.hostname).then(
      ({ address }) => {
        const servername = net.isIP(bareHost(opts.hostname)) ? undefined : (opts.servername ?? opts.hostname);
        base({ ...opts, hostname: address, ...(servername ? { servername } : {}) }, cb);
      },
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err)), null),
    );
  };
  return new Agent({ connect, connections });
}

/** Validate the shape of a client-provided media URL (scheme, no credentials). */
export function checkMediaUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('MEDIA_URL_FORBIDDEN', 'media_url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('MEDIA_URL_FORBIDDEN', `Scheme ${url.protocol} is not allowed; use http or https`);
  }
  if (url.username || url.password)
    throw new AppError('MEDIA_URL_FORBIDDEN', 'Credentials in media_url are not allowed');
  return url;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Open the URL following checked redirects; the caller consumes `body`. */
export async function openDownload(
  rawUrl: string,
  policy: DownloadPolicy,
  agent: Agent,
  signal?: AbortSignal,
): Promise<DownloadResponse> {
  let url = checkMediaUrl(rawUrl);
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  for (let hop = 0; ; hop++) {
    let res;
    try {
      res = await request(url, {
        method: 'GET',
        dispatcher: agent,
        signal: combined,
        headersTimeout: policy.timeoutMs,
        bodyTimeout: policy.timeoutMs,
        headers: { 'user-agent': 'media-analysis/0.1', accept: '*/*' },
      });
    } catch (err) {
      throw mapNetworkError(err, deadline, signal);
    }
    if (REDIRECT_STATUSES.has(res.statusCode)) {
      res.body.resume();
      const location = res.headers.location;
      if (typeof location !== 'string')
        throw new AppError('MEDIA_DOWNLOAD_REFUSED', `Redirect ${res.statusCode} without a Location`);
      if (hop + 1 > policy.maxRedirects)
        throw new AppError('TOO_MANY_REDIRECTS', `More than ${policy.maxRedirects} redirects`);
      url = checkMediaUrl(new URL(location, url).toString());
      continue;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      res.body.resume();
      // 408/429/5xx may succeed later; other 4xx will not.
      const transient = res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500;
      throw new AppError(
        transient ? 'MEDIA_DOWNLOAD_FAILED' : 'MEDIA_DOWNLOAD_REFUSED',
        `The media server answered ${res.statusCode}`,
      );
    }
    const lengthHeader = res.headers['content-length'];
    const contentLength = typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    if (contentLength !== null && contentLength > policy.maxBytes) {
      res.body.on('error', () => undefined);
      res.body.destroy();
      throw new AppError('MEDIA_TOO_LARGE', `The media is ${contentLength} bytes; the limit is ${policy.maxBytes}`);
    }
    const ct = res.headers['content-type'];
    return {
      finalUrl: url.toString(),
      contentType: typeof ct === 'string' ? ct : null,
      contentLength,
      body: res.body,
      redirects: hop,
    };
  }
}

export function mapNetworkError(err: unknown, deadline?: AbortSignal, signal?: AbortSignal): unknown {
  if (err instanceof AppError) return err;
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof AppError) return cause;
  if (signal?.aborted) return err;
  if (
    deadline?.aborted ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new AppError('MEDIA_DOWNLOAD_TIMEOUT', 'The media download timed out', { cause: err });
  }
  return new AppError('MEDIA_DOWNLOAD_FAILED', `The media download failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
