import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';
import { maskUrl, ConfigError } from './config-parse.ts';

test('defaults give a complete, frozen config', () => {
  const c = loadConfig({});
  assert.equal(c.http.port, 3000);
  assert.equal(c.http.host, '127.0.0.1');
  assert.equal(c.database.url, undefined);
  assert.equal(c.database.poolMax, 10);
  assert.equal(c.worker.inProcess, true);
  assert.ok(c.storage.root.endsWith('/data/storage'));
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.database));
});

test('values are parsed and grouped', () => {
  const c = loadConfig({
    PORT: '8080',
    WORKER_IN_PROCESS: 'false',
    DOWNLOAD_ALLOW_HOSTS: 'a.local, 10.0.0.5:9000 ,',
    AUTH_MODE: 'disabled',
    STORAGE_ROOT: '/tmp/x',
    DATABASE_URL: 'postgresql://u:p@h:5432/d',
  });
  assert.equal(c.http.port, 8080);
  assert.equal(c.worker.inProcess, false);
  assert.deepEqual(c.limits.downloadAllowHosts, ['a.local', '10.0.0.5:9000']);
  assert.equal(c.auth.mode, 'disabled');
  assert.equal(c.storage.root, '/tmp/x');
});

test('every bad key is reported at once, and secrets are not echoed', () => {
  try {
    loadConfig({
      PORT: 'eighty',
      DATABASE_POOL_MIN: '20',
      DATABASE_POOL_MAX: '5',
      LOG_LEVEL: 'loud',
      WORKER_IN_PROCESS: 'maybe',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      WORKER_STALE_AFTER_MS: '1000',
      WORKER_HEARTBEAT_INTERVAL_MS: '2000',
    });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const keys = err.problems.map((p) => p.split(':')[0]);
    for (const k of [
      'PORT',
      'DATABASE_POOL_MIN',
      'LOG_LEVEL',
      'WORKER_IN_PROCESS',
      'DATABASE_URL',
      'WORKER_STALE_AFTER_MS',
    ])
      assert.ok(keys.includes(k), k);
    assert.ok(!err.message.includes('hunter2'));
  }
  assert.throws(() => loadConfig({ DATABASE_URL: 'not a url' }), /DATABASE_URL: not a valid URL/);
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT: must be between/);
});

test('maskUrl hides the password', () => {
  assert.equal(maskUrl('postgres://user:s3cret@db:5432/app'), 'postgres://user:***@db:5432/app');
  assert.equal(maskUrl('postgres://db/app'), 'postgres://db/app');
  assert.equal(maskUrl('::::'), '<unparseable url>');
});

test('providers: presets, required keys, price table, transcription', () => {
  const c = loadConfig({
    CHAT_PROVIDERS: 'ollama,openai',
    OPENAI_API_KEY: 'sk-x',
    CHAT_MODEL: 'm',
    TRANSCRIPTION_PROVIDER: 'deepgram',
    DEEPGRAM_API_KEY: 'dg',
    MODEL_PRICES: '{"m":{"input_per_1k":1}}',
  });
  assert.deepEqual(
    c.providers.chat.map((p) => [p.name, p.baseUrl, p.apiKey]),
    [
      ['ollama', 'http://127.0.0.1:11434/v1', undefined],
      ['openai', 'https://api.openai.com/v1', 'sk-x'],
    ],
  );
  assert.equal(c.providers.transcription?.model, 'nova-2');
  assert.deepEqual(c.providers.prices, { m: { input_per_1k: 1 } });
  const groq = loadConfig({ TRANSCRIPTION_PROVIDER: 'groq', GROQ_API_KEY: 'g' });
  assert.equal(groq.providers.transcription?.baseUrl, 'https://api.groq.com/openai/v1');
  assert.equal(
    loadConfig({ TRANSCRIPTION_PROVIDER: 'openai', OPENAI_API_KEY: 'k' }).providers.transcription?.model,
    'whisper-1',
  );
  assert.equal(
    loadConfig({ TRANSCRIPTION_PROVIDER: 'openai-compatible', TRANSCRIPTION_BASE_URL: 'http://127.0.0.1:9000/v1/' })
      .providers.transcription?.baseUrl,
    'http://127.0.0.1:9000/v1',
  );
  assert.throws(() => loadConfig({ CHAT_PROVIDERS: 'skynet' }), /unknown provider "skynet"/);
  assert.throws(() => loadConfig({ CHAT_PROVIDERS: 'openai' }), /OPENAI_API_KEY: required/);
  assert.throws(() => loadConfig({ CHAT_PROVIDERS: 'vllm', VLLM_BASE_URL: 'ftp://x' }), /VLLM_BASE_URL/);
  assert.throws(() => loadConfig({ MODEL_PRICES: '{"m":{"per_token":1}}' }), /MODEL_PRICES/);
  assert.throws(() => loadConfig({ MODEL_PRICES: 'nope' }), /MODEL_PRICES/);
  assert.throws(() => loadConfig({ TRANSCRIPTION_PROVIDER: 'deepgram' }), /DEEPGRAM_API_KEY/);
  assert.throws(() => loadConfig({ TRANSCRIPTION_PROVIDER: 'openai-compatible' }), /TRANSCRIPTION_BASE_URL/);
  assert.throws(() => loadConfig({ CONTACT_SHEET_GRID: '2by3' }), /CONTACT_SHEET_GRID/);
  try {
    loadConfig({ CHAT_PROVIDERS: 'openai', OPENAI_BASE_URL: 'bad', OPENAI_API_KEY: 'sk-very-secret' });
  } catch (err) {
    assert.ok(!(err as Error).message.includes('sk-very-secret'));
  }
});

test('production refuses a database connection without TLS', () => {
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db/app' }),
    /production refuses connections without TLS/,
  );
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db/app?sslmode=disable' }),
    /without TLS/,
  );
  assert.equal(
    loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db/app?sslmode=verify-full' }).env,
    'production',
  );
  assert.equal(
    loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db/app', DATABASE_REQUIRE_TLS: 'false' }).env,
    'production',
  );
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'postgres://u:p@db/app', DATABASE_REQUIRE_TLS: 'true' }),
    /without TLS/,
  );
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://u:p@db/app' }).env, 'development');
});
