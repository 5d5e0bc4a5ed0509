/**
 * The README quickstart with nothing configured: `media-analysis start` brings up
 * embedded PostgreSQL under DATA_DIR, migrates, creates the first admin key (0600
 * file), serves the API with an in-process worker, and drains on SIGTERM.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { waitFor } from './helpers/app.ts';
import { freePort } from './helpers/net.ts';

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-quickstart-'));
// mkdtemp makes the folder 0700; embedded PostgreSQL runs as its own user and must reach it.
await fs.chmod(dataDir, 0o755);
// Set by the test once the service process has exited (embedded PostgreSQL stopped with it).
let serviceExited: Promise<unknown> = Promise.resolve();
after(async () => {
  await serviceExited;
  await fs.rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
});

test('start on embedded defaults: health, admin key, analyze → completed, SIGTERM → exit 0', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: 'info',
    WORKER_POLL_INTERVAL_MS: '200',
  };
  const child = spawn(process.execPath, ['src/main/cli.ts', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));
  serviceExited = exited;
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (exitCode !== undefined) throw new Error(`exited with ${exitCode}`);
        return (await fetch(`${base}/health`).catch(() => null))?.ok;
      },
      90_000,
      250,
    ).catch(() => {
      throw new Error(`service did not come up:\n${out.slice(-3000)}`);
    });
    const keyFile = path.join(dataDir, 'admin-api-key');
    const key = (await fs.readFile(keyFile, 'utf8')).trim();
    assert.equal((await fs.stat(keyFile)).mode & 0o777, 0o600);
    assert.ok(out.includes(key), 'the first key is printed once');
    assert.ok(!/postgres:\/\/postgres:[^*@]+@/.test(out), 'the embedded password never reaches the logs');
    await fs.access(path.join(dataDir, 'pg', 'PG_VERSION'));

    const form = new FormData();
    form.set('prompt', 'What is this?');
    form.set('file', new Blob([Buffer.from('plain text notes\nsecond line\n')]), 'notes.txt');
    const res = await fetch(`${base}/api/media/analyze`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    assert.equal(res.status, 202);
    const { analysis_id: id } = (await res.json()) as { analysis_id: string };
    const status = await waitFor(async () => {
      const s = (await (await fetch(`${base}/api/media/status/${id}`, { headers: { 'x-api-key': key } })).json()) as {
        status: string;
        result_summary: string;
      };
      return s.status === 'completed' || s.status === 'failed' ? s : null;
    }, 30_000);
    assert.equal(status.status, 'completed');
    // No model is configured: the summary is the extracted answer, quoting the uploaded text.
    assert.match(status.result_summary, /^Extracted, not generated\./);
    assert.match(status.result_summary, /plain text notes/);
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 200);
    // An operator command beside the running service uses its embedded PostgreSQL
    // (it used to try to start a second one on the taken port and fail).
    const cli = spawnSync(process.execPath, ['src/main/cli.ts', 'keys', 'list'], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(cli.status, 0, `${cli.stdout}\n${cli.stderr}`);
    assert.match(cli.stdout, /admin/i);
    assert.equal((await fetch(`${base}/health`)).status, 200, 'the service and its database are still up');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out.slice(-2000));
});
