/**
 * `npm test`: runs every test file with Node's test runner and line coverage.
 * Uses DATABASE_URL when set; otherwise starts embedded PostgreSQL under
 * ./data/test-pg for the run. Each test file then clones its own database from a
 * migrated template (see test/helpers/db.ts).
 *
 * Under CI=true a skipped test fails the run unless test/skips-allowed.json lists it with
 * its reason: a suite that skips because a program is missing must not pass unseen
 * (scripts/test-skips.ts reports every outcome beside the spec reporter).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/persistence/embedded-postgres.ts';
import { readAllowList, readOutcomes, tally, unlistedSkips } from './test-skips.ts';

const TEST_PG_PORT = Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339);
const COVERAGE_LINES = 90;

async function main(): Promise<number> {
  let stop: (() => Promise<void>) | null = null;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
  if (!env.DATABASE_URL) {
    process.stdout.write(`DATABASE_URL not set: starting embedded PostgreSQL on 127.0.0.1:${TEST_PG_PORT}\n`);
    const pg = await startEmbeddedPostgres({
      dataDir: path.resolve('data/test-pg'),
      port: TEST_PG_PORT,
      database: 'media_analysis_test',
    });
    env.DATABASE_URL = pg.connectionString;
    stop = pg.stop;
  }
  const files = process.argv.slice(2);
  const outcomesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ma-test-')), 'outcomes.jsonl');
  const args = [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(import.meta.dirname, 'test-skips.ts')}`,
    `--test-reporter-destination=${outcomesFile}`,
    '--test-concurrency=2',
    // A test file whose tests have all finished exits even if a handle (a pool, a model thread)
    // is still open, so one leaked handle cannot stall the whole run.
    '--test-force-exit',
    '--experimental-test-coverage',
    `--test-coverage-lines=${COVERAGE_LINES}`,
    '--test-coverage-exclude=**/*.test.ts',
    '--test-coverage-exclude=test/**',
    '--test-coverage-exclude=scripts/**',
    '--test-coverage-exclude=bench/**',
    '--test-coverage-exclude=node_modules/**',
    ...(files.length > 0 ? files : ['src/**/*.test.ts', 'test/**/*.test.ts']),
  ];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env });
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (stop) await stop();
  return judgeSkips(code, outcomesFile);
}

/** Lists the skips; under CI=true an unlisted one fails the run. Ends with the plain count line. */
function judgeSkips(code: number, outcomesFile: string): number {
  const outcomes = readOutcomes(outcomesFile);
  fs.rmSync(path.dirname(outcomesFile), { recursive: true, force: true });
  const allowed = readAllowList();
  const unlisted = unlistedSkips(outcomes, allowed);
  for (const o of outcomes.filter((x) => x.result === 'skip')) {
    const listed = !unlisted.includes(o);
    process.stdout.write(
      `skipped${listed ? ' (allowed)' : ''}: ${o.file} › ${o.name}: ${o.reason ?? 'no reason given'}\n`,
    );
  }
  let result = code;
  if (unlisted.length > 0 && process.env.CI === 'true') {
    process.stdout.write(
      `${unlisted.length} skipped test(s) not in test/skips-allowed.json: install what they need, ` +
        'or list them there with the reason they cannot run in CI\n',
    );
    result = result || 1;
  }
  const { passed, failed, skipped } = tally(outcomes);
  process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return result;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test runner failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
