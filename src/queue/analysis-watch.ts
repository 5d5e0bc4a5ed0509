/**
 * Tells running jobs when their analysis may have left `processing` (a cancel, a delete,
 * another worker's move), so a long stage stops at once instead of at its next step.
 *
 * One LISTEN `analysis_changed` connection per worker process; the notification's payload
 * is `<tenant> <analysis id>` (migration 0005), and a watched id makes its job re-read
 * the status. Notifications sent while the connection was down are lost, so a reconnect
 * re-checks every watched analysis, and a slow poll covers a connection that hangs without
 * dropping.
 */
import type { Logger } from '../observability/logger.ts';
import { listenForNotifications } from '../persistence/notification-listener.ts';

/** The channel the analysis triggers notify on (migrations 0003, 0005, 0006, 0010). */
export const ANALYSIS_CHANNEL = 'analysis_changed';

/** The fallback re-check of every watched analysis, for a LISTEN connection that hangs silently. */
export const WATCH_FALLBACK_POLL_MS = 30_000;

export interface AnalysisWatch {
  /**
   * Call `onChange` whenever the analysis may have changed (its notification, a reconnect,
   * the fallback poll). Returns the function that stops watching.
   */
  watch(analysisId: string, onChange: () => void): () => void;
  stop(): Promise<void>;
}

/** The analysis id of an `analysis_changed` payload, or null for an insert batch (`insert <tenants>`). */
export function changedAnalysisId(payload: string | undefined): string | null {
  if (!payload || payload.startsWith('insert ')) return null;
  const space = payload.lastIndexOf(' ');
  return space < 0 ? null : payload.slice(space + 1);
}

/** Start listening; resolves once LISTEN is in place. */
export async function startAnalysisWatch(opts: {
  connectionString: string;
  log: Logger;
  fallbackPollMs?: number;
}): Promise<AnalysisWatch> {
  const watchers = new Map<string, Set<() => void>>();
  const notify = (fns: Iterable<() => void> | undefined) => {
    for (const fn of fns ?? []) fn();
  };
  const notifyAll = () => {
    for (const fns of watchers.values()) notify(fns);
  };
  const listener = listenForNotifications({
    connectionString: opts.connectionString,
    channel: ANALYSIS_CHANNEL,
    applicationName: 'media-analysis worker watch',
    onNotification: (payload) => {
      const id = changedAnalysisId(payload);
      if (id) notify(watchers.get(id));
    },
    onListening: (reconnected) => {
      if (reconnected) notifyAll();
    },
    onLost: (err) => opts.log.warn({ err }, 'analysis watch connection lost; reconnecting'),
    onConnectFailed: (err) => opts.log.warn({ err }, 'analysis watch could not listen; retrying'),
  });
  await listener.ready;
  const poll = setInterval(notifyAll, opts.fallbackPollMs ?? WATCH_FALLBACK_POLL_MS);
  poll.unref();
  return {
    watch(analysisId, onChange) {
      const fns = watchers.get(analysisId) ?? new Set<() => void>();
      watchers.set(analysisId, fns);
      fns.add(onChange);
      return () => {
        fns.delete(onChange);
        if (fns.size === 0 && watchers.get(analysisId) === fns) watchers.delete(analysisId);
      };
    },
    async stop() {
      clearInterval(poll);
      await listener.stop();
    },
  };
}
