/**
 * Writes the real output shown in docs/cli.md and docs/sdk.md (their `cli-output` and
 * `sdk-output` blocks): the service (API on a local port,
 * one worker, the vision models, no provider) on a scratch database, then the user CLI
 * (`analyze … --wait`, `search`) and scripts/readme-sdk-example.ts run against it as a user
 * would, on the video of scripts/readme-media.ts. The API key is checked never to appear. `node scripts/readme-cli-sdk.ts` (needs DATABASE_URL or the
 * embedded PostgreSQL of `npm test`'s helpers).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createTestApp } from '../test/helpers/app.ts';
import { ModelHost } from '../src/media/vision/model-host.ts';
import { makeSpeechVideo } from './readme-media.ts';
import { writeBlock } from './docs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SDK_EXAMPLE = path.join(ROOT, 'scripts', 'readme-sdk-example.ts');

/** Runs a program in `cwd`; stdout and stderr interleaved as a terminal shows them, without ANSI codes. */
function run(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output: clean(output) }));
  });
}

function clean(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
      .split('\n')
      .map((line) => line.split('\r').at(-1)!.trimEnd())
      .join('\n')
      .trimEnd()
  );
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-readme-cli-'));
makeSpeechVideo(dir);
await fs.rm(path.join(dir, 'photos.mp4'));
const host = new ModelHost({ callTimeoutMs: 120_000, maxHeapMb: 1024 });
const t = await createTestApp({}, { vision: host });
try {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const env = {
    MEDIA_ANALYSIS_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
    MEDIA_ANALYSIS_API_KEY: t.tenantA.key,
    MEDIA_ANALYSIS_CONFIG: path.join(dir, 'no-config.json'),
  };
  await t.startWorker({ concurrency: 1 });
  const cli = path.join(ROOT, 'src', 'main', 'cli.ts');
  const blocks: string[] = [];
  for (const args of [
    ['analyze', 'photos-with-speech.mp4', '--prompt', 'Who speaks, and what is shown?', '--wait'],
    ['search', 'a young man'],
  ]) {
    const r = await run([cli, ...args], dir, env);
    if (r.code !== 0) throw new Error(`media-analysis ${args.join(' ')} exited with ${r.code}:\n${r.output}`);
    const shown = args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
    blocks.push(`$ npx media-analysis ${shown}\n${r.output}`);
  }
  const sdk = await run([SDK_EXAMPLE], dir, env);
  if (sdk.code !== 0) throw new Error(`the SDK example exited with ${sdk.code}:\n${sdk.output}`);
  const cliText = ['```console', blocks.join('\n\n'), '```'].join('\n');
  const sdkText = [
    '```ts',
    (await fs.readFile(SDK_EXAMPLE, 'utf8')).trimEnd(),
    '```',
    '',
    '```console',
    sdk.output,
    '```',
  ].join('\n');
  for (const text of [cliText, sdkText])
    if (text.includes(t.tenantA.key)) throw new Error('the API key appeared in the output');
  writeBlock('docs/cli.md', 'cli-output', cliText);
  writeBlock('docs/sdk.md', 'sdk-output', sdkText);
  process.stdout.write('wrote the cli-output block of docs/cli.md and the sdk-output block of docs/sdk.md\n');
} finally {
  await t.close();
  await host.close();
  await fs.rm(dir, { recursive: true, force: true });
}
