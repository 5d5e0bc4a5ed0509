/**
 * Crash recovery and graceful drain with real worker processes (`media-analysis worker`).
 * A worker killed with SIGKILL mid-job must not strand its analysis: another worker
 * unlocks the job once the dead one's heartbeat is stale and finishes it, once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startMediaServer, type MediaServer } from './helpers/media-server.ts';
import { waitFor } from './helpers/app.ts';
import { fixtures } from './helpers/fixtures.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { analysisRepository } from '../src/persistence/analysis.repository.ts';
import { createRuntime } from '../src/main/runtime.ts';
import { loadConfig } from '../src/config/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { repositories } from '../src/persistence/repositories.ts';

const HEARTBEAT_MS = 300;
const STALE_MS = 3_000;

let db: TestDatabase;
let server: MediaServer;
let root: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  db = await createTestDatabase();
  server = await startMediaServer();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-crash-'));
  env = {
    ...process.env,
    DATABASE_URL: db.url,
    STORAGE_ROOT: root,
    DATA_DIR: root,
    DOWNLOAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
    WORKER_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    WORKER_STALE_AFTER_MS: String(STALE_MS),
    WORKER_POLL_INTERVAL_MS: '100',
    LOG_LEVEL: 'info',
  };
});
after(async () => {
  // A worker left running by a failed test must not keep the run alive.
  for (const child of children) child.kill('SIGKILL');
  await server.close();
  await db.drop();
  await fs.rm(root, { recursive: true, force: true });
});

const children = new Set<ChildProcess>();

/** Settle with `p`, or fail after `ms` so a stuck process cannot hang the test. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function spawnWorker(extraEnv: NodeJS.ProcessEnv = {}): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['src/main/cli.ts', 'worker'], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function submit(url: string): Promise<string> {
  const service = new AnalysisService(db.db, repositories, { maxJobAttempts: 5, idempotencyTtlHours: 24 });
  const a = await service.create(
    {
      tenantId: 'crash',
      prompt: 'survive',
      sourceUrl: url,
      upload: null,
      mediaType: 'unknown',
      config: {},
      options: {},
      metadata: {},
      correlationId: `crash-${Date.now()}`,
    },
    { id: 'test', ip: null, correlationId: null },
  );
  return a.id;
}

async function actions(id: string): Promise<string[]> {
  return (await db.db.selectFrom('audit_log').select('action').where('record_id', '=', id).orderBy('id').execute()).map(
    (r) => r.action,
  );
}

test('SIGKILL mid-job: another worker finishes the analysis once, well within 60 s', { timeout: 240_000 }, async () => {
  const image = await fs.readFile(await fixtures.image());
  server.routes.set('/slow.png', { kind: 'drip', data: Buffer.alloc(400_000, 1), chunk: 1000, everyMs: 100 });
  const id = await submit(server.url('/slow.png'));

  const w = spawnWorker();
  await waitFor(
    async () => (await analysisRepository.findStatus(db.db, id)) === 'processing' && server.hits.get('/slow.png'),
    // Generous: a worker process takes many seconds to boot on a loaded CI machine.
    90_000,
  ).catch((err: unknown) => {
    // Not left running to take the next test's job.
    w.child.kill('SIGKILL');
    throw new Error(`worker never started the job: ${String(err)}\n${w.output()}`);
  });
  w.child.kill('SIGKILL');
  await within(w.exited, 10_000, 'the killed worker exiting');
  const killedAt = Date.now();
  server.routes.set('/slow.png', { kind: 'body', data: image });

  // The rescuer is built the way the runtime builds every worker, so it has all the pipeline's deps.
  const cfg = loadConfig({ ...env, LOG_LEVEL: 'silent', CLEANUP_CRON: '' } as Record<string, string>);
  const runtime = await createRuntime({ config: cfg, logger: createLogger('silent'), migrate: false });
  try {
    await runtime.startWorker();
    await waitFor(async () => (await analysisRepository.findStatus(db.db, id)) === 'completed', 60_000);
    const recoveredInMs = Date.now() - killedAt;
    assert.ok(recoveredInMs < 60_000, `recovered in ${recoveredInMs} ms`);
    process.stdout.write(`# crash recovery: analysis completed ${recoveredInMs} ms after SIGKILL\n`);
    const acts = await actions(id);
    assert.equal(acts.filter((a) => a === 'complete').length, 1, acts.join(','));
    assert.equal(
      acts.filter((a) => a === 'start').length,
      1,
      'the analysis resumed rather than restarting from pending',
    );
    const a = await analysisRepository.findById(db.db, id);
    assert.equal(a!.mediaType, 'image');
  } finally {
    await runtime.close();
  }
});

// graphile-worker aborts running jobs 5 s into a graceful shutdown unless told otherwise; the
// worker gives them WORKER_DRAIN_TIMEOUT_MS (150 s by default), so a drain finishes its work.
test('SIGTERM drains: the running job finishes, then the worker exits 0', { timeout: 180_000 }, async () => {
  server.routes.set('/drain.png', {
    kind: 'drip',
    data: await fs.readFile(await fixtures.image()),
    chunk: 40,
    everyMs: 20,
  });
  const id = await submit(server.url('/drain.png'));
  const w = spawnWorker();
  await waitFor(
    async () => (await analysisRepository.findStatus(db.db, id)) === 'processing' && server.hits.get('/drain.png'),
    90_000,
  ).catch((err: unknown) => {
    w.child.kill('SIGKILL');
    throw err;
  });
  w.child.kill('SIGTERM');
  const code = await within(w.exited, 60_000, 'the draining worker exiting').catch((err: unknown) => {
    throw new Error(`${String(err)}\n${w.output().slice(-3000)}`);
  });
  assert.equal(code, 0, `exit ${code}: ${w.output().slice(-3000)}`);
  assert.equal(await analysisRepository.findStatus(db.db, id), 'completed');
  const beats = await db.db.selectFrom('worker_heartbeats').selectAll().execute();
  assert.equal(beats.filter((b) => b.pid === w.child.pid).length, 0, 'the drained worker removed its heartbeat');
});

test(
  'SIGTERM past WORKER_DRAIN_TIMEOUT_MS: the job is handed back to pending, the worker exits 0',
  { timeout: 180_000 },
  async () => {
    server.routes.set('/handback.png', {
      kind: 'drip',
      data: await fs.readFile(await fixtures.image()),
      chunk: 1,
      everyMs: 50,
    });
    const id = await submit(server.url('/handback.png'));
    const w = spawnWorker({ WORKER_DRAIN_TIMEOUT_MS: '300' });
    await waitFor(
      async () => (await analysisRepository.findStatus(db.db, id)) === 'processing' && server.hits.get('/handback.png'),
      90_000,
    ).catch((err: unknown) => {
      w.child.kill('SIGKILL');
      throw err;
    });
    w.child.kill('SIGTERM');
    const code = await within(w.exited, 60_000, 'the draining worker exiting');
    assert.equal(code, 0, `exit ${code}: ${w.output().slice(-3000)}`);
    const a = await analysisRepository.findById(db.db, id);
    assert.equal(a?.status, 'pending', `status ${a?.status}: ${a?.errorMessage}`);
    assert.match(a?.errorMessage ?? '', /shut down/);
  },
);
