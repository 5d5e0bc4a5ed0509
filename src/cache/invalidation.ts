/**
 * Listens for analysis_changed notifications on a dedicated connection and drops the
 * affected cache entries, so a status cached by this process never outlives a change
 * made by another process (a worker, another API replica). Reconnects on its own.
 */
import { listenForNotifications } from '../persistence/notification-listener.ts';
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
  return listenForNotifications({
    connectionString,
    channel: CHANNEL,
    applicationName: 'media-analysis-cache-listener',
    onNotification: (payload) => {
      if (payload) applyNotification(cache, payload).catch(() => undefined);
    },
    onConnectFailed: (err) => log.warn({ err: err.message }, 'cache invalidation listener could not connect; retrying'),
    // Changes made while the connection was down were not heard: nothing cached here is trusted.
    onListening: (reconnected) => {
      if (reconnected) cache.invalidateAll();
    },
  });
}
