/**
 * Cache-aside for status, results and history. Redis (ioredis) when REDIS_URL is set,
 * behind a circuit breaker; an in-process LRU always sits beside it and takes over
 * when Redis is absent or failing, so a cache problem never becomes a request error.
 * The LRU keeps expired entries (allowStale) for one purpose: serving a recently seen
 * status while PostgreSQL is down, marked stale.
 *
 * Cache-aside has a race: a reader misses, loads the row, and meanwhile the row changes
 * and its entry is dropped; the reader then stores what it loaded, stale, for a whole
 * TTL (a finished analysis shown as processing for minutes). So a reader takes a
 * `loadToken()` before it loads and stores with it; an entry dropped after the token was
 * taken (or everything, after `invalidateAll`) is not stored. Every process drops entries
 * on the change notification, so a store by one process that raced another's drop is
 * dropped again when its own notification arrives.
 */
import { LRUCache } from 'lru-cache';
import { Redis } from 'ioredis';
import { CircuitBreaker } from '../resilience/circuit-breaker.ts';
import type { Logger } from '../observability/logger.ts';

export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

/** How long a stale copy may still be served during a database outage. */
export const STALE_GRACE_MS = 15 * 60_000;
/** How long a drop is remembered against loads that started before it (far above any load's duration). */
const DROP_MEMORY_MS = 5 * 60_000;

export class AppCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  readonly backend: 'redis' | 'memory';
  private readonly memory = new LRUCache<string, { value: string; expires: number }>({
    max: 20_000,
    ttl: STALE_GRACE_MS,
    allowStale: false,
  });
  /** When (in `seq` ticks) each key was last dropped; long enough for any load in flight. */
  private readonly dropped = new LRUCache<string, number>({ max: 50_000, ttl: DROP_MEMORY_MS });
  private seq = 0;
  private allDroppedAt = 0;
  private readonly redis: Redis | null;
  readonly breaker: CircuitBreaker;
  private readonly log: Logger | undefined;

  constructor(opts: {
    redisUrl?: string | undefined;
    log?: Logger;
    breaker?: { failureThreshold: number; resetMs: number };
  }) {
    this.log = opts.log;
    this.backend = opts.redisUrl ? 'redis' : 'memory';
    this.redis = opts.redisUrl
      ? new Redis(opts.redisUrl, {
          lazyConnect: false,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: 250,
          connectTimeout: 1000,
          retryStrategy: (n) => Math.min(n * 200, 2000),
        })
      : null;
    this.redis?.on('error', () => undefined);
    this.breaker = new CircuitBreaker('redis', {
      failureThreshold: opts.breaker?.failureThreshold ?? 3,
      resetMs: opts.breaker?.resetMs ?? 5000,
      halfOpenTrials: 1,
      onStateChange: (_n, from, to) => this.log?.[to === 'open' ? 'warn' : 'info']({ from, to }, `redis circuit ${to}`),
    });
  }

  private async viaRedis<T>(fn: (r: Redis) => Promise<T>): Promise<T | undefined> {
    if (!this.redis) return undefined;
    try {
      return await this.breaker.exec(() => fn(this.redis!));
    } catch {
      this.stats.errors++;
      return undefined;
    }
  }

  /** A fresh value, or null. */
  async get(key: string): Promise<string | null> {
    const fromRedis = await this.viaRedis((r) => r.get(key));
    if (typeof fromRedis === 'string') {
      this.stats.hits++;
      return fromRedis;
    }
    const m = this.memory.get(key);
    if (m && m.expires > Date.now() && (fromRedis === undefined || this.backend === 'memory')) {
      this.stats.hits++;
      return m.value;
    }
    this.stats.misses++;
    return null;
  }

  /** A value past its TTL (kept in process for outages), or null. */
  getStale(key: string): string | null {
    return this.memory.get(key)?.value ?? null;
  }

  /** Take before loading what will be stored with `set(…, token)`. */
  loadToken(): number {
    return ++this.seq;
  }

  /**
   * Store `value`. With a `loadToken`, nothing is stored when the key (or everything) was
   * dropped after the token was taken: the value was loaded before a change.
   */
  async set(key: string, value: string, ttlSeconds: number, loadToken?: number): Promise<boolean> {
    if (loadToken !== undefined && this.changedSince(key, loadToken)) return false;
    this.memory.set(key, { value, expires: Date.now() + ttlSeconds * 1000 });
    await this.viaRedis((r) => r.set(key, value, 'EX', ttlSeconds));
    // A drop that landed while Redis was being written: take the stale copy out again.
    if (loadToken !== undefined && this.changedSince(key, loadToken)) {
      await this.del(key);
      return false;
    }
    return true;
  }

  private changedSince(key: string, token: number): boolean {
    return this.allDroppedAt > token || (this.dropped.get(key) ?? 0) > token;
  }

  async del(...keys: string[]): Promise<void> {
    for (const k of keys) {
      this.memory.delete(k);
      this.dropped.set(k, ++this.seq);
    }
    if (keys.length) await this.viaRedis((r) => r.del(...keys));
  }

  /**
   * Changes may have been missed (the notification connection was down): forget this
   * process's copies and refuse stores of loads that started before now. Shared Redis
   * entries run out with their TTL.
   */
  invalidateAll(): void {
    this.allDroppedAt = ++this.seq;
    for (const [k] of this.memory.entries()) if (!k.startsWith('histgen:')) this.memory.delete(k);
  }

  /** A per-tenant generation number; bumping it retires every cached history page of the tenant. */
  async generation(tenant: string): Promise<string> {
    const key = `histgen:${tenant}`;
    const v = await this.viaRedis((r) => r.get(key));
    if (typeof v === 'string') return v;
    return this.memory.get(key)?.value ?? '0';
  }

  async bumpGeneration(tenant: string): Promise<void> {
    const key = `histgen:${tenant}`;
    const current = Number(this.memory.get(key)?.value ?? '0');
    this.memory.set(key, { value: String(current + 1), expires: Number.MAX_SAFE_INTEGER });
    await this.viaRedis((r) => r.incr(key));
  }

  /** The Redis connection (shared with the rate limiter), or null for the in-process cache. */
  get redisClient(): Redis | null {
    return this.redis;
  }

  async ping(): Promise<'up' | 'down' | 'absent'> {
    if (!this.redis) return 'absent';
    const r = await this.viaRedis((c) => c.ping());
    return r === 'PONG' ? 'up' : 'down';
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
  }
}

export const statusKey = (tenant: string, id: string) => `status:${tenant}:${id}`;
