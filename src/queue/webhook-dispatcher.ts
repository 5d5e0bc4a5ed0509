/**
 * The webhook dispatcher: runs in every worker process, relays the outbox
 * (`webhook_deliveries`) to receivers.
 *
 * - Woken by NOTIFY webhook_due (sent in the transaction that adds outbox rows), and by a
 *   poll for retries that come due.
 * - Claims rows with FOR UPDATE SKIP LOCKED and a lease, so several dispatchers share the
 *   work and a dispatcher killed mid-send only delays its rows until the lease expires;
 *   the retry carries the same `webhook-id`, so the receiver sees one message.
 * - At most `concurrency` sends at once per process and `perEndpoint` per receiver: a slow
 *   receiver cannot take every slot from the healthy ones.
 * - A failed attempt is retried on the schedule (later if the receiver says Retry-After);
 *   when the schedule is used up the delivery fails. An endpoint failing without a single
 *   success for `disableAfterSeconds` is disabled, with the reason kept on the endpoint.
 */
import { listenForNotifications } from '../persistence/notification-listener.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../persistence/database.ts';
import { webhookDeliveryRepository, type ClaimedDelivery } from '../persistence/webhook-delivery.repository.ts';
import { webhookEndpointRepository } from '../persistence/webhook-endpoint.repository.ts';
import { webhookTenantSecretRepository } from '../persistence/webhook-tenant-secret.repository.ts';
import type { WebhookDelivery } from '../contract/webhook.types.ts';
import {
  buildEnvelope,
  generateSecret,
  isDelivered,
  messageId,
  nextAttemptDelaySeconds,
  parseRetryAfter,
} from '../domain/webhook/webhook.policy.ts';
import type { WebhookResult, WebhookRequest } from '../net/webhook-sender.ts';

export const WEBHOOK_DUE_CHANNEL = 'webhook_due';

export interface DispatcherOptions {
  db: Db;
  /** For the LISTEN connection. */
  connectionString: string;
  send: (req: WebhookRequest) => Promise<WebhookResult>;
  concurrency: number;
  perEndpoint: number;
  /** Delays after failed attempt 1, 2, … (seconds). */
  scheduleSeconds: readonly number[];
  /** Must exceed the send timeout, so a live send is never claimed twice. */
  leaseSeconds: number;
  pollIntervalMs: number;
  disableAfterSeconds: number;
  log: Logger;
}

export interface DispatcherHandle {
  /** Look for due deliveries now. */
  kick(): void;
  /** Stop claiming, wait for in-flight sends. */
  stop(): Promise<void>;
  readonly ready: Promise<void>;
}

/** How often endpoints failing for too long are looked for. */
const DISABLE_CHECK_MS = 60_000;
/** Candidates locked per claim, as a multiple of the free slots (room to skip busy endpoints). */
const CANDIDATE_FACTOR = 4;

const URL_KEY_PREFIX = 'url:';

function receiverKey(d: Pick<WebhookDelivery, 'endpointId' | 'url'>): string {
  return d.endpointId ?? `${URL_KEY_PREFIX}${d.url}`;
}

/**
 * Choose, in order, the deliveries that fit under the global and per-receiver limits given
 * what is already in flight. Pure; exported for tests.
 */
export function pickWithinLimits(
  rows: readonly WebhookDelivery[],
  inFlight: ReadonlyMap<string, number>,
  free: number,
  perEndpoint: number,
): WebhookDelivery[] {
  const counts = new Map(inFlight);
  const out: WebhookDelivery[] = [];
  for (const d of rows) {
    if (out.length >= free) break;
    const key = receiverKey(d);
    const n = counts.get(key) ?? 0;
    if (n >= perEndpoint) continue;
    counts.set(key, n + 1);
    out.push(d);
  }
  return out;
}

