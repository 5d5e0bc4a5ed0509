/**
 * Skipped tests, counted. Node's test runner reports a skipped test as passed, so a suite
 * that skips because a program is missing (redis-server, kubectl, chromium) would go
 * unnoticed in CI. `scripts/test.ts` runs this file's default export as a second reporter,
 * which writes one JSON line per finished test; under CI=true every skip must then be
 * listed, with its reason, in test/skips-allowed.json.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One finished test or suite, as the reporter writes it. */
export interface Outcome {
  /** Path relative to the repository root. */
  file: string;
  name: string;
  kind: 'test' | 'suite';
  result: 'pass' | 'fail' | 'skip' | 'todo';
  /** The reason the test gave for skipping, when it gave one. */
  reason?: string;
}

/** An allowed skip: the test, and why it may not run in CI. */
export interface AllowedSkip {
  file: string;
  test: string;
  reason: string;
}

const ROOT = path.resolve(import.meta.dirname, '..');
export const ALLOW_LIST = path.join(ROOT, 'test', 'skips-allowed.json');

interface TestEventData {
  name: string;
  file?: string;
  skip?: string | boolean;
  todo?: string | boolean;
  details?: { type?: 'test' | 'suite' };
}

/** A test runner reporter (`--test-reporter=./scripts/test-skips.ts`): one JSON line per finished test. */
export default async function* outcomeReporter(
  source: AsyncIterable<{ type: string; data: TestEventData }>,
): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    // A file's own implicit test (its name is the file path) carries no skip of its own.
    if (!d.file || d.name === d.file) continue;
    const skipped = d.skip !== undefined && d.skip !== false;
    const todo = d.todo !== undefined && d.todo !== false;
    const outcome: Outcome = {
      file: path.relative(ROOT, d.file),
      name: d.name,
      kind: d.details?.type === 'suite' ? 'suite' : 'test',
      result: skipped ? 'skip' : todo ? 'todo' : event.type === 'test:pass' ? 'pass' : 'fail',
    };
    if (skipped && typeof d.skip === 'string') outcome.reason = d.skip;
    yield `${JSON.stringify(outcome)}\n`;
  }
}

/** Reads the reporter's lines. */
export function readOutcomes(file: string): Outcome[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Outcome);
}

/** Reads and checks the allow-list: every entry names a file, a test and a reason. */
export function readAllowList(file = ALLOW_LIST): AllowedSkip[] {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { skips?: unknown };
  if (!Array.isArray(parsed.skips)) throw new Error(`${file}: expected {"skips": [...]}`);
  return parsed.skips.map((entry: Partial<AllowedSkip>, i) => {
    for (const key of ['file', 'test', 'reason'] as const)
      if (typeof entry[key] !== 'string' || entry[key].trim() === '')
        throw new Error(`${file}: skips[${i}] needs a non-empty "${key}"`);
    return entry as AllowedSkip;
  });
}

/** The skips the allow-list does not name (same file, same test name). */
export function unlistedSkips(outcomes: readonly Outcome[], allowed: readonly AllowedSkip[]): Outcome[] {
  return outcomes.filter((o) => o.result === 'skip' && !allowed.some((a) => a.file === o.file && a.test === o.name));
}

/** Counts of leaf tests, as the plain closing line states them (a skipped suite counts as one skip). */
export function tally(outcomes: readonly Outcome[]): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const o of outcomes) {
    if (o.result === 'skip') skipped++;
    else if (o.kind === 'suite') continue;
    else if (o.result === 'fail') failed++;
    else passed++;
  }
  return { passed, failed, skipped };
}
