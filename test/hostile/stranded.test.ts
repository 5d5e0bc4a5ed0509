/**
 * Defect 2: analyses stranded in `processing` once their job's attempts are used up.
 * - Real worker processes, SIGKILLed each time they pick up the same analysis, until the
 *   attempts run out: the analysis ends `failed` WORKER_CRASHED, `retry` works, and the
 *   tenant (capped at one analysis at a time) gets its next analysis run.
 * - The reconciler: rows whose job is dead or gone are ended; a live job is left alone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startMediaServer, type MediaServer } from '../helpers/media-server.ts';
import { waitFor } from '../helpers/app.ts';
import { AnalysisService } from '../../src/domain/analysis/analysis.service.ts';
import { applyTransition } from '../../src/domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../../src/persistence/analysis.repository.ts';
import { reconcileStrandedAnalyses } from '../../src/queue/reconcile-analyses.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { SYSTEM_WORKER_ACTOR } from '../../src/contract/analysis.types.ts';
import { repositories } from '../../src/persistence/repositories.ts';

const MAX_ATTEMPTS = 3;
const TENANT = 'crash-tenant';

let db: TestDatabase;
let server: MediaServer;
let root: string;
let env: NodeJS.ProcessEnv;
let service: AnalysisService;
let utils: WorkerUtils;

before(async () => {
  db = await createTestDatabase();
  server = await startMediaServer();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-strand-'));
  env = {
    ...process.env,
    DATABASE_URL: db.url,
    STORAGE_ROOT: root,
    DATA_DIR: root,
    DOWNLOAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
    WORKER_HEARTBEAT_INTERVAL_MS: '300',
    WORKER_STALE_AFTER_MS: '1500',
    WORKER_POLL_INTERVAL_MS: '100',
    JOB_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    TENANT_MAX_CONCURRENT: '1',
    LOG_LEVEL: 'warn',
  };
  service = new AnalysisService(db.db, repositories, { maxJobAttempts: MAX_ATTEMPTS, idempotencyTtlHours: 24 });
  utils = await makeWorkerUtils({ pgPool: db.pool });
});
after(async () => {
  await utils.release();
  await server.close();
  await db.drop();
  await fs.rm(root, { recursive: true, force: true });
});

function spawnWorker(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['src/main/cli.ts', 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function submit(url: string) {
  return service.create(
    {
      tenantId: TENANT,
      prompt: 'crash me',
      sourceUrl: url,
      upload: null,
      mediaType: 'unknown',
      config: {},
      options: {},
      metadata: {},
      correlationId: `strand-${Date.now()}`,
    },
    { id: 'test', ip: null, correlationId: null },
  );
}

const TEXT = Buffer.from('A perfectly ordinary note about the quarter.\n');

test('a worker SIGKILLed at every pickup: failed WORKER_CRASHED, retry works, the tenant moves on', async () => {
  // The "hostile file": a download that never ends, so each pickup is killed while it holds the analysis.
  server.routes.set('/killer.txt', { kind: 'hang' });
  const a = await submit(server.url('/killer.txt'));
  let kills = 0;
  for (let pickup = 1; pickup <= MAX_ATTEMPTS; pickup++) {
    const w = spawnWorker();
    const seen = await waitFor(async () => {
      const status = await analysisRepository.findStatus(db.db, a.id);
      if (status === 'failed') return 'failed';
      return (server.hits.get('/killer.txt') ?? 0) >= pickup ? 'picked' : null;
    }, 180_000).catch((err: unknown) => {
      throw new Error(`pickup ${pickup} never came: ${String(err)}\n${w.output().slice(-2000)}`);
    });
    if (seen === 'failed') {
      w.child.kill('SIGTERM');
      assert.equal(await w.exited, 0, w.output().slice(-2000));
      break;
    }
    w.child.kill('SIGKILL');
    await w.exited;
    kills++;
  }
  assert.equal(kills, MAX_ATTEMPTS - 1);
  const failed = await analysisRepository.findById(db.db, a.id);
  assert.equal(failed!.status, 'failed');
  assert.equal(failed!.errorCode, 'WORKER_CRASHED');
  assert.match(failed!.errorMessage ?? '', /stopped 2 times/);

  // The slot is free and retry is allowed; with the file fixed, both analyses complete.
  server.routes.set('/killer.txt', { kind: 'body', data: TEXT, type: 'text/plain' });
  server.routes.set('/next.txt', { kind: 'body', data: TEXT, type: 'text/plain' });
  const next = await submit(server.url('/next.txt'));
  await service.retry(a.id, TENANT, { id: 'test', ip: null, correlationId: null });
  const w = spawnWorker();
  try {
    await waitFor(async () => (await analysisRepository.findStatus(db.db, next.id)) === 'completed', 180_000);
    await waitFor(async () => (await analysisRepository.findStatus(db.db, a.id)) === 'completed', 180_000);
  } catch (err) {
    throw new Error(`${String(err)}\n${w.output().slice(-3000)}`, { cause: err });
  } finally {
    w.child.kill('SIGTERM');
    await w.exited;
  }
});

async function processingWithJob(url: string) {
  const a = await submit(url);
  const started = await db.db
    .transaction()
    .execute((trx) =>
      applyTransition(repositories, trx, a, 'start', { started_at: new Date(), progress: 0 }, SYSTEM_WORKER_ACTOR),
    );
  assert.ok(started);
  const job = await db.pool.query<{ id: string }>('SELECT id FROM graphile_worker.jobs WHERE key = $1', [
    `analysis:${a.id}`,
  ]);
  return { analysis: started, jobId: job.rows[0]!.id };
}

test('the reconciler ends rows whose job is dead or gone, and leaves a live one alone', async () => {
  const log = createLogger('silent');
  const dead = await processingWithJob(server.url('/dead.txt'));
  const gone = await processingWithJob(server.url('/gone.txt'));
  const live = await processingWithJob(server.url('/live.txt'));
  await utils.permanentlyFailJobs([dead.jobId], 'killed by the file');
  await utils.completeJobs([gone.jobId]);
  assert.equal(await reconcileStrandedAnalyses(db.db, log, { graceMs: 60_000 }), 0, 'the grace period protects');
  assert.equal(await reconcileStrandedAnalyses(db.db, log, { graceMs: 0 }), 2);
  const [d, g, l] = await Promise.all([dead, gone, live].map((x) => analysisRepository.findById(db.db, x.analysis.id)));
  assert.equal(d!.status, 'failed');
  assert.equal(d!.errorCode, 'ATTEMPTS_EXHAUSTED');
  assert.equal(g!.status, 'failed');
  assert.equal(g!.errorCode, 'WORKER_CRASHED');
  assert.equal(l!.status, 'processing');
  await service.retry(dead.analysis.id, TENANT, { id: 'test', ip: null, correlationId: null });
  assert.equal(await analysisRepository.findStatus(db.db, dead.analysis.id), 'pending');
});
