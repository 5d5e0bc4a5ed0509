/**
 * A real webhook receiver on 127.0.0.1 for tests and benchmarks. Each path behaves as
 * told (status, delay, Retry-After, huge body, redirect, hang) and every request is kept
 * with its raw body and headers, so tests verify signatures with the standardwebhooks
 * verifier exactly as a user's receiver would.
 */
import http from 'node:http';
import type net from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

export interface Answer {
  status?: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Stream this many bytes of body. */
  bytes?: number;
  /** Never answer. */
  hang?: boolean;
}

export type Behaviour = (req: ReceivedWebhook, nth: number) => Answer;

export interface Receiver {
  port: number;
  url(path: string): string;
  received: ReceivedWebhook[];
  on(path: string, behaviour: Behaviour): void;
  /** Requests received on a path. */
  at(path: string): ReceivedWebhook[];
  /** While blocked, every connection is reset as it is accepted (an unreachable receiver); nothing is recorded. */
  block(blocked: boolean): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const behaviours = new Map<string, Behaviour>();
  const received: ReceivedWebhook[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let blocked = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const r: ReceivedWebhook = {
        path,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      received.push(r);
      const nth = (counts.get(path) ?? 0) + 1;
      counts.set(path, nth);
      const b: Answer = (behaviours.get(path) ?? (() => ({ status: 204 })))(r, nth);
      if (b.hang) return;
      const answer = () => {
        if (b.bytes) {
          res.writeHead(b.status ?? 200, { 'content-type': 'text/plain', ...b.headers });
          const block = Buffer.alloc(64 * 1024, 'x');
          let left = b.bytes;
          const pump = () => {
            while (left > 0) {
              const n = Math.min(left, block.length);
              left -= n;
              if (!res.write(block.subarray(0, n))) return void res.once('drain', pump);
            }
            res.end();
          };
          res.on('error', () => undefined);
          pump();
          return;
        }
        res.writeHead(b.status ?? 200, { 'content-type': 'text/plain', ...b.headers });
        res.end(b.body ?? 'ok');
      };
      if (b.delayMs) setTimeout(answer, b.delayMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    if (blocked) return void s.resetAndDestroy();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    received,
    on: (p, b) => void behaviours.set(p, b),
    at: (p) => received.filter((r) => r.path === p),
    block: (b) => void (blocked = b),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
