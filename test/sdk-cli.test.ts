/**
 * The SDK and the user CLI against the real service (API on a socket, a real worker):
 * upload with progress, wait over SSE, list iterator, typed problem+json errors, webhook
 * verification; history pages, artifacts, downloads, exports, search and admin keys (what
 * the web console calls); `media-analysis analyze --wait` end to end with exit codes; and
 * people (made-up faces): suggestions, naming and merging through the SDK and the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.ts';
import { alike, madeUpAnalysis, still } from './helpers/made-up-faces.ts';
import { MediaAnalysis, MediaAnalysisHttp, ApiError } from '../sdk/src/index.ts';

let t: TestApp;
let base: string;
let dir: string;
let receiver: Receiver;

before(async () => {
  receiver = await startReceiver();
  t = await createTestApp({ WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}` });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  await t.startWorker({ concurrency: 2 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-sdk-'));
  await fs.writeFile(
    path.join(dir, 'notes.txt'),
    'Die Brücke über den Fluss. 橋を渡る。 The bridge is long.\n'.repeat(20),
  );
  await fs.writeFile(path.join(dir, 'more.txt'), 'A second short note about rivers.\n');
});
after(async () => {
  await t.close();
  await receiver.close();
  await fs.rm(dir, { recursive: true, force: true });
});

test('SDK: analyze a file with upload progress, wait over SSE, list, errors, webhooks', async () => {
  const ma = new MediaAnalysis({ baseUrl: base, apiKey: t.tenantA.key });
  const progress: number[] = [];
  const accepted = await ma.analyze({
    file: path.join(dir, 'notes.txt'),
    prompt: 'What is this about?',
    onUploadProgress: (sent, total) => progress.push(sent / total),
  });
  assert.equal(accepted.status, 'pending');
  assert.equal(progress.at(-1), 1);
  const events: string[] = [];
  const done = await ma.wait(accepted.analysis_id, { onProgress: (e) => events.push(e.event) });
  assert.equal(done.status, 'completed', done.error_message ?? '');
  assert.equal(events.at(-1), 'completed');
  assert.equal(done.media_type, 'document');

  const seen: string[] = [];
  for await (const item of ma.list({ per_page: 1 })) seen.push(item.analysis_id);
  assert.ok(seen.includes(accepted.analysis_id));

  await assert.rejects(ma.get('00000000-0000-4000-8000-000000000000'), (e: ApiError) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'ANALYSIS_NOT_FOUND');
    return true;
  });
  await assert.rejects(
    ma.webhooks.create({ url: 'http://10.0.0.1/x' }),
    (e: ApiError) => e.code === 'WEBHOOK_URL_FORBIDDEN',
  );
  const endpoint = await ma.webhooks.create({ url: receiver.url('/sdk') });
  const ping = await ma.webhooks.test(endpoint.id);
  assert.equal(ping.state, 'delivered');
  const got = receiver.at('/sdk')[0]!;
  assert.equal(ma.webhooks.verify(got.headers, got.body, endpoint.secret).type, 'webhook.test');
  assert.throws(() => ma.webhooks.verify(got.headers, got.body + ' ', endpoint.secret));
  const log = await ma.webhooks.deliveries({ endpointId: endpoint.id });
  assert.equal(log.data[0]!.id, ping.id);
});

test('SDK: one history page, artifacts and downloads, exports, search, admin keys', async () => {
  // The HTTP-only client (what the browser console builds on), with a Blob like a browser's File.
  const ma = new MediaAnalysisHttp({ baseUrl: base, apiKey: t.tenantA.key });
  assert.equal('verify' in ma.webhooks, false, 'no signature checks (and no HMAC code) in the HTTP client');
  const text = 'A lighthouse keeper counts the gulls every morning.\n'.repeat(5);
  const accepted = await ma.analyze({
    file: new File([text], 'lighthouse.txt', { type: 'text/plain' }),
    prompt: 'What is this about?',
  });
  const done = await ma.wait(accepted.analysis_id);
  assert.equal(done.status, 'completed', done.error_message ?? '');

  const page = await ma.history({ per_page: 1 });
  assert.equal(page.data.length, 1);
  assert.equal(page.data[0]!.analysis_id, accepted.analysis_id, 'newest first');
  assert.equal(page.pagination.per_page, 1);
  const filtered = await ma.history({ media_type: 'video' });
  assert.ok(filtered.data.every((a) => a.media_type === 'video'));

  const artifacts = await ma.artifacts(accepted.analysis_id);
  const source = artifacts.find((a) => a.name.endsWith('.txt'));
  assert.ok(source, JSON.stringify(artifacts));
  assert.equal(await (await ma.download(source.url)).text(), text);
  await assert.rejects(ma.download('https://elsewhere.example/x'), TypeError, 'the key goes only to the service');
  await assert.rejects(ma.download('//elsewhere.example/x'), TypeError);

  const result = JSON.parse(await (await ma.exportFile(accepted.analysis_id, 'result', 'json')).text());
  assert.equal(result.analysis_id, accepted.analysis_id);
  await assert.rejects(
    ma.exportFile('00000000-0000-4000-8000-000000000000', 'transcript', 'srt'),
    (e: ApiError) => e instanceof ApiError && e.status === 404 && e.code === 'ANALYSIS_NOT_FOUND',
  );

  const found = await ma.search('lighthouse gulls', { limit: 5 });
  assert.equal(found.query, 'lighthouse gulls');
  assert.ok(
    found.data.some((h) => h.analysis_id === accepted.analysis_id),
    JSON.stringify(found.data.map((h) => h.analysis_id)),
  );
  await assert.rejects(ma.search(''), (e: ApiError) => e.status === 400);

  await assert.rejects(ma.admin.listKeys(), (e: ApiError) => e.status === 403 && e.code === 'FORBIDDEN');
  const ops = await t.keys.create('ops', 'ops admin', true);
  const admin = new MediaAnalysisHttp({ baseUrl: base, apiKey: ops.key });
  assert.ok((await admin.admin.listKeys()).some((k) => k.id === t.tenantA.keyId));
  const made = await admin.admin.createKey({ tenant_id: 'tenant-sdk', name: 'sdk key' });
  assert.equal(made.tenant_id, 'tenant-sdk');
  assert.equal(made.admin, false);
  const fresh = new MediaAnalysisHttp({ baseUrl: base, apiKey: made.key });
  assert.equal((await fresh.history()).pagination.total, 0, 'a new tenant sees nothing of tenant-a');
  const listed = (await admin.admin.listKeys()).find((k) => k.id === made.id);
  assert.ok(listed && !('key' in listed), 'the list never carries secrets');
  await admin.admin.revokeKey(made.id);
  await assert.rejects(fresh.history(), (e: ApiError) => e.status === 401);
  await assert.rejects(admin.admin.revokeKey('00000000-0000-4000-8000-000000000000'), ApiError);
});

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['src/main/cli.ts', ...args],
      { env: { ...process.env, MEDIA_ANALYSIS_URL: base, MEDIA_ANALYSIS_API_KEY: t.tenantA.key, ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('CLI: analyze --wait end to end, many files with a summary table, search, exit codes, no key printed', async () => {
  const one = await cli(['analyze', path.join(dir, 'notes.txt'), '--prompt', 'Summarise', '--wait', '--json']);
  assert.equal(one.code, 0, one.stderr);
  const result = JSON.parse(one.stdout);
  assert.equal(result.status, 'completed');
  assert.ok(!one.stdout.includes(t.tenantA.key) && !one.stderr.includes(t.tenantA.key));

  const many = await cli(['analyze', path.join(dir, '*.txt'), '--prompt', 'Summarise', '--wait', '-c', '2']);
  assert.equal(many.code, 0, many.stderr);
  assert.match(many.stdout, /^input\s+analysis\s+status/m);
  assert.equal((many.stdout.match(/completed/g) ?? []).length, 2);

  const get = await cli(['get', result.analysis_id]);
  assert.equal(get.code, 0);
  assert.match(get.stdout, new RegExp(`${result.analysis_id}\\s+completed\\s+document`));
  assert.match(get.stdout, /Summary:/);
  // A multi-line summary stays indented under its heading; the extracted answer it ends with is not repeated.
  const summary = get.stdout.split('Summary:\n')[1]!.split('\n\n')[0]!.trimEnd();
  assert.ok(
    summary.split('\n').every((line) => line.startsWith('  ')),
    get.stdout,
  );
  assert.ok((get.stdout.match(/Extracted, not generated/g) ?? []).length <= 1, get.stdout);

  // Search hits as readable text (not the JSON document): the analysis, its file, the quoted segment.
  const search = await cli(['search', 'bridge']);
  assert.equal(search.code, 0, search.stderr);
  assert.match(search.stdout, new RegExp(`^${result.analysis_id}  notes\\.txt  document  relevance \\d+%$`, 'm'));
  assert.match(search.stdout, /^ {2}\w+( p\.\d+)?: .*The bridge is long/m);
  assert.ok(!search.stdout.includes('"segments"'));

  const list = await cli(['list', '--limit', '2', '--json']);
  assert.equal(JSON.parse(list.stdout).length, 2);

  const usage = await cli(['analyze', path.join(dir, 'notes.txt')]);
  assert.equal(usage.code, 2, 'missing --prompt is a usage error');
  const help = await cli(['webhooks', 'add', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Register an endpoint/);
  const missing = await cli(['get', '00000000-0000-4000-8000-000000000000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ANALYSIS_NOT_FOUND/);
  const wrongKey = await cli(['list'], { MEDIA_ANALYSIS_API_KEY: 'ma_secret_wrong' });
  assert.equal(wrongKey.code, 1);
  assert.ok(!wrongKey.stderr.includes('ma_secret_wrong'));

  const add = await cli(['webhooks', 'add', receiver.url('/cli'), '--events', 'analysis.completed']);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /secret \(shown once\): whsec_/);
  const list2 = await cli(['webhooks', 'list']);
  assert.match(list2.stdout, /\/cli\s+yes\s+analysis\.completed/);
});

test('people through the SDK and the CLI: suggest, name, merge', async () => {
  const people = t.pipeline.people!;
  const a = t.tenantA.tenant;
  // Around axis 300: two photographs of one made-up person, 0.8 alike (offered, not joined).
  const [me] = await people.group({ id: await madeUpAnalysis(t, a), tenantId: a }, [still(alike(1, 301, 300), 0.1)]);
  const [maybe] = await people.group({ id: await madeUpAnalysis(t, a), tenantId: a }, [
    still(alike(0.8, 302, 300), 0.1),
  ]);
  assert.ok(maybe!.created);
  const ma = new MediaAnalysis({ baseUrl: base, apiKey: t.tenantA.key });
  const offered = await ma.people.suggestions(me!.personId, { limit: 3 });
  assert.deepEqual(
    offered.data.map((x) => [x.person.id, x.similarity]),
    [[maybe!.personId, 0.8]],
  );

  const suggest = await cli(['people', 'suggest', me!.personId]);
  assert.equal(suggest.code, 0, suggest.stderr);
  assert.match(suggest.stdout, new RegExp(`^${maybe!.personId}\\s+1\\s+0\\.800$`, 'm'), suggest.stdout);
  const named = await cli(['people', 'name', me!.personId, 'Ada Lovelace']);
  assert.equal(named.code, 0, named.stderr);
  const merged = await cli(['people', 'merge', me!.personId, maybe!.personId]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stdout, new RegExp(`^${me!.personId}  2 faces$`, 'm'));
  const shown = await cli(['people', 'show', me!.personId]);
  assert.match(shown.stdout, /Ada Lovelace {2}2 faces/);
  const none = await cli(['people', 'suggest', me!.personId]);
  assert.match(none.stdout, /^no suggestion$/m);
  const missing = await cli(['people', 'suggest', '00000000-0000-4000-8000-000000000000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /PERSON_NOT_FOUND/);
});
