/**
 * CI guard for the contract: the committed openapi.json and the SDK's generated types
 * must equal what the routes produce now (run `npm run sdk:generate` to update them), and
 * the document must pass Redocly's recommended lint with no errors or warnings.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { openapiDocument } from './openapi.ts';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-openapi-'));
const doc = path.join(dir, 'openapi.json');
await fs.writeFile(doc, JSON.stringify(await openapiDocument(), null, 2) + '\n');
const bin = (name: string) => path.resolve('node_modules/.bin', name);
execFileSync(bin('openapi-typescript'), [doc, '-o', path.join(dir, 'schema.ts')], { stdio: 'ignore' });
const problems: string[] = [];
for (const [fresh, committed] of [
  [doc, 'openapi.json'],
  [path.join(dir, 'schema.ts'), 'sdk/src/schema.ts'],
] as const) {
  const [a, b] = await Promise.all([fs.readFile(fresh, 'utf8'), fs.readFile(committed, 'utf8').catch(() => '')]);
  if (a !== b) problems.push(`${committed} is stale: run npm run sdk:generate and commit the result`);
}
try {
  // --max-problems keeps the output short; warnings fail the check too.
  execFileSync(bin('redocly'), ['lint', doc, '--format=summary'], { stdio: 'pipe', encoding: 'utf8' });
  const out = execFileSync(bin('redocly'), ['lint', doc, '--format=json'], { stdio: 'pipe', encoding: 'utf8' });
  const report = JSON.parse(out) as { totals?: { errors: number; warnings: number } };
  if ((report.totals?.errors ?? 0) + (report.totals?.warnings ?? 0) > 0)
    problems.push(`redocly lint: ${report.totals?.errors} errors, ${report.totals?.warnings} warnings`);
} catch (err) {
  const e = err as { stdout?: string; stderr?: string };
  problems.push(`redocly lint failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
}
await fs.rm(dir, { recursive: true, force: true });
if (problems.length > 0) {
  process.stderr.write(problems.join('\n') + '\n');
  process.exit(1);
}
process.stdout.write('openapi.json and sdk/src/schema.ts are current; redocly lint: no errors, no warnings\n');
