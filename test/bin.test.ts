/** The `bin/media-analysis` launcher, started the way npm and npx start it: through a symlink. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..');

test('the launcher finds the package through node_modules/.bin links', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-bin-'));
  try {
    // What `npm install` / `npx` lay out: the package folder, and a relative link to its bin.
    await fs.mkdir(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    await fs.symlink(repo, path.join(dir, 'node_modules', 'media-analysis'));
    const link = path.join(dir, 'node_modules', '.bin', 'media-analysis');
    await fs.symlink('../media-analysis/bin/media-analysis', link);
    // A second hop, as a user's ~/bin link to it would add.
    const outer = path.join(dir, 'ma');
    await fs.symlink(link, outer);
    for (const entry of [link, outer]) {
      const { stdout } = await run(entry, ['--help'], { cwd: dir });
      assert.match(stdout, /usage: media-analysis <command>/, entry);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the CLI reads .env from the working directory; the environment wins over the file', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-dotenv-'));
  try {
    await fs.writeFile(
      path.join(dir, '.env'),
      'PORT=eighty\nJOB_MAX_ATTEMPTS=99\nOPENAI_API_KEY="sk-secret-in-file"\n',
    );
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', JOB_MAX_ATTEMPTS: '3' };
    const failed = await run(path.join(repo, 'bin', 'media-analysis'), ['start'], { cwd: dir, env }).then(
      () => assert.fail('expected the bad PORT from .env to stop the start'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /PORT: expected an integer, got "eighty"/);
    assert.doesNotMatch(failed.stderr, /JOB_MAX_ATTEMPTS/, 'the environment (3) overrides the file (99)');
    assert.doesNotMatch(failed.stderr, /sk-secret-in-file/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
