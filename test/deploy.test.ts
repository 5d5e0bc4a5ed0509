/** Deployment files: checked with the tools these machines have (no Docker engine runs here). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const has = (cmd: string, arg = '--version') => spawnSync(cmd, [arg]).status === 0;

test(
  'docker-compose.yml is valid',
  { skip: !has('docker-compose', 'version') && 'docker-compose (Debian package) is not installed' },
  () => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services']);
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(String(r.stdout).trim().split('\n').sort(), ['api', 'postgres', 'prometheus', 'redis', 'worker']);
  },
);

test(
  'Prometheus config with its rules passes promtool',
  { skip: !has('promtool') && 'promtool is not installed' },
  async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-prom-'));
    const config = (await fs.readFile('deploy/prometheus/prometheus.yml', 'utf8')).replace(
      '/etc/prometheus/alerts.yml',
      path.resolve('deploy/prometheus/alerts.yml'),
    );
    await fs.writeFile(path.join(dir, 'prometheus.yml'), config);
    const r = spawnSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')]);
    await fs.rm(dir, { recursive: true });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  },
);

test('Kubernetes probes point at the health endpoints; the image runs as non-root', async () => {
  const k8s = await fs.readFile('deploy/k8s/base/api.yaml', 'utf8');
  assert.match(k8s, /livenessProbe: \{ httpGet: \{ path: \/health, port: http \}/);
  assert.match(k8s, /readinessProbe: \{ httpGet: \{ path: \/health\/ready, port: http \}/);
  assert.match(k8s, /runAsNonRoot: true/);
  const docker = await fs.readFile('Dockerfile', 'utf8');
  assert.match(docker, /^FROM node:24-/m);
  assert.match(docker, /^USER media$/m);
  assert.equal((docker.match(/^FROM /gm) ?? []).length, 2, 'multi-stage');
});

test('the Grafana dashboard only charts metrics the service exports', async () => {
  const dash = JSON.parse(await fs.readFile('deploy/grafana/media-analysis.json', 'utf8')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const source = await fs.readFile('src/observability/metrics.ts', 'utf8');
  const exported = new Set([...source.matchAll(/name: '(media_analysis_[a-z_]+)'/g)].map((m) => m[1]));
  for (const p of dash.panels) {
    for (const t of p.targets) {
      for (const m of t.expr.match(/media_analysis_[a-z_]+/g) ?? []) {
        assert.ok(exported.has(m.replace(/_(bucket|count|sum)$/, '')), `${m} is not exported`);
      }
    }
  }
});
