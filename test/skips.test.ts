/**
 * No silent skips in CI: the reporter of scripts/test-skips.ts records each outcome of a real
 * test run, and a skip the allow-list does not name is reported (scripts/test.ts fails the run
 * on it under CI=true).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readAllowList, readOutcomes, tally, unlistedSkips, type AllowedSkip } from '../scripts/test-skips.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function withoutTestContext(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Runs `source` as a test file under Node's runner with the outcome reporter; returns the exit code and outcomes. */
async function runTests(source: string, env: NodeJS.ProcessEnv = {}) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-skips-'));
  try {
    const file = path.join(dir, 'sample.test.ts');
    const out = path.join(dir, 'outcomes.jsonl');
    await fs.writeFile(file, source);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--test',
          `--test-reporter=${path.join(ROOT, 'scripts', 'test-skips.ts')}`,
          `--test-reporter-destination=${out}`,
          file,
        ],
        // Without NODE_TEST_CONTEXT: the inner run must report as a run of its own, not to this one.
        { stdio: 'ignore', env: { ...withoutTestContext(), ...env } },
      );
      child.on('close', (c) => resolve(c ?? 1));
    });
    return { code, outcomes: readOutcomes(out), file: path.relative(ROOT, file) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const SAMPLE = `
import { test, describe } from 'node:test';
describe('needs redis', { skip: 'redis-server is not installed' }, () => { test('a', () => {}); test('b', () => {}); });
test('runs', () => {});
test('skips at run time', (t) => { t.skip('no private address here'); });
test('skips without a reason', { skip: true }, () => {});
test('does not skip', { skip: false }, () => {});
`;

test('the reporter records every skip, a skipped suite once, with its reason', async () => {
  const { code, outcomes, file } = await runTests(SAMPLE);
  assert.equal(code, 0, 'the runner itself passes skipped tests');
  const skips = outcomes.filter((o) => o.result === 'skip').map((o) => [o.file, o.name, o.reason]);
  assert.deepEqual(skips, [
    [file, 'needs redis', 'redis-server is not installed'],
    [file, 'skips at run time', 'no private address here'],
    [file, 'skips without a reason', undefined],
  ]);
  assert.deepEqual(tally(outcomes), { passed: 2, failed: 0, skipped: 3 });

  const allowed: AllowedSkip[] = [{ file, test: 'skips at run time', reason: 'the machine decides' }];
  assert.deepEqual(
    unlistedSkips(outcomes, allowed).map((o) => o.name),
    ['needs redis', 'skips without a reason'],
  );
});

test('a failing test is counted as failed', async () => {
  const { code, outcomes } = await runTests(
    `import { test } from 'node:test';\ntest('x', () => { throw new Error('no'); });\n`,
  );
  assert.equal(code, 1);
  assert.deepEqual(tally(outcomes), { passed: 0, failed: 1, skipped: 0 });
});

test('the allow-list names real tests, each with a reason', async () => {
  const allowed = readAllowList();
  assert.ok(allowed.length > 0);
  for (const a of allowed) {
    const source = await fs.readFile(path.join(ROOT, a.file), 'utf8');
    // The name as written, or for a name built in a loop (`${overlay}: …`) its literal tail.
    const tail = a.test.slice(a.test.indexOf(': '));
    assert.ok(source.includes(a.test) || source.includes(`}${tail}`), `${a.file} has a test named "${a.test}"`);
    assert.ok(a.reason.length > 20, `the skip of "${a.test}" says why`);
  }
});
