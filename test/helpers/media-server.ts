/**
 * A small HTTP server on 127.0.0.1 serving test media with scripted behaviour:
 * plain bodies, failures, redirects, slow drips and hangs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route =
  | { kind: 'body'; data: Buffer; type?: string }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; to: string; status?: number }
  | { kind: 'drip'; data: Buffer; chunk: number; everyMs: number }
  | { kind: 'hang' }
  | { kind: 'sequence'; steps: Route[] };

export interface MediaServer {
  url(path: string): string;
  port: number;
  routes: Map<string, Route>;
  hits: Map<string, number>;
  /** Paths whose response the client aborted before the end. */
  aborted: Set<string>;
  close(): Promise<void>;
}

export async function startMediaServer(): Promise<MediaServer> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const aborted = new Set<string>();
  const sockets = new Set<import('node:net').Socket>();
  const serve = (
    route: Route,
    path: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    hit: number,
  ): void => {
    switch (route.kind) {
      case 'body':
        res.writeHead(200, {
          'content-type': route.type ?? 'application/octet-stream',
          'content-length': route.data.length,
        });
        res.end(route.data);
        return;
      case 'status':
        res.writeHead(route.status).end();
        return;
      case 'redirect':
        res.writeHead(route.status ?? 302, { location: route.to }).end();
        return;
      case 'hang':
        return;
      case 'sequence':
        serve(route.steps[Math.min(hit - 1, route.steps.length - 1)]!, path, req, res, hit);
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': route.data.length });
        let offset = 0;
        const timer = setInterval(() => {
          if (offset >= route.data.length) {
            clearInterval(timer);
            res.end();
            return;
          }
          res.write(route.data.subarray(offset, offset + route.chunk));
          offset += route.chunk;
        }, route.everyMs);
        res.on('close', () => {
          clearInterval(timer);
          if (offset < route.data.length) aborted.add(path);
        });
        return;
      }
    }
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    serve(route, path, req, res, hit);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    routes,
    hits,
    aborted,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
