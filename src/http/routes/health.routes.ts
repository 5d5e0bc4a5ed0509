/** Liveness (no dependencies) and readiness (database, worker heartbeat). */
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs/promises';
import { DATABASE_CIRCUIT_OPEN_CODE } from '../../persistence/database-errors.ts';

/** What readiness asks the database (built by the composition root from persistence). */
export interface DatabaseProbe {
  /** A round trip; throws when the database cannot be reached. */
  ping(): Promise<void>;
  /** Worker processes with a heartbeat fresher than `staleAfterMs`. */
  liveWorkers(staleAfterMs: number): Promise<number>;
}

export interface HealthDeps {
  database: DatabaseProbe;
  /** Whether this process is expected to run a worker (then its heartbeat is checked). */
  workerExpected: () => boolean;
  staleAfterMs: number;
  /** Circuit breaker states of the model providers (an open one degrades, it does not fail readiness). */
  breakers?: () => Record<string, { state: string; consecutive_failures: number }>;
  cache?: { ping(): Promise<'up' | 'down' | 'absent'>; backend: string };
  /** The database circuit breaker's state. */
  databaseCircuit?: () => { state: string };
  /** Where media is stored; its filesystem usage is reported (critical at 90 %). */
  storageRoot?: string;
}

/** Disk usage at which readiness reports the storage as critical (uploads will soon fail). */
export const DISK_CRITICAL_RATIO = 0.9;

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { schema: { hide: true } }, async (_request, reply) => {
    const checks: Record<string, { status: 'up' | 'down'; detail?: string; latency_ms?: number }> = {};
    const t0 = performance.now();
    try {
      await deps.database.ping();
      checks.database = { status: 'up', latency_ms: Math.round(performance.now() - t0) };
    } catch (err) {
      // The driver's message can name hosts; readiness says only that the database is down.
      checks.database = {
        status: 'down',
        detail: (err as { code?: string }).code === DATABASE_CIRCUIT_OPEN_CODE ? 'circuit open' : 'unreachable',
      };
    }
    const circuit = deps.databaseCircuit?.();
    if (circuit && checks.database) Object.assign(checks.database, { circuit: circuit.state });
    if (deps.workerExpected() && checks.database.status === 'up') {
      const n = await deps.database.liveWorkers(deps.staleAfterMs);
      checks.worker =
        n > 0 ? { status: 'up', detail: `${n} live worker(s)` } : { status: 'down', detail: 'no worker heartbeat' };
    }
    // Redis is optional: when configured and down, the in-process cache takes over (degraded, still ready).
    let redisDown = false;
    if (deps.cache) {
      const r = await deps.cache.ping();
      if (r !== 'absent') {
        redisDown = r === 'down';
        checks.redis = {
          status: r === 'up' ? 'up' : 'down',
          ...(redisDown ? { detail: 'in-process cache in use' } : {}),
        };
      }
    }
    let diskCritical = false;
    if (deps.storageRoot) {
      const st = await fs.statfs(deps.storageRoot).catch(() => null);
      if (st) {
        const ratio = Math.round((1 - st.bavail / st.blocks) * 1000) / 1000;
        diskCritical = ratio >= DISK_CRITICAL_RATIO;
        checks.disk = { status: diskCritical ? 'down' : 'up', detail: `${Math.round(ratio * 100)} % used` };
      }
    }
    // Redis and a full disk degrade the service; only the database and the worker decide readiness.
    const ok = Object.entries(checks).every(([name, c]) => c.status === 'up' || name === 'redis' || name === 'disk');
    const breakers = deps.breakers?.() ?? {};
    const providerTrouble = Object.values(breakers).some((b) => b.state !== 'closed');
    const status = !ok
      ? checks.database?.status === 'up'
        ? 'degraded'
        : 'offline'
      : providerTrouble || redisDown || diskCritical
        ? 'degraded'
        : 'available';
    return reply.code(ok ? 200 : 503).send({ status, checks, providers: breakers });
  });
}
