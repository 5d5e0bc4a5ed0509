/**
 * Server-Sent Events over fetch (works in Node and browsers, and sends the API key as a
 * header, which the browser's EventSource cannot). Yields each event; resumes with
 * Last-Event-ID after a dropped connection until the server ends the stream.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface StreamEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

export interface StreamOptions {
  headers?: Record<string, string>;
  lastEventId?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Reconnect after a dropped connection (default true); the server's end of stream stops it. */
  reconnect?: boolean;
  /** Called for each (re)connection's HTTP response before events flow. */
  onResponse?: (res: Response) => void;
}

/** Thrown when the server answers the stream request with something other than a stream. */
export class StreamHttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`event stream answered ${status}`);
    this.name = 'StreamHttpError';
    this.status = status;
    this.body = body;
  }
}

/** One connection: yields events until the server closes the stream. */
async function* connectOnce(
  url: string,
  opts: StreamOptions,
  lastEventId: string | undefined,
  state: { noContent: boolean },
): AsyncGenerator<StreamEvent> {
  const doFetch = opts.fetch ?? fetch;
  const res = await doFetch(url, {
    headers: {
      accept: 'text/event-stream',
      ...opts.headers,
      ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
    },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  opts.onResponse?.(res);
  if (res.status === 204) {
    // Nothing more will come (resumed past the final event).
    state.noContent = true;
    return;
  }
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    throw new StreamHttpError(res.status, body);
  }
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => queue.push(m) });
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      while (queue.length > 0) {
        const m = queue.shift()!;
        let data: unknown = m.data;
        try {
          data = JSON.parse(m.data);
        } catch {
          // plain text data
        }
        yield { id: m.id, event: m.event ?? 'message', data };
      }
    }
  } finally {
    reader.releaseLock();
    await res.body.cancel().catch(() => undefined);
  }
}

/**
 * Events from an SSE URL. With `reconnect`, a connection that drops before the server
 * ends the stream is reopened with the last id seen, so no event is missed.
 * `isFinal(event)` tells which event ends the stream on purpose.
 */
export async function* streamEvents(
  url: string,
  opts: StreamOptions & { isFinal?: (e: StreamEvent) => boolean } = {},
): AsyncGenerator<StreamEvent> {
  let last = opts.lastEventId;
  let delayMs = 500;
  const state = { noContent: false };
  for (;;) {
    let ended = false;
    try {
      for await (const e of connectOnce(url, opts, last, state)) {
        if (e.id !== undefined) last = e.id;
        delayMs = 500;
        yield e;
        if (opts.isFinal?.(e)) {
          ended = true;
          return;
        }
      }
      ended = true;
    } catch (err) {
      if (err instanceof StreamHttpError || opts.signal?.aborted || opts.reconnect === false) throw err;
    }
    if (state.noContent) return;
    if (ended && (opts.isFinal === undefined || opts.reconnect === false)) return;
    if (opts.signal?.aborted) return;
    await new Promise((r) => setTimeout(r, delayMs));
    delayMs = Math.min(delayMs * 2, 10_000);
  }
}
