/** /api/admin/keys: admin keys list, create and revoke; tenant keys are refused. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';

let t: TestApp;
let adminKey: string;
let adminKeyId: string;
before(async () => {
  t = await createTestApp();
  const admin = await t.keys.create('ops', 'ops admin', true);
  adminKey = admin.key;
  adminKeyId = admin.row.id;
});
after(async () => {
  await t.close();
});

test('a tenant key is forbidden', async () => {
  const res = await t.app.inject({ url: '/api/admin/keys', headers: auth(t.tenantA.key) });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().code, 'FORBIDDEN');
  const create = await t.app.inject({
    method: 'POST',
    url: '/api/admin/keys',
    headers: auth(t.tenantA.key),
    payload: { tenant_id: 'x', name: 'x' },
  });
  assert.equal(create.statusCode, 403);
});

test('an admin creates a key for a new tenant (shown once), lists it without secrets, and revokes it', async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/admin/keys',
    headers: auth(adminKey),
    payload: { tenant_id: 'tenant-c', name: 'C key' },
  });
  assert.equal(created.statusCode, 201, created.body);
  const body = created.json();
  assert.match(body.key, /^ma_[0-9a-f]{8}_/);
  assert.equal(body.tenant_id, 'tenant-c');
  assert.equal(body.admin, false);
  // The new key works for its tenant.
  const history = await t.app.inject({ url: '/api/media/history', headers: auth(body.key) });
  assert.equal(history.statusCode, 200);

  const list = await t.app.inject({ url: '/api/admin/keys', headers: auth(adminKey) });
  assert.equal(list.statusCode, 200);
  const rows = list.json().data as Array<Record<string, unknown>>;
  assert.deepEqual(new Set(rows.map((r) => r.tenant_id)), new Set(['tenant-a', 'tenant-b', 'ops', 'tenant-c']));
  assert.ok(!list.body.includes(body.key), 'a list never carries a key');
  assert.ok(!list.body.includes('key_hash'));

  const revoked = await t.app.inject({ method: 'DELETE', url: `/api/admin/keys/${body.id}`, headers: auth(adminKey) });
  assert.equal(revoked.statusCode, 204);
  const after = await t.app.inject({ url: '/api/media/history', headers: auth(body.key) });
  assert.equal(after.statusCode, 401);
  const again = await t.app.inject({ method: 'DELETE', url: `/api/admin/keys/${body.id}`, headers: auth(adminKey) });
  assert.equal(again.statusCode, 404);
  assert.equal(again.json().code, 'KEY_NOT_FOUND');
});

test('an admin key cannot revoke itself, and bad input is a 422', async () => {
  const self = await t.app.inject({ method: 'DELETE', url: `/api/admin/keys/${adminKeyId}`, headers: auth(adminKey) });
  assert.equal(self.statusCode, 403);
  const bad = await t.app.inject({
    method: 'POST',
    url: '/api/admin/keys',
    headers: auth(adminKey),
    payload: { tenant_id: 'has space', name: 'x' },
  });
  assert.equal(bad.statusCode, 422);
});
