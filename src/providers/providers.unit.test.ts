import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPrompt } from './prompt-builder.ts';
import { extractiveSummary } from './extractive-summary.ts';
import { chatCostUsd, transcriptionCostUsd } from './cost.ts';
import { parseRetryAfter, isRetryableStatus } from './provider-http.ts';
import { OpenAiChatProvider, estimateTokens } from './openai-chat.provider.ts';
import { planChunks } from '../pipeline/stages/transcription.stage.ts';

test('prompt building keeps the prompt, shares the budget and says what it cut', () => {
  const b = buildPrompt(
    'What is said?',
    {
      mediaType: 'video',
      facts: 'video/mp4 · 4.0 s',
      transcript: 'x'.repeat(5000),
      ocr: 'HELLO',
      documentText: undefined,
      images: [1, 2, 3, 4, 5].map((i) => ({ label: `frame ${i}`, dataUrl: `data:image/jpeg;base64,${i}` })),
    },
    2000,
    3,
  );
  assert.ok(b.user.startsWith('What is said?'));
  assert.ok(b.user.length <= 2300, String(b.user.length));
  assert.match(b.user, /On-screen \/ OCR text:\nHELLO/);
  assert.match(b.user, /Transcript \(truncated to \d+ of 5000 characters\)/);
  assert.equal(b.images.length, 3);
  assert.equal(b.notes.length, 2);
  assert.match(b.notes[1]!, /2 image\(s\) left out/);
  const small = buildPrompt('p', { mediaType: 'image', facts: 'f', images: [] }, 10_000, 4);
  assert.deepEqual(small.notes, []);
});

test('extractive summary picks central sentences and frequent terms', () => {
  const r = extractiveSummary(
    'The fox runs. The fox jumps over the dog. Weather is nice today. A fox and a dog play.',
    2,
    3,
  );
  assert.equal(r.sentences.length, 2);
  assert.ok(r.sentences.every((s) => /fox/.test(s)));
  assert.deepEqual(r.terms.slice(0, 2), ['fox', 'dog']);
  assert.deepEqual(extractiveSummary('   '), { sentences: [], terms: [] });
});

test('costs from the price table', () => {
  const prices = { m: { input_per_1k: 0.5, output_per_1k: 1.5 }, w: { per_minute: 0.006 } };
  assert.equal(chatCostUsd(prices, 'm', 2000, 1000), 2.5);
  assert.equal(chatCostUsd(prices, 'unknown', 2000, 1000), 0);
  assert.equal(transcriptionCostUsd(prices, 'w', 90), 0.009);
  assert.equal(transcriptionCostUsd(prices, 'm', 90), 0);
});

test('Retry-After (seconds or date) and retryable statuses', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter('600'), 60_000);
  assert.equal(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())! > 3000, true);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter(undefined), null);
  for (const s of [408, 429, 500, 502, 503]) assert.ok(isRetryableStatus(s));
  for (const s of [400, 401, 403, 404, 422]) assert.ok(!isRetryableStatus(s));
});

test('chat body: system + user with text and image parts; limits passed through', () => {
  const body = OpenAiChatProvider.body({
    model: 'm',
    system: 's',
    prompt: 'p',
    images: [{ label: 'a', url: 'data:image/jpeg;base64,AA' }],
    maxTokens: 50,
    temperature: 0.1,
    responseFormat: { type: 'json_object' },
  });
  assert.deepEqual(body, {
    model: 'm',
    messages: [
      { role: 'system', content: 's' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'p' },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AA' } },
        ],
      },
    ],
    max_tokens: 50,
    temperature: 0.1,
    response_format: { type: 'json_object' },
  });
  assert.equal(estimateTokens('abcdefgh'), 2);
});

test('long audio is cut at silences, never over the limit', () => {
  assert.deepEqual(planChunks(300, [], 600), [{ start: 0, end: 300 }]);
  const chunks = planChunks(
    1500,
    [
      { start: 500, end: 502 },
      { start: 1000, end: 1001 },
      { start: 1090, end: 1092 },
    ],
    600,
  );
  assert.deepEqual(chunks, [
    { start: 0, end: 501 },
    { start: 501, end: 1091 },
    { start: 1091, end: 1500 },
  ]);
  const noSilence = planChunks(1300, [], 600);
  assert.deepEqual(noSilence, [
    { start: 0, end: 600 },
    { start: 600, end: 1200 },
    { start: 1200, end: 1300 },
  ]);
});
