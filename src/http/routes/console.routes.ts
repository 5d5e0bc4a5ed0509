/**
 * The web console, served by the API itself at `/` from the files `npm run build` writes to
 * console/dist. Hashed assets are cached for a year; the page and the service worker are
 * revalidated on every load so a new build is picked up at once. Every console response
 * carries a strict Content-Security-Policy: scripts and styles only from this origin, no
 * inline code, no framing; media and images may also come from blob: URLs the page makes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where `npm run build` puts the console. */
export const CONSOLE_DIST = path.resolve(import.meta.dirname, '../../../console/dist');

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const ONE_YEAR_SECONDS = 31_536_000;

/** Cache policy by file: content-hashed assets never change; everything else is revalidated. */
export function consoleCacheControl(relativePath: string): string {
  return /(^|\/)assets\//.test(relativePath) ? `public, max-age=${ONE_YEAR_SECONDS}, immutable` : 'no-cache';
}

function securityHeaders(reply: FastifyReply): void {
  reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
}

export interface ConsoleRoutesOptions {
  /** The built console; defaults to console/dist. */
  root?: string;
}

/** True when the console has been built (index.html present). */
export function consoleBuilt(root = CONSOLE_DIST): boolean {
  return fs.existsSync(path.join(root, 'index.html'));
}

export async function consoleRoutes(app: FastifyInstance, opts: ConsoleRoutesOptions): Promise<void> {
  const root = opts.root ?? CONSOLE_DIST;
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, found at start-up: no catch-all that would shadow the API's 404s.
    wildcard: false,
    index: ['index.html'],
    preCompressed: true,
    cacheControl: false,
    dotfiles: 'deny',
    schemaHide: true,
    setHeaders: (reply: FastifyReply, file: string) => {
      securityHeaders(reply);
      reply.header('cache-control', consoleCacheControl(path.relative(root, file).split(path.sep).join('/')));
    },
  });
}
