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
