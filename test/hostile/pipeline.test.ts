/**
 * The hostile-input suite end to end: each file is uploaded through the API and run by
 * a real worker in this process. Each one must reach its terminal state with the
 * expected code, in bounded time, without a retry when the failure is permanent, with
 * this process's RSS bounded and nothing half-written left in storage; afterwards the
 * same worker still completes a normal analysis.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createTestApp, auth, waitFor, type TestApp } from '../helpers/app.ts';
import { fixtures, hasFfmpeg } from '../helpers/fixtures.ts';
import { multipart } from '../helpers/multipart.ts';
import { auditRepository } from '../../src/persistence/audit.repository.ts';
import { hostileCases, type HostileCase } from './hostile-cases.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp({ MAX_IMAGE_PIXELS: '50000000', MAX_DOCUMENT_PAGES: '2000' });
  await t.startWorker({ concurrency: 1 });
});
after(async () => {
  await t.close();
});

/** Peak RSS growth of this process (the worker) while `fn` runs, in MiB. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  try {
    const value = await fn();
    return { value, growthMb: (peak - base) / 1024 / 1024 };
  } finally {
    clearInterval(sampler);
  }
}

function post(c: HostileCase, data: Buffer) {
  const mp = multipart({ prompt: 'What is this?' }, { name: c.filename, data });
  return t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
}

async function submit(c: HostileCase, data: Buffer): Promise<string> {
  const res = await post(c, data);
  assert.equal(res.statusCode, 202, `${c.name}: ${res.body}`);
  return res.json().analysis_id as string;
}

async function terminal(id: string, timeoutMs: number) {
  return waitFor(async () => {
    const s = (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json();
    return ['completed', 'failed'].includes(s.status) ? s : null;
  }, timeoutMs);
}

/** The stored upload files (`…/{id}/source`). */
async function storedSources(): Promise<string[]> {
  const names = await fs.readdir(t.storageRoot, { recursive: true }).catch(() => [] as string[]);
  return names.filter((n) => path.basename(n) === 'source').sort();
}

async function leftovers(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return names.filter((n) => /source\.partial-|\.tmp-/.test(path.basename(n)));
}

for (const c of hostileCases) {
  test(
    `${c.name} → ${c.expect.status}${c.expect.code ? ` ${c.expect.code}` : ''}`,
    { skip: c.needsFfmpeg && !hasFfmpeg() },
    async () => {
      const data = await c.build();
      if (c.expect.status === 'refused') {
        const before = await storedSources();
        const res = await post(c, data);
        assert.equal(res.statusCode, 422, res.body);
        assert.equal(res.json().code, c.expect.code);
        assert.deepEqual(await storedSources(), before, 'nothing of the refused upload is kept');
        assert.deepEqual(await leftovers(t.storageRoot), []);
        return;
      }
      const t0 = performance.now();
      const { value: s, growthMb } = await peakRssGrowth(async () =>
        terminal(await submit(c, data), c.maxSeconds * 1000),
      );
      const seconds = (performance.now() - t0) / 1000;
      assert.equal(s.status, c.expect.status, `${c.name}: ${s.error_code} ${s.error_message}`);
      if (c.expect.code) assert.equal(s.error_code, c.expect.code, s.error_message);
      c.check?.(s);
      assert.ok(seconds < c.maxSeconds, `${c.name} took ${seconds.toFixed(1)} s`);
      assert.ok(growthMb < 400, `${c.name}: worker RSS grew ${Math.round(growthMb)} MiB`);
      const starts = (await auditRepository.forRecord(t.db.db, 'media_analysis_requests', s.analysis_id)).filter(
        (r) => r.action === 'start',
      );
      assert.equal(starts.length, 1, `${c.name} was started ${starts.length} times`);
      assert.deepEqual(await leftovers(t.storageRoot), []);
      if (s.error_message) assert.doesNotMatch(s.error_message, new RegExp(t.storageRoot));
    },
  );
}

test('after every hostile file, the same worker completes a normal analysis', async () => {
  const mp = multipart({ prompt: 'Summarise' }, { name: 'notes.txt', data: await fs.readFile(await fixtures.text()) });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
  assert.equal(res.statusCode, 202, res.body);
  const s = await terminal(res.json().analysis_id, 30_000);
  assert.equal(s.status, 'completed', s.error_message);
});
