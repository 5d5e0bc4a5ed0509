/**
 * The local speech engine failing: the real PocketSphinx binary pointed at a model folder
 * that holds no model exits with an error on real recorded-like speech (espeak-ng). The
 * analysis must complete as partial — the transcription stage failed with
 * SPEECH_ENGINE_FAILED, everything else kept — and status and history must say so.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { fixtures } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';
import { contractProblems } from './helpers/contract.ts';
import { sharedEmbedder } from '../src/nlp/embedder.ts';

let t: TestApp;
let emptyModelDir: string;

before(async () => {
  emptyModelDir = await fs.mkdtemp(path.join(os.tmpdir(), 'no-speech-model-'));
  t = await createTestApp({ POCKETSPHINX_MODEL_DIR: emptyModelDir, WORKER_CPU_BUDGET: '2' });
  await t.startWorker({ concurrency: 1 });
});

after(async () => {
  await t.close();
  await sharedEmbedder().close();
  await fs.rm(emptyModelDir, { recursive: true, force: true });
});

test('a crashing speech engine leaves the analysis completed, partial, with the stage and code in status and history', async () => {
  const mp = multipart(
    { prompt: 'Who speaks?' },
    { name: 'speech.wav', data: await fs.readFile(await fixtures.speech()) },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
  assert.equal(res.statusCode, 202, res.body);
  const id = res.json().analysis_id as string;

  const s = await waitFor(async () => {
    const r = await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) });
    const body = r.json();
    return ['completed', 'failed', 'cancelled'].includes(body.status) ? body : null;
  }, 90_000);
  assert.equal(s.status, 'completed', s.error_message);
  assert.equal(s.partial, true);
  assert.deepEqual(s.failed_stages, ['transcription'], JSON.stringify(s.stages));
  const stage = s.stages.find((x: { name: string }) => x.name === 'transcription');
  assert.equal(stage.status, 'failed');
  assert.equal(stage.error_code, 'SPEECH_ENGINE_FAILED');
  // The section says what happened; the voice was still found, and the later stages ran.
  assert.equal(s.results.transcript.error.code, 'SPEECH_ENGINE_FAILED');
  assert.deepEqual(contractProblems(s.results), [], 'a failed local transcript is still the contract');
  assert.equal(s.results.transcript.text, '');
  assert.ok(s.results.audio.speech_seconds > 1, `speech found: ${s.results.audio.speech_seconds}`);
  for (const name of ['understanding', 'answer', 'outputs'])
    assert.equal(s.stages.find((x: { name: string }) => x.name === name).status, 'done', name);

  const history = await t.app.inject({ url: '/api/media/history', headers: auth(t.tenantA.key) });
  assert.equal(history.statusCode, 200, history.body);
  const row = history.json().data.find((a: { analysis_id: string }) => a.analysis_id === id);
  assert.equal(row.status, 'completed');
  assert.equal(row.partial, true);
});
