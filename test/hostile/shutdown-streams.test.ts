/**
 * Shutdown with open event streams (issue #25, defect 2). A real `media-analysis start`
 * process (API and in-process worker) with a tenant event stream open gets SIGTERM: the
 * stream ends with a final `shutdown` event, the worker claims nothing from then on, and
 * the process exits 0 within seconds (it used to wait for the stream forever).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startService, waitHealthy, type ServiceProcess } from '../helpers/fleet.ts';
import { freePort } from '../helpers/net.ts';
import { ApiKeyService } from '../../src/domain/tenant/api-key.service.ts';
import { analysisRepository } from '../../src/persistence/analysis.repository.ts';
import { streamEvents, type StreamEvent } from '../../sdk/src/sse.ts';
import { repositories } from '../../src/persistence/repositories.ts';

/** Well inside a Kubernetes grace period (the worker manifest gives 180 s). */
const EXIT_WITHIN_MS = 15_000;

let db: TestDatabase;
let root: string;
let service: ServiceProcess | null = null;

before(async () => {
  db = await createTestDatabase();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-shutdown-'));
});
after(async () => {
  await service?.kill();
  await db.drop();
  await fs.rm(root, { recursive: true, force: true });
});

test('SIGTERM with an open event stream: final shutdown event, no job claimed after, exit 0 in seconds', async () => {
  const keys = new ApiKeyService(db.db, repositories);
  const { key } = await keys.create('tenant-a', 'streams');
  const port = await freePort();
  service = startService('start', {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    DATA_DIR: root,
    PORT: String(port),
    HOST: '127.0.0.1',
    SSE_HEARTBEAT_MS: '500',
    WORKER_POLL_INTERVAL_MS: '200',
    CLEANUP_CRON: '',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(service, `${base}/health`, 60_000);

  const seen: StreamEvent[] = [];
  const reading = (async () => {
    for await (const e of streamEvents(`${base}/api/events`, {
      headers: { authorization: `Bearer ${key}` },
      reconnect: false,
    }))
      seen.push(e);
  })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));

  const started = Date.now();
  service.child.kill('SIGTERM');
  // Submitted right after the signal: a stopping worker must not pick it up.
  await new Promise((r) => setTimeout(r, 200));
  const late = await fetch(`${base}/api/media/analyze`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'p', media_url: 'https://example.com/a.mp4' }),
  }).then(
    async (r) => (r.status === 202 ? ((await r.json()) as { analysis_id: string }).analysis_id : null),
    () => null,
  );
  const code = await Promise.race([
    service.exited,
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), EXIT_WITHIN_MS)),
  ]);
  assert.equal(code, 0, `exit ${String(code)} after ${Date.now() - started} ms:\n${service.output().slice(-3000)}`);
  await reading;
  assert.equal(seen.at(-1)?.event, 'shutdown', `events: ${seen.map((e) => e.event).join(', ')}`);
  if (late) assert.equal((await analysisRepository.findById(db.db, late))?.status, 'pending');
  service = null;
});
