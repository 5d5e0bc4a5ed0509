/**
 * Listens for analysis_changed notifications on a dedicated connection and drops the
 * affected cache entries, so a status cached by this process never outlives a change
 * made by another process (a worker, another API replica). Reconnects on its own.
 */
import pg from 'pg';
import type { AppCache } from './cache.ts';
import { statusKey } from './cache.ts';
import type { Logger } from '../observability/logger.ts';

export const CHANNEL = 'analysis_changed';

export async function applyNotification(cache: AppCache, payload: string): Promise<void> {
  const [first, rest] = [payload.slice(0, payload.indexOf(' ')), payload.slice(payload.indexOf(' ') + 1)];
  if (first === 'insert') {
    for (const tenant of rest.split(',')) await cache.bumpGeneration(tenant);
    return;
  }
  await cache.del(statusKey(first, rest));
  await cache.bumpGeneration(first);
}

export function startInvalidationListener(
  connectionString: string,
  cache: AppCache,
  log: Logger,
): { stop(): Promise<void>; ready: Promise<void> } {
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString, application_name: 'media-analysis-cache-listener' });
    c.on('notification', (n) => {
      if (n.channel === CHANNEL && n.payload) applyNotification(cache, n.payload).catch(() => undefined);
    });
    c.on('error', () => {
      client = null;
      c.end().catch(() => undefined);
      if (!stopped) timer = setTimeout(() => void connect(), 1000);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      client = c;
      markReady();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cache invalidation listener could not connect; retrying');
      c.end().catch(() => undefined);
      if (!stopped) timer = setTimeout(() => void connect(), 1000);
    }
  };
  void connect();
  return {
    ready,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
