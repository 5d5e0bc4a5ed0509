/**
 * One list of Debian packages (deploy/debian-packages.txt) for the quickstart's set-up script,
 * CI and the container image: each reads it, and none keeps a list of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const LIST = 'deploy/debian-packages.txt';
const ROLES = ['run', 'image', 'test', 'bench'];
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

const entries = read(LIST)
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .map((line) => {
    const [name, role, present, ...why] = line.trim().split(/\s+/);
    return { name: name!, role: role!, present: present!, why: why.join(' ') };
  });
const named = (...roles: string[]) =>
  entries
    .filter((e) => roles.includes(e.role))
    .map((e) => e.name)
    .sort();

test('every line names a package, a known role, what shows it is there, and why', () => {
  assert.ok(entries.length >= 10, 'the list is read');
  for (const e of entries) {
    assert.match(e.name, /^[a-z0-9][a-z0-9.+-]+$/, e.name);
    assert.ok(ROLES.includes(e.role), `${e.name}: role ${e.role}`);
    assert.ok(e.present, `${e.name}: a program or a file that shows it is installed`);
    assert.ok(e.why.length > 5, `${e.name}: why it is needed`);
  }
  assert.equal(new Set(entries.map((e) => e.name)).size, entries.length, 'no package twice');
});

test('scripts/setup.sh installs the roles it is given, `run` by default', () => {
  const list = (...roles: string[]) =>
    execFileSync('bash', ['scripts/setup.sh', ...roles], { cwd: ROOT, env: { ...process.env, SETUP_LIST: '1' } })
      .toString()
      .split('\n')
      .filter(Boolean)
      .sort();
  assert.deepEqual(list(), named('run'));
  assert.deepEqual(list('run', 'test'), named('run', 'test'));
});

test('.ci/run installs through the set-up script: the service and the tests', () => {
  const ci = read('.ci/run');
  assert.match(ci, /^SETUP_SKIP_NPM=1 bash scripts\/setup\.sh run test$/m);
  assert.doesNotMatch(ci, /apt-get install/, 'no list of its own');
});

test('the Dockerfile installs the run and image roles from the same file', () => {
  const dockerfile = read('Dockerfile');
  assert.ok(dockerfile.includes(`COPY ${LIST} /tmp/debian-packages.txt`));
  const awk = /\$\(awk '([^']+)' \/tmp\/debian-packages\.txt\)/.exec(dockerfile)?.[1];
  assert.ok(awk, 'the package names come from the file');
  const installed = execFileSync('awk', [awk, path.join(ROOT, LIST)])
    .toString()
    .split('\n')
    .filter(Boolean)
    .sort();
  assert.deepEqual(installed, named('run', 'image'));
  for (const e of entries) assert.ok(!new RegExp(`install[^\\n]*\\s${e.name}\\s`).test(dockerfile), e.name);
});
