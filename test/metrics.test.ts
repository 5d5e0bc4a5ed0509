/** /metrics in Prometheus format, accepted by promtool; the alert rules pass promtool too. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version']).status === 0;
}

test('metrics cover HTTP, analyses, queue, workers, pool, breakers and disk, with bounded labels', async () => {
  await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: auth(t.tenantA.key),
    payload: { prompt: 'p', media_url: 'https://example.com/a.mp4' },
  });
  for (let i = 0; i < 3; i++)
    await t.app.inject({
      url: `/api/media/status/00000000-0000-4000-8000-00000000000${i}`,
      headers: auth(t.tenantA.key),
    });
  await t.app.inject({ url: '/no/such/route/123' });
  t.providers.breakers.get('chat:test');
  const res = await t.app.inject({ url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/plain; version=0\.0\.4/);
  const text = res.body;
  assert.match(
    text,
    /media_analysis_http_request_duration_seconds_count\{method="GET",route="\/api\/media\/status\/:id",status="404"\} 3/,
  );
  assert.match(text, /route="unmatched",status="404"/);
  assert.doesNotMatch(text, /00000000-0000-4000/, 'ids never become label values');
  assert.match(text, /media_analysis_analyses\{status="pending"\} 1/);
  assert.match(text, /media_analysis_queue_jobs 1/);
  assert.match(text, /media_analysis_queue_oldest_job_age_seconds \d/);
  assert.match(text, /media_analysis_worker_heartbeats 0/);
  assert.match(text, /media_analysis_db_pool_connections\{state="in_use"\}/);
  assert.match(text, /media_analysis_breaker_state\{breaker="chat:test",state="closed"\} 1/);
  assert.match(text, /media_analysis_storage_disk_usage_ratio 0\.\d+/);
  assert.match(text, /media_analysis_stage_duration_seconds/);
});

test(
  'promtool accepts the exposition and the alert rules',
  { skip: !hasPromtool() && 'promtool (Debian package prometheus) is not installed' },
  async () => {
    const body = (await t.app.inject({ url: '/metrics' })).body;
    const metrics = spawnSync('promtool', ['check', 'metrics'], { input: body });
    assert.equal(metrics.status, 0, `${metrics.stdout}${metrics.stderr}`);
    const rules = spawnSync('promtool', ['check', 'rules', 'deploy/prometheus/alerts.yml']);
    assert.equal(rules.status, 0, `${rules.stdout}${rules.stderr}`);
    assert.match(String(rules.stdout), /SUCCESS: 8 rules found/);
  },
);
