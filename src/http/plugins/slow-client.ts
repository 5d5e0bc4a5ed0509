/**
 * Slow-loris defence (issue #10, defect 7). Node's own timers cut a client whose headers
 * (`headersTimeout`) or whole request (`requestTimeout`) arrive too slowly; on top, a
 * request body that stops making progress for `uploadIdleTimeoutMs` is cut off. Every
 * connection closed this way is counted (`media_analysis_http_connections_closed_total`).
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '../problem.ts';

/** Why a slow connection was closed: a bounded label set for the metric. */
export const SLOW_CLOSE_REASONS = ['request_timeout', 'body_idle'] as const;
export type SlowCloseReason = (typeof SLOW_CLOSE_REASONS)[number];

/** How often Node checks headersTimeout/requestTimeout (its default, 30 s, would add up to 30 s of slack). */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

export interface SlowClientOptions {
  uploadIdleTimeoutMs: number;
  onClosed?: (reason: SlowCloseReason) => void;
}

/**
 * Fastify's `clientErrorHandler`: Node reports a request or headers timeout as
 * ERR_HTTP_REQUEST_TIMEOUT; answer 408 problem+json when the socket can still take it,
 * count it, and close. Other client errors get a plain 400, as Fastify's default does.
 */
export function slowClientErrorHandler(onClosed?: (reason: SlowCloseReason) => void) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) onClosed?.('request_timeout');
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const status = timedOut ? 408 : 400;
      const body = JSON.stringify({
        type: `https://media-analysis.dev/problems/${timedOut ? 'request-timeout' : 'bad-request'}`,
        title: timedOut ? 'The request did not arrive in time' : 'Bad request',
        status,
        code: timedOut ? 'REQUEST_TIMEOUT' : 'BAD_REQUEST',
      });
      socket.write(
        `HTTP/1.1 ${status} ${timedOut ? 'Request Timeout' : 'Bad Request'}\r\n` +
          `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}

/** Cut off request bodies that stall: the socket's idle timer runs only while a body is arriving. */
export function registerUploadIdleTimeout(app: FastifyInstance, opts: SlowClientOptions): void {
  // A callback hook: it is on every request's path and never waits for anything.
  app.addHook('onRequest', (request, _reply, done) => {
    const { raw } = request;
    const hasBody = raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0;
    const socket = raw.socket as Socket | undefined;
    // (app.inject() has no real socket, and nothing to time out.)
    if (!hasBody || raw.complete || typeof socket?.setTimeout !== 'function') {
      done();
      return;
    }
    const onIdle = () => {
      opts.onClosed?.('body_idle');
      request.log.info({ idle_ms: opts.uploadIdleTimeoutMs }, 'request body stalled; connection closed');
      socket.destroy();
    };
    const stop = () => {
      socket.setTimeout(0);
      socket.removeListener('timeout', onIdle);
    };
    socket.setTimeout(opts.uploadIdleTimeoutMs, onIdle);
    raw.once('end', stop);
    raw.once('close', stop);
    done();
  });
}
