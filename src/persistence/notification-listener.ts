/**
 * LISTEN on one channel over a dedicated connection (a pooled one cannot hold a
 * LISTEN), reconnecting on its own after RECONNECT_DELAY_MS whenever the connection
 * drops or cannot be made. PostgreSQL NOTIFYs at commit, so the cache, the live event
 * hub and the webhook dispatcher learn of changes made by any process. Notifications
 * sent while the connection was down are lost: `onListening(true)` tells the caller to
 * re-read what it may have missed.
 */
import pg from 'pg';

/** Wait before reconnecting after a lost or failed connection. */
export const RECONNECT_DELAY_MS = 1000;

/** PostgreSQL identifiers we LISTEN on: fixed names of ours, never user input. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ListenOptions {
  connectionString: string;
  channel: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  /** A notification on `channel` (payload absent when NOTIFY sent none). */
  onNotification(payload: string | undefined): void;
  /** LISTEN is in place; `reconnected` when this is not the first attempt (notifications may have been missed). */
  onListening?(reconnected: boolean): void;
  /** The connection dropped; a reconnect follows. */
  onLost?(err: Error): void;
  /** Connecting or LISTEN failed; a retry follows. */
  onConnectFailed?(err: Error): void;
}

export interface NotificationListener {
  /** Resolves once LISTEN is first in place. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function listenForNotifications(opts: ListenOptions): NotificationListener {
  if (!CHANNEL_NAME.test(opts.channel)) throw new Error(`not a channel name: ${JSON.stringify(opts.channel)}`);
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));

  const connect = async (reconnecting: boolean): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: opts.connectionString, application_name: opts.applicationName });
    const retry = () => {
      client = null;
      c.end().catch(() => undefined);
      if (!stopped) timer = setTimeout(() => void connect(true), RECONNECT_DELAY_MS);
    };
    c.on('notification', (n) => {
      if (n.channel === opts.channel) opts.onNotification(n.payload);
    });
    c.on('error', (err) => {
      opts.onLost?.(err);
      retry();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${opts.channel}`);
      client = c;
      markReady();
      opts.onListening?.(reconnecting);
    } catch (err) {
      opts.onConnectFailed?.(err as Error);
      retry();
    }
  };
  void connect(false);

  return {
    ready,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
