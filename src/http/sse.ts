/**
 * One Server-Sent Events stream over the analysis event log.
 *
 * Gap-free resume: the stream subscribes to the hub first, then reads the table from its
 * cursor (the client's Last-Event-ID), then follows live events. Live events that arrive
 * while it is reading, or while the socket is backed up, are not buffered: a flag says
 * "read again", and the table (ordered per tenant in commit order) supplies them. Memory
 * per stream stays at the socket's own buffer however slow the reader.
 */
import type { ServerResponse } from 'node:http';
import type { AnalysisEvent } from '../contract/webhook.types.ts';
import type { EventHub } from '../events/event-hub.ts';
import { redactEventData } from '../domain/analysis/analysis-events.service.ts';

/** Event types after which an analysis stream ends. */
export const TERMINAL_EVENT_TYPES = new Set(['completed', 'failed', 'cancelled', 'deleted']);
/** Rows read per catch-up query. */
const CATCH_UP_PAGE = 200;
/** Reconnect delay suggested to EventSource clients. */
const CLIENT_RETRY_MS = 2000;

export interface StreamOptions {
  res: ServerResponse;
  hub: EventHub;
  tenantId: string;
  analysisId?: string | undefined;
  /** Resume after this event id. */
  cursor: number;
  heartbeatMs: number;
  /** Events after `afterId`, oldest first. */
  readAfter(afterId: number, limit: number): Promise<AnalysisEvent[]>;
  /** End once a terminal event of the analysis has been written. */
  endAtTerminal: boolean;
  /** Written before anything else (e.g. the current status). */
  initial?: Array<{ id: number; event: string; data: Record<string, unknown> }>;
  /** True when the initial snapshot is already terminal and nothing follows. */
  endAfterInitial?: boolean;
  onError?(err: unknown): void;
  /**
   * Whether the key the stream was opened with is still valid, asked at each heartbeat: a
   * revoked key ends its streams with a final `unauthorized` event (clients must not
   * reconnect with it). Absent when authentication is off.
   */
  stillAuthorized?(): Promise<boolean>;
}

/** The final event of every stream open when the process shuts down; reconnect to resume. */
export const SHUTDOWN_EVENT = 'shutdown';

/** The final event of a stream whose key was revoked while it was open. */
export const UNAUTHORIZED_EVENT = 'unauthorized';

/** The SSE wire form of one event. */
export function formatEvent(id: number, event: string, data: Record<string, unknown>): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function eventPayload(ev: AnalysisEvent): Record<string, unknown> {
  // The live `deleted` event comes from the NOTIFY the trigger sent, before the delete's
  // redaction of the rows: it must not carry the content being deleted either.
  const data = ev.type === 'deleted' ? redactEventData(ev.data) : ev.data;
  return { analysis_id: ev.analysisId, ...data, at: ev.createdAt.toISOString() };
}

/** Parse a Last-Event-ID (header or query); anything else means "from now". */
export function parseLastEventId(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,18}$/.test(value.trim())) return null;
  return Number(value.trim());
}

export function openEventStream(opts: StreamOptions): void {
  const { res } = opts;
  let cursor = opts.cursor;
  let closed = false;
  let reading = false;
  let again = false;
  let backedUp = false;

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Tell nginx-style proxies not to buffer the stream.
    'x-accel-buffering': 'no',
  });

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    if (!res.writableEnded) res.end();
  };

  /** Write one event; false when the socket is backed up (the caller stops writing). */
  const write = (ev: AnalysisEvent): boolean => {
    cursor = ev.id;
    const ok = res.write(formatEvent(ev.id, ev.type, eventPayload(ev)));
    if (opts.endAtTerminal && TERMINAL_EVENT_TYPES.has(ev.type)) {
      close();
      return false;
    }
    return ok;
  };

  const waitDrain = () => {
    backedUp = true;
    res.once('drain', () => {
      backedUp = false;
      void catchUp();
    });
  };

  const catchUp = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      for (;;) {
        again = false;
        const rows = await opts.readAfter(cursor, CATCH_UP_PAGE);
        if (closed) return;
        for (const ev of rows) {
          if (ev.id <= cursor) continue;
          if (!write(ev)) {
            if (!closed) waitDrain();
            return;
          }
        }
        if (rows.length < CATCH_UP_PAGE && !again) return;
      }
    } catch (err) {
      opts.onError?.(err);
      close();
    } finally {
      reading = false;
    }
  };

  const unsubscribe = opts.hub.subscribe({
    tenantId: opts.tenantId,
    analysisId: opts.analysisId,
    onEvent: (ev) => {
      if (closed || ev.id <= cursor) return;
      if (reading) {
        again = true;
        return;
      }
      if (backedUp) return; // the drain handler reads from the table
      if (!write(ev) && !closed) waitDrain();
    },
    onResync: () => void catchUp(),
    onShutdown: () => {
      if (closed) return;
      // The client resumes from `cursor` with Last-Event-ID, on another replica or after the restart.
      res.write(formatEvent(cursor, SHUTDOWN_EVENT, { reconnect: true }));
      close();
    },
  });

  let checking = false;
  const endIfRevoked = async (): Promise<void> => {
    if (!opts.stillAuthorized || checking) return;
    checking = true;
    try {
      if (closed || (await opts.stillAuthorized())) return;
      if (!closed) {
        res.write(formatEvent(cursor, UNAUTHORIZED_EVENT, { code: 'UNAUTHORIZED', detail: 'The API key was revoked' }));
        close();
      }
    } catch (err) {
      opts.onError?.(err);
    } finally {
      checking = false;
    }
  };
  const heartbeat = setInterval(() => {
    if (!backedUp && !closed) res.write(': keep-alive\n\n');
    void endIfRevoked();
  }, opts.heartbeatMs);
  heartbeat.unref();
  res.on('close', close);
  res.on('error', close);

  res.write(`retry: ${CLIENT_RETRY_MS}\n\n`);
  for (const e of opts.initial ?? []) res.write(formatEvent(e.id, e.event, e.data));
  if (opts.endAfterInitial) {
    close();
    return;
  }
  void catchUp();
}
