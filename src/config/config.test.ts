import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, maskUrl, ConfigError } from './config.ts';

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
  const c = loadConfig({ PORT: '8080', WORKER_IN_PROCESS: 'false', DOWNLOAD_ALLOW_HOSTS: 'a.local, 10.0.0.5:9000 ,', AUTH_MODE: 'disabled', STORAGE_ROOT: '/tmp/x', DATABASE_URL: 'postgresql://u:p@h:5432/d' });
  assert.equal(c.http.port, 8080);
  assert.equal(c.worker.inProcess, false);
  assert.deepEqual(c.limits.downloadAllowHosts, ['a.local', '10.0.0.5:9000']);
  assert.equal(c.auth.mode, 'disabled');
  assert.equal(c.storage.root, '/tmp/x');
});

test('every bad key is reported at once, and secrets are not echoed', () => {
  try {
    loadConfig({ PORT: 'eighty', DATABASE_POOL_MIN: '20', DATABASE_POOL_MAX: '5', LOG_LEVEL: 'loud', WORKER_IN_PROCESS: 'maybe', DATABASE_URL: 'mysql://root:hunter2@db/x', WORKER_STALE_AFTER_MS: '1000', WORKER_HEARTBEAT_INTERVAL_MS: '2000' });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const keys = err.problems.map((p) => p.split(':')[0]);
    for (const k of ['PORT', 'DATABASE_POOL_MIN', 'LOG_LEVEL', 'WORKER_IN_PROCESS', 'DATABASE_URL', 'WORKER_STALE_AFTER_MS']) assert.ok(keys.includes(k), k);
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
