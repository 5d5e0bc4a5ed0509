/**
 * Sends one signed webhook over HTTP, under the same SSRF rules as media downloads:
 * the connection goes through the guarded agent (resolved address checked at connect
 * time, private addresses refused unless allow-listed), redirects are not followed, the
 * whole exchange has a deadline, and at most `maxResponseBytes` of the answer are read —
 * a receiver that hangs or streams 10 MB is cut off, and that is what the log says.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { request, type Agent } from 'undici';
import { Webhook } from 'standardwebhooks';
import { AppError } from '../domain/errors.ts';
import type { SigningSecrets } from '../contract/webhook.types.ts';
import { bareHost, classifyAddress, effectivePort, hostAllowed, isForbiddenHostname } from './address-policy.ts';
import { createGuardedAgent } from './safe-download.ts';

export interface WebhookRequest {
  url: string;
  messageId: string;
  body: string;
  secrets: SigningSecrets;
  /** The send time (seconds resolution goes into webhook-timestamp). */
  now?: Date;
}

export interface WebhookResult {
  statusCode: number | null;
  latencyMs: number;
  /** The first bytes of the answer (UTF-8, possibly cut mid-character). */
  responseBody: string | null;
  error: string | null;
  retryAfter: string | null;
}

export interface SenderOptions {
  agent: Agent;
  timeoutMs: number;
  maxResponseBytes: number;
  userAgent?: string;
}

/** `webhook-signature`: one `v1,<sig>` per secret in use, space-separated (Standard Webhooks). */
export function signatureHeader(secrets: SigningSecrets, messageId: string, at: Date, body: string): string {
  const keys = secrets.previous ? [secrets.current, secrets.previous] : [secrets.current];
  return keys.map((k) => new Webhook(k).sign(messageId, at, body)).join(' ');
}

export function signedHeaders(req: WebhookRequest): Record<string, string> {
  const at = req.now ?? new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': req.messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatureHeader(req.secrets, req.messageId, at, req.body),
  };
}

const UNDICI_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export async function sendWebhook(req: WebhookRequest, opts: SenderOptions): Promise<WebhookResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await request(req.url, {
      method: 'POST',
      dispatcher: opts.agent,
      signal: deadline,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      headers: { ...signedHeaders(req), 'user-agent': opts.userAgent ?? 'media-analysis-webhooks/0.1' },
      body: req.body,
    });
    const { text, truncated } = await readPrefix(res.body, opts.maxResponseBytes);
    const retryAfter = res.headers['retry-after'];
    const redirect = res.statusCode >= 300 && res.statusCode < 400;
    const error = redirect
      ? `redirect ${res.statusCode} not followed${typeof res.headers.location === 'string' ? ` (to ${res.headers.location.slice(0, 200)})` : ''}`
      : truncated
        ? `response cut off after ${opts.maxResponseBytes} bytes`
        : null;
    return {
      statusCode: res.statusCode,
      latencyMs: elapsed(),
      responseBody: text,
      error: res.statusCode >= 200 && res.statusCode < 300 && !truncated ? null : error,
      retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
    };
  } catch (err) {
    // The deadline and undici's own header/body timers are set alike; whichever fires first, it is a timeout.
    const timedOut = deadline.aborted || UNDICI_TIMEOUTS.has((err as { code?: unknown } | null)?.code as string);
    return {
      statusCode: null,
      latencyMs: elapsed(),
      responseBody: null,
      error: timedOut ? `no answer within ${opts.timeoutMs} ms; cut off` : describe(err),
      retryAfter: null,
    };
  }
}

/** Read at most `limit` bytes, then drop the connection's remaining body. */
async function readPrefix(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      truncated = true;
      break;
    }
  }
  if (truncated) body.destroy();
  return { text: Buffer.concat(chunks).subarray(0, limit).toString('utf8'), truncated };
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof AppError) return cause.message;
  if (err instanceof AppError) return err.message;
  const code = (err as { code?: string })?.code;
  const message = (err as Error)?.message ?? String(err);
  return code ? `${code}: ${message}` : message;
}

/**
 * Check at registration that a callback URL does not point at a forbidden address
 * (the connect-time check still applies at every send, since DNS answers change).
 */
export async function checkWebhookAddress(url: URL, allowHosts: readonly string[]): Promise<void> {
  if (hostAllowed(allowHosts, url.hostname, effectivePort(url))) return;
  const host = bareHost(url.hostname);
  if (isForbiddenHostname(host)) throw new AppError('WEBHOOK_URL_FORBIDDEN', `Host ${host} is not allowed`);
  let answers: Array<{ address: string }>;
  try {
    answers = net.isIP(host) ? [{ address: host }] : await dns.lookup(host, { all: true, verbatim: true });
  } catch {
    throw new AppError('WEBHOOK_URL_INVALID', `Host ${host} does not resolve`);
  }
  for (const a of answers) {
    const verdict = classifyAddress(a.address);
    if (!verdict.allowed) {
      throw new AppError(
        'WEBHOOK_URL_FORBIDDEN',
        `Host ${host} resolves to a ${verdict.range} address; only public addresses are allowed (operators can allow hosts with WEBHOOK_ALLOW_HOSTS)`,
      );
    }
  }
}

/** The sender with its own guarded connection pool, as the runtime and tests build it. */
export interface WebhookSender {
  send(req: WebhookRequest): Promise<WebhookResult>;
  checkAddress(url: URL): Promise<void>;
  close(): Promise<void>;
}

/** Sockets per receiver origin when the caller does not say how many sends it runs at once. */
const DEFAULT_CONNECTIONS = 32;

export function createWebhookSender(cfg: {
  allowHosts: readonly string[];
  timeoutMs: number;
  maxResponseBytes: number;
  /**
   * The most sends this process runs at once (WEBHOOK_CONCURRENCY). Endpoints on one host
   * share its sockets, so the pool holds that many: with fewer, a slow endpoint's sends
   * hold every socket and the other endpoints on the host wait (their timeout running).
   */
  concurrency?: number;
}): WebhookSender {
  const agent = createGuardedAgent(
    { allowHosts: cfg.allowHosts, timeoutMs: cfg.timeoutMs },
    cfg.concurrency ?? DEFAULT_CONNECTIONS,
  );
  const opts: SenderOptions = { agent, timeoutMs: cfg.timeoutMs, maxResponseBytes: cfg.maxResponseBytes };
  return {
    send: (req) => sendWebhook(req, opts),
    checkAddress: (url) => checkWebhookAddress(url, cfg.allowHosts),
    close: () => agent.close(),
  };
}