export function startWebhookDispatcher(opts: DispatcherOptions): DispatcherHandle {
  const { db, log } = opts;
  const inFlight = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let total = 0;
  let stopped = false;
  let pumping = false;
  let again = false;

  const pump = async (): Promise<void> => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        const free = opts.concurrency - total;
        if (stopped || free <= 0) break;
        // Receivers at their limit are not candidates, so their backlog cannot crowd out the others.
        const busy = [...inFlight].filter(([, n]) => n >= opts.perEndpoint).map(([key]) => key);
        const claimed = await webhookDeliveryRepository.claimDue(db, {
          candidates: Math.min(200, free * CANDIDATE_FACTOR),
          leaseSeconds: opts.leaseSeconds,
          busyEndpoints: busy.filter((k) => !k.startsWith(URL_KEY_PREFIX)),
          busyUrls: busy.filter((k) => k.startsWith(URL_KEY_PREFIX)).map((k) => k.slice(URL_KEY_PREFIX.length)),
          pick: (rows) => pickWithinLimits(rows, inFlight, free, opts.perEndpoint),
        });
        for (const d of claimed) start(d);
        // A full claim suggests more are due; a partial one means we took what fits.
        if (claimed.length === free) again = true;
      } while (again && !stopped);
    } catch (err) {
      log.warn({ err }, 'webhook claim failed; will look again');
    } finally {
      pumping = false;
    }
  };
  const kick = () => {
    pump().catch(() => undefined);
  };

  const start = (d: ClaimedDelivery) => {
    const key = receiverKey(d);
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    total++;
    const p = deliver(d)
      .catch((err: unknown) => log.error({ err, delivery_id: d.id }, 'webhook delivery bookkeeping failed'))
      .finally(() => {
        const n = (inFlight.get(key) ?? 1) - 1;
        if (n <= 0) inFlight.delete(key);
        else inFlight.set(key, n);
        total--;
        running.delete(p);
        if (!stopped) kick();
      });
    running.add(p);
  };

  const deliver = async (d: ClaimedDelivery): Promise<void> => {
    let secrets = d.secrets;
    if (!secrets) {
      // A request's own webhook_url before the tenant ever asked for its secret.
      await webhookTenantSecretRepository.ensureTenantSecret(db, d.tenantId, generateSecret());
      secrets = await webhookTenantSecretRepository.tenantSecrets(db, d.tenantId);
      if (!secrets) throw new Error(`tenant ${d.tenantId} has no webhook secret`);
    }
    const body = JSON.stringify(buildEnvelope(d, d.event));
    const startedAt = new Date();
    const r = await opts.send({ url: d.url, messageId: messageId(d.id), body, secrets, now: startedAt });
    const delivered = isDelivered(r.statusCode);
    const delay = delivered
      ? null
      : nextAttemptDelaySeconds(d.attempts, opts.scheduleSeconds, parseRetryAfter(r.retryAfter));
    const state = delivered ? 'delivered' : delay === null ? 'failed' : 'pending';
    await webhookDeliveryRepository.recordAttempt(
      db,
      {
        deliveryId: d.id,
        attempt: d.attempts,
        startedAt,
        latencyMs: r.latencyMs,
        statusCode: r.statusCode,
        responseBody: r.responseBody,
        error: r.error,
      },
      { state, nextAttemptAt: delay === null ? null : new Date(Date.now() + delay * 1000) },
      d.endpointId,
    );
    const fields = {
      delivery_id: d.id,
      event_type: d.eventType,
      attempt: d.attempts,
      status_code: r.statusCode,
      latency_ms: r.latencyMs,
    };
    if (delivered) log.debug(fields, 'webhook delivered');
    else log.warn({ ...fields, error: r.error, next_in_s: delay }, `webhook attempt failed; ${state}`);
  };

  const listener = listenForNotifications({
    connectionString: opts.connectionString,
    channel: WEBHOOK_DUE_CHANNEL,
    applicationName: 'media-analysis-webhooks',
    onNotification: () => kick(),
    onListening: () => kick(),
    onConnectFailed: (err) => log.warn({ err: err.message }, 'webhook listener could not connect; retrying'),
  });

  const poll = setInterval(kick, opts.pollIntervalMs);
  const disabler = setInterval(
    () => {
      webhookEndpointRepository.disableFailing(db, opts.disableAfterSeconds).then(
        (disabled) => {
          for (const e of disabled)
            log.warn({ endpoint_id: e.id, tenant: e.tenantId, reason: e.disabledReason }, 'webhook endpoint disabled');
        },
        (err: unknown) => log.warn({ err }, 'webhook disable check failed'),
      );
    },
    Math.min(DISABLE_CHECK_MS, Math.max(1000, opts.disableAfterSeconds * 250)),
  );
  poll.unref();
  disabler.unref();

  return {
    kick,
    ready: listener.ready,
    stop: async () => {
      stopped = true;
      clearInterval(poll);
      clearInterval(disabler);
      // Stop listening (no reconnect either) while running deliveries finish.
      const listening = listener.stop();
      await Promise.allSettled([...running]);
      await listening;
    },
  };
}
