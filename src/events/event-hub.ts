/**
 * One LISTEN connection per API process for the analysis event log. Workers and other
 * API processes write events (the trigger NOTIFYs them at commit); this hub hands each
 * one to the streams of its tenant and analysis. A stream that falls behind, or a hub
 * that lost its connection, re-reads from the table: nothing is buffered per stream
 * here, so a slow reader costs no memory.
 */
import type { Logger } from '../observability/logger.ts';
import type { AnalysisEvent } from '../contract/webhook.types.ts';
import { eventFromNotification } from '../persistence/analysis-event.repository.ts';
import { listenForNotifications, type NotificationListener } from '../persistence/notification-listener.ts';
import { shuttingDown } from '../observability/shutdown.ts';

export const EVENTS_CHANNEL = 'analysis_events';

export interface Subscriber {
  tenantId: string;
  /** Only this analysis's events; absent: the whole tenant's. */
  analysisId?: string | undefined;
  onEvent(ev: AnalysisEvent): void;
  /** Events may have been missed (the connection dropped): read them from the table. */
  onResync(): void;
  /** The process is shutting down: end the stream (its client resumes elsewhere). */
  onShutdown?(): void;
}

export class EventHub {
  private readonly byAnalysis = new Map<string, Set<Subscriber>>();
  private readonly byTenant = new Map<string, Set<Subscriber>>();
  private listener: NotificationListener | null = null;
  private readonly connectionString: string;
  private readonly log: Logger;
  private markReady!: () => void;
  /** Resolves once LISTEN is in place. */
  readonly ready: Promise<void>;

  constructor(connectionString: string, log: Logger) {
    this.connectionString = connectionString;
    this.log = log;
    this.ready = new Promise((r) => (this.markReady = r));
  }

  get subscriberCount(): number {
    let n = 0;
    for (const s of this.byAnalysis.values()) n += s.size;
    for (const s of this.byTenant.values()) n += s.size;
    return n;
  }

  start(): this {
    this.listener ??= listenForNotifications({
      connectionString: this.connectionString,
      channel: EVENTS_CHANNEL,
      applicationName: 'media-analysis-events',
      onNotification: (payload) => {
        if (!payload) return;
        try {
          this.dispatch(eventFromNotification(payload));
        } catch (err) {
          this.log.warn({ err }, 'unreadable analysis event notification');
        }
      },
      onListening: (reconnected) => {
        this.markReady();
        if (reconnected) this.resyncAll();
      },
      onLost: (err) => {
        if (shuttingDown()) this.log.debug({ err: err.message }, 'event listener connection closed during shutdown');
        else this.log.warn({ err: err.message }, 'event listener connection lost; reconnecting');
      },
      onConnectFailed: (err) => this.log.warn({ err: err.message }, 'event listener could not connect; retrying'),
    });
    return this;
  }

  subscribe(sub: Subscriber): () => void {
    const [map, key] = sub.analysisId ? [this.byAnalysis, sub.analysisId] : [this.byTenant, sub.tenantId];
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(sub);
    return () => {
      set.delete(sub);
      if (set.size === 0) map.delete(key);
    };
  }

  /** Hand an event to its subscribers (exported for the NOTIFY handler and tests). */
  dispatch(ev: AnalysisEvent): void {
    for (const sub of this.byAnalysis.get(ev.analysisId) ?? []) if (sub.tenantId === ev.tenantId) sub.onEvent(ev);
    for (const sub of this.byTenant.get(ev.tenantId) ?? []) sub.onEvent(ev);
  }

  private resyncAll(): void {
    for (const set of [...this.byAnalysis.values(), ...this.byTenant.values()]) for (const s of set) s.onResync();
  }

  /** Open streams of one tenant in this process (its whole-tenant and per-analysis ones). */
  tenantStreams(tenantId: string): number {
    let n = this.byTenant.get(tenantId)?.size ?? 0;
    for (const set of this.byAnalysis.values()) for (const s of set) if (s.tenantId === tenantId) n++;
    return n;
  }

  /**
   * End every open stream (at shutdown): a tenant stream never ends by itself, and an open
   * one would hold the HTTP server's close for as long as its client stays.
   */
  endStreams(): number {
    let n = 0;
    for (const set of [...this.byAnalysis.values(), ...this.byTenant.values()])
      for (const s of [...set]) {
        s.onShutdown?.();
        n++;
      }
    return n;
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
  }
}
