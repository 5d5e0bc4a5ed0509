/**
 * `.env.example` is what a newcomer copies to `.env`: it must load both ways the README
 * says (Node's `process.loadEnvFile`, which the CLI uses, and `set -a; . ./.env`), give
 * the same values either way, name only keys the service knows, and boot as it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig, EnvSchema } from '../src/config/config.ts';

const run = promisify(execFile);
const file = path.resolve(import.meta.dirname, '..', '.env.example');
const PRINT_ENV = 'process.stdout.write(JSON.stringify(process.env))';

/** The variables the file sets (assignment lines, commented-out ones excluded). */
const keysInFile = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
  .filter((key): key is string => key !== undefined);

function pick(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(keysInFile.map((key) => [key, env[key] ?? '<unset>']));
}

test('.env.example loads with process.loadEnvFile and with `set -a; .`, to the same values', async () => {
  const clean = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const viaNode = JSON.parse(
    (await run(process.execPath, ['-e', `process.loadEnvFile(${JSON.stringify(file)}); ${PRINT_ENV}`], { env: clean }))
      .stdout,
  ) as Record<string, string>;
  const viaShell = JSON.parse(
    (
      await run('sh', ['-c', `set -a; . "$1"; set +a; exec "$2" -e '${PRINT_ENV}'`, 'sh', file, process.execPath], {
        env: clean,
      })
    ).stdout,
  ) as Record<string, string>;
  assert.ok(keysInFile.length > 40, `${keysInFile.length} keys`);
  assert.deepEqual(pick(viaShell), pick(viaNode));
  assert.equal(viaNode.CLEANUP_CRON, '*/15 * * * *');
  assert.equal(viaNode.MODEL_PRICES, '{}');

  const unknown = keysInFile.filter((key) => !(key in EnvSchema.properties));
  assert.deepEqual(unknown, [], 'every key in .env.example is one the service reads');

  // Boots as it is: no ConfigError (in particular no production-without-TLS refusal).
  const config = loadConfig(pick(viaNode));
  assert.equal(config.env, 'development');
  assert.equal(config.storage.cleanupCron, '*/15 * * * *');
});
