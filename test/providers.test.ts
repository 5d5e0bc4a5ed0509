/**
 * Model providers over real HTTP against a local server that speaks their protocols:
 * what is sent, what is stored, retries, Retry-After, breakers, cancellation, secrets.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startFakeProviders, type FakeProviders } from './helpers/fake-providers.ts';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { fixtures, hasEspeak, hasFfmpeg } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';
import { contractProblems } from './helpers/contract.ts';
import { OpenAiChatProvider } from '../src/providers/openai-chat.provider.ts';
import { DeepgramProvider, OpenAiTranscriptionProvider } from '../src/providers/transcription.providers.ts';
import { ProviderError } from '../src/providers/provider-http.ts';
import { resultRepository } from '../src/persistence/result.repository.ts';
import { loadConfig } from '../src/config/config.ts';
import { ProviderRegistry } from '../src/providers/provider-registry.ts';
import { callProvider } from '../src/providers/provider-call.ts';
import { AppError } from '../src/domain/errors.ts';

const SECRET = 'sk-test-SECRET-9f8e7d6c5b4a';
let fake: FakeProviders;
before(async () => {
  fake = await startFakeProviders();
});
after(async () => {
  await fake.close();
});

function chat(opts: { maxRetries?: number; timeoutMs?: number } = {}) {
  return new OpenAiChatProvider({
    name: 'vllm',
    baseUrl: `${fake.url}/v1`,
    apiKey: SECRET,
    defaultModel: 'fake-model',
    call: { timeoutMs: opts.timeoutMs ?? 2000, maxRetries: opts.maxRetries ?? 3, backoff: { baseMs: 20, capMs: 50 } },
  });
}
const req = {
  model: 'fake-model',
  system: 'sys',
  prompt: 'What happens?',
  images: [{ label: 'sheet', url: 'data:image/jpeg;base64,AAAA' }],
  maxTokens: 64,
  temperature: 0.2,
};

describe('OpenAI-compatible chat over HTTP', () => {
  test('sends prompt, images, limits and the key; reads usage', async () => {
    fake.requests.length = 0;
    fake.script.chat = ['ok'];
    const r = await chat().complete(req);
    assert.equal(r.text, fake.chatAnswer);
    assert.deepEqual(r.usage, { inputTokens: 1200, outputTokens: 40, reported: true });
    assert.equal(r.finishReason, 'stop');
    const sent = fake.requests[0]!;
    assert.equal(sent.path, '/v1/chat/completions');
    assert.equal(sent.headers.authorization, `Bearer ${SECRET}`);
    const user = (sent.json!.messages as Array<{ role: string; content: unknown }>)[1]!.content as Array<
      Record<string, unknown>
    >;
    assert.equal(user[0]!.text, 'What happens?');
    assert.deepEqual(user[1], { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } });
    assert.equal(sent.json!.max_tokens, 64);
    assert.equal(sent.json!.temperature, 0.2);
  });

  test('usage is counted when the server does not report it', async () => {
    fake.script.chat = ['ok'];
    fake.usage = null;
    const r = await chat().complete(req);
    fake.usage = { prompt_tokens: 1200, completion_tokens: 40 };
    assert.equal(r.usage.reported, false);
    assert.ok(r.usage.inputTokens > 765 && r.usage.outputTokens > 0);
  });

  test('429 honours Retry-After, 5xx and malformed JSON are retried, a 4xx is not', async () => {
    fake.requests.length = 0;
    fake.script.chat = ['429', 'ok'];
    const t0 = Date.now();
    await chat().complete(req);
    assert.ok(Date.now() - t0 >= 950, 'waited for Retry-After: 1');
    assert.equal(fake.requests.length, 2);

    fake.requests.length = 0;
    fake.script.chat = ['500', 'malformed', 'ok'];
    await chat().complete(req);
    assert.equal(fake.requests.length, 3);

    fake.requests.length = 0;
    fake.script.chat = ['400'];
    await assert.rejects(
      chat().complete(req),
      (e: unknown) => e instanceof ProviderError && !e.retryable && e.status === 400 && e.attempts === 1,
    );
    assert.equal(fake.requests.length, 1);

    fake.script.chat = ['500'];
    await assert.rejects(
      chat({ maxRetries: 2 }).complete(req),
      (e: unknown) => e instanceof ProviderError && e.retryable && e.attempts === 3,
    );
    fake.script.chat = ['ok'];
  });

  test('a hanging server times out; a cancelled call stops at once; errors never carry the key', async () => {
    fake.script.chat = ['hang'];
    const t0 = Date.now();
    await assert.rejects(chat({ timeoutMs: 200, maxRetries: 1 }).complete(req), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.match(e.message, /timed out/);
      assert.ok(!e.message.includes(SECRET) && !String(e.stack).includes(SECRET));
      return true;
    });
    assert.ok(Date.now() - t0 < 1500);
    const ac = new AbortController();
    const pending = chat({ timeoutMs: 10_000 }).complete({ ...req, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('cancelled by test')), 100);
    const t1 = Date.now();
    await assert.rejects(pending, /cancelled by test/);
    assert.ok(Date.now() - t1 < 1000);
    fake.script.chat = ['ok'];
  });
});

describe('circuit breaker around a provider (cockatiel), over HTTP', () => {
  const settings = (extra: Record<string, string> = {}) =>
    loadConfig({
      CHAT_PROVIDERS: 'vllm',
      VLLM_BASE_URL: `${fake.url}/v1`,
      CHAT_MODEL: 'fake-model',
      CHAT_MAX_RETRIES: '0',
      BREAKER_RESET_MS: '400',
      ...extra,
    }).providers;

  test('5 failures open it; open refuses without a request; after the wait a failed trial reopens, a good one closes', async () => {
    const changes: string[] = [];
    const registry = new ProviderRegistry(settings({ BREAKER_HALF_OPEN_TRIALS: '1' }), {
      onBreakerChange: (_name, from, to) => changes.push(`${from}->${to}`),
    });
    const provider = registry.chat()!;
    const breaker = registry.breakers.get('chat:vllm');
    const call = () => callProvider(breaker, () => provider.complete(req));
    const failsWith = (code: string) =>
      assert.rejects(call(), (e: unknown) => e instanceof AppError && e.code === code);

    fake.script.chat = ['400'];
    for (let i = 0; i < 6; i++) await failsWith('PROVIDER_REJECTED');
    assert.deepEqual(breaker.status, { state: 'closed', consecutive_failures: 0 }, 'a refused request does not count');

    fake.script.chat = ['500'];
    for (let i = 0; i < 4; i++) await failsWith('PROVIDER_FAILED');
    assert.deepEqual(breaker.status, { state: 'closed', consecutive_failures: 4 });
    await failsWith('PROVIDER_FAILED');
    assert.equal(breaker.status.state, 'open');
    assert.deepEqual(registry.breakers.states(), { 'chat:vllm': { state: 'open', consecutive_failures: 5 } });

    fake.requests.length = 0;
    await assert.rejects(call(), (e: unknown) => {
      assert.ok(e instanceof AppError && e.code === 'PROVIDER_UNAVAILABLE' && !e.permanent && !e.consumesAttempt);
      assert.ok(e.retryAfterMs! >= 1000, 'a job waits at least a second');
      return true;
    });
    assert.equal(fake.requests.length, 0, 'an open circuit sends nothing');

    await new Promise((r) => setTimeout(r, 450));
    assert.equal(breaker.status.state, 'half_open');
    await failsWith('PROVIDER_FAILED');
    assert.equal(breaker.status.state, 'open', 'a failed trial opens it again');

    await new Promise((r) => setTimeout(r, 450));
    fake.script.chat = ['ok'];
    assert.equal((await call()).text, fake.chatAnswer);
    assert.deepEqual(breaker.status, { state: 'closed', consecutive_failures: 0 });
    assert.deepEqual(changes, [
      'closed->open',
      'open->half_open',
      'half_open->open',
      'open->half_open',
      'half_open->closed',
    ]);
  });

  test('half-open lets BREAKER_HALF_OPEN_TRIALS calls through together and closes when they succeed', async () => {
    const registry = new ProviderRegistry(settings({ BREAKER_FAILURE_THRESHOLD: '2', BREAKER_HALF_OPEN_TRIALS: '3' }));
    const provider = registry.chat()!;
    const breaker = registry.breakers.get('chat:vllm');
    const call = () => callProvider(breaker, () => provider.complete(req));
    fake.script.chat = ['500'];
    for (let i = 0; i < 2; i++) await assert.rejects(call());
    assert.equal(breaker.status.state, 'open');
    await new Promise((r) => setTimeout(r, 450));
    fake.script.chat = ['slow'];
    fake.requests.length = 0;
    const trials = [call(), call(), call()];
    await waitFor(async () => fake.requests.length === 3 || null, 5_000);
    assert.equal(breaker.status.state, 'half_open');
    await Promise.all(trials);
    assert.equal(breaker.status.state, 'closed');
    fake.script.chat = ['ok'];
  });
});

describe('transcription over HTTP', () => {
  test('OpenAI-compatible /audio/transcriptions (multipart) and Deepgram /v1/listen', async () => {
    fake.requests.length = 0;
    const wav = Buffer.from('RIFF....WAVEfmt fake');
    const openai = new OpenAiTranscriptionProvider({
      name: 'openai-compatible',
      baseUrl: `${fake.url}/v1`,
      apiKey: SECRET,
      model: 'whisper-1',
      call: { timeoutMs: 2000, maxRetries: 1 },
    });
    const a = await openai.transcribe(wav, { mime: 'audio/wav' });
    assert.equal(a.text, fake.transcript);
    assert.deepEqual(a.segments, [{ start: 0.5, end: 2.5, text: fake.transcript }]);
    const sent = fake.requests[0]!;
    assert.match(String(sent.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.match(sent.body.toString('latin1'), /name="model"\r\n\r\nwhisper-1/);
    assert.match(sent.body.toString('latin1'), /name="response_format"\r\n\r\nverbose_json/);
    const dg = new DeepgramProvider({
      baseUrl: fake.url,
      apiKey: SECRET,
      model: 'nova-2',
      call: { timeoutMs: 2000, maxRetries: 1 },
    });
    const d = await dg.transcribe(wav, { mime: 'audio/wav' });
    assert.equal(d.language, 'en');
    assert.deepEqual(d.segments, [{ start: 1, end: 3, text: fake.transcript }]);
    const dgReq = fake.requests[1]!;
    assert.match(dgReq.path, /^\/v1\/listen\?model=nova-2&/);
    assert.equal(dgReq.headers.authorization, `Token ${SECRET}`);
    assert.equal(dgReq.headers['content-type'], 'audio/wav');
    assert.deepEqual(dgReq.body, wav);
  });
});

describe('through the API', { skip: (!hasFfmpeg() || !hasEspeak()) && 'ffmpeg or espeak-ng missing' }, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({
      CHAT_PROVIDERS: 'vllm',
      VLLM_BASE_URL: `${fake.url}/v1`,
      VLLM_API_KEY: SECRET,
      CHAT_MODEL: 'fake-model',
      CHAT_MAX_RETRIES: '0',
      TRANSCRIPTION_PROVIDER: 'openai-compatible',
      TRANSCRIPTION_BASE_URL: `${fake.url}/v1`,
      TRANSCRIPTION_API_KEY: SECRET,
      MODEL_PRICES: JSON.stringify({
        'fake-model': { input_per_1k: 0.5, output_per_1k: 1.5 },
        'whisper-1': { per_minute: 0.006 },
      }),
      BREAKER_FAILURE_THRESHOLD: '2',
      BREAKER_RESET_MS: '1500',
      JOB_MAX_ATTEMPTS: '3',
    });
    await t.startWorker({ concurrency: 2 });
  });
  after(async () => {
    await t.close();
  });

  async function submit(file: string, fields: Record<string, string> = {}) {
    const mp = multipart(
      { prompt: 'What is said and shown?', ...fields },
      { name: file.split('/').pop()!, data: await fs.readFile(file) },
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...mp.headers },
      payload: mp.payload,
    });
    assert.equal(res.statusCode, 202, res.body);
    return res.json().analysis_id as string;
  }
  const status = async (id: string) =>
    (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json();
  const finished = async (id: string, ms = 60_000) => {
    const s = await waitFor(async () => {
      const s = await status(id);
      return ['completed', 'failed'].includes(s.status) ? s : null;
    }, ms);
    // A provider's transcript and answer (JSON, usage, cost) are the results contract too.
    if (s.results) assert.deepEqual(contractProblems(s.results), [], 'results depart from the contract');
    return s;
  };

  test('video with speech and a caption: frames, contact sheet, transcript and the answer, stored with tokens and cost', async () => {
    fake.requests.length = 0;
    fake.script.chat = ['ok'];
    fake.script.openai_audio = ['ok'];
    const id = await submit(await fixtures.speechVideo(), {
      options: JSON.stringify({ ocr: true }),
      config: JSON.stringify({ max_tokens: 300, temperature: 0.3 }),
    });
    const s = await finished(id);
    assert.equal(s.status, 'completed', s.error_message);
    const r = s.results;
    assert.equal(r.frames.count, 6);
    assert.ok(r.contact_sheet.path);
    assert.equal(r.transcript.text, fake.transcript);
    assert.ok(r.transcript.segments.length >= 1);
    assert.match(r.ocr.text, /HELLO CAPTION/);
    assert.equal(r.answer.text, fake.chatAnswer);
    assert.equal(s.result_summary, fake.chatAnswer);
    assert.equal(s.model_used, 'vllm/fake-model');
    assert.deepEqual(r.answer.usage, { input_tokens: 1200, output_tokens: 40, reported: true });
    assert.equal(r.answer.cost_usd, 0.66);
    const chatReq = fake.requests.find((q) => q.path === '/v1/chat/completions')!;
    const content = (chatReq.json!.messages as Array<{ content: unknown }>)[1]!.content as Array<{
      type: string;
      text?: string;
    }>;
    assert.match(content[0]!.text!, /^What is said and shown\?/);
    // The transcript goes to the model with its times: "[0:00–0:02] the quick brown fox…".
    assert.match(content[0]!.text!, new RegExp(`Transcript:\\n\\[\\d+:\\d{2}–\\d+:\\d{2}\\] ${fake.transcript}`));
    assert.match(content[0]!.text!, /HELLO CAPTION/);
    assert.equal(
      content.filter((c) => c.type === 'image_url').length,
      4,
      'contact sheet + frames up to CHAT_MAX_IMAGES',
    );
    assert.equal(chatReq.json!.max_tokens, 300);
    const rows = await resultRepository.forAnalysis(t.db.db, id);
    assert.deepEqual(rows.map((x) => x.model).sort(), ['fake-model', 'whisper-1']);
    const answerRow = rows.find((x) => x.model === 'fake-model')!;
    assert.equal(answerRow.input_tokens, 1200);
    assert.equal(Number(answerRow.cost_usd), 0.66);
    assert.ok(answerRow.latency_ms >= 0);
    assert.equal(answerRow.finish_reason, 'stop');
    const transcriptRow = rows.find((x) => x.model === 'whisper-1')!;
    assert.ok(Number(transcriptRow.cost_usd) > 0);
    const joined = t.logs.join('\n') + JSON.stringify(s);
    assert.ok(!joined.includes(SECRET), 'the provider key never reaches logs or results');
  });

  test('structured output is validated against the schema', async () => {
    const schema = {
      type: 'object',
      properties: { topic: { type: 'string' } },
      required: ['topic'],
      additionalProperties: false,
    };
    const response_format = { type: 'json_schema', json_schema: { name: 'r', schema } };
    fake.script.chat = ['ok'];
    fake.chatAnswer = '{"topic":"notes"}';
    const ok = await finished(await submit(await fixtures.text(), { config: JSON.stringify({ response_format }) }));
    assert.equal(ok.status, 'completed', ok.error_message);
    assert.deepEqual(ok.results.answer.json, { topic: 'notes' });
    fake.chatAnswer = '{"subject":"wrong"}';
    const bad = await finished(
      await submit(await fixtures.text(), { config: JSON.stringify({ response_format }), prompt: 'different' }),
    );
    // The answer is an optional stage: the analysis completes, partial, with the failure listed.
    assert.equal(bad.status, 'completed', bad.error_message);
    assert.equal(bad.results.partial, true);
    assert.deepEqual(
      bad.results.failed_stages.map((f: { stage: string; error_code: string }) => [f.stage, f.error_code]),
      [['answer', 'INVALID_MODEL_OUTPUT']],
    );
    assert.equal(bad.results.answer, undefined);
    assert.ok(bad.results.document, 'the local sections are kept');
    fake.chatAnswer = 'The clip shows a caption reading HELLO CAPTION while a voice speaks.';
  });

  test('options.reuse answers from a completed twin without calling the model again', async () => {
    fake.script.chat = ['ok'];
    const file = await fixtures.pdf();
    const first = await finished(await submit(file, { prompt: 'reuse me' }));
    assert.equal(first.status, 'completed');
    const before = fake.requests.filter((q) => q.path === '/v1/chat/completions').length;
    const second = await finished(await submit(file, { prompt: 'reuse me', options: JSON.stringify({ reuse: true }) }));
    assert.equal(second.status, 'completed');
    assert.equal(second.results.reused_from, first.analysis_id);
    assert.equal(second.result_summary, first.result_summary);
    assert.equal(fake.requests.filter((q) => q.path === '/v1/chat/completions').length, before);
  });

  test('an unknown provider in config leaves the answer out with PROVIDER_NOT_CONFIGURED (partial)', async () => {
    const s = await finished(await submit(await fixtures.text(), { config: JSON.stringify({ provider: 'openai' }) }));
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(s.results.partial, true);
    assert.equal(s.results.failed_stages[0].error_code, 'PROVIDER_NOT_CONFIGURED');
  });

  test('while the circuit is open analyses wait and then finish; readiness shows the breaker', async () => {
    fake.script.chat = ['500'];
    const ids = [
      await submit(await fixtures.text(), { prompt: 'a' }),
      await submit(await fixtures.text(), { prompt: 'b' }),
      await submit(await fixtures.text(), { prompt: 'c' }),
    ];
    const sawOpen = await waitFor(async () => {
      const ready = (await t.app.inject({ url: '/health/ready' })).json();
      return ready.providers['chat:vllm']?.state === 'open' ? ready : null;
    }, 20_000);
    assert.equal(sawOpen.status, 'degraded');
    const waiting = await Promise.all(ids.map(status));
    assert.ok(
      waiting.every((s) => s.status !== 'failed'),
      JSON.stringify(waiting.map((s) => [s.status, s.error_code])),
    );
    fake.script.chat = ['ok'];
    const done = await Promise.all(ids.map((id) => finished(id, 30_000)));
    assert.deepEqual(
      done.map((s) => s.status),
      ['completed', 'completed', 'completed'],
      JSON.stringify(done.map((s) => s.error_message)),
    );
    const closed = (await t.app.inject({ url: '/health/ready' })).json();
    assert.equal(closed.providers['chat:vllm'].state, 'closed');
  });
});

describe('no provider configured', () => {
  test('the analysis completes with an extractive summary and a plain note', async () => {
    const t = await createTestApp();
    await t.startWorker();
    try {
      const mp = multipart(
        { prompt: 'Summarise' },
        { name: 'doc.docx', data: await fs.readFile(await fixtures.docx()) },
      );
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/media/analyze',
        headers: { ...auth(t.tenantA.key), ...mp.headers },
        payload: mp.payload,
      });
      const id = res.json().analysis_id;
      const s = await waitFor(async () => {
        const x = (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json();
        return x.status === 'completed' || x.status === 'failed' ? x : null;
      });
      assert.equal(s.status, 'completed', s.error_message);
      assert.equal(s.results.answer.provider, null);
      // Without a model the answer is extracted: passages of the document quoted, and it says so.
      assert.equal(s.results.answer.generated, false);
      assert.match(s.results.answer.text, /^Extracted, not generated\./);
      assert.match(s.results.answer.text, /results of the quarter/);
      assert.match(s.results.answer.note, /no model answered the prompt/);
      assert.match(s.results.answer.note, /nothing here is generated/);
      assert.ok(s.results.answer.quotes.length >= 1);
      assert.ok(s.results.answer.extractive.sentences.length >= 1);
      assert.equal(s.result_summary, s.results.answer.text);
      assert.equal(s.model_used, null);
      assert.deepEqual(await resultRepository.forAnalysis(t.db.db, id), []);
    } finally {
      await t.close();
    }
  });
});
