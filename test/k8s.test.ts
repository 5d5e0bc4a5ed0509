/**
 * Kubernetes manifests: both overlays render, every object passes the Kubernetes JSON
 * schemas (from the kubernetes-models packages, no download), every Secret, ConfigMap and
 * volume claim a pod references is defined, and the KEDA query runs on a real database.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { kustomize, type K8sObject } from './helpers/kustomize.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { loadConfig } from '../src/config/config.ts';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

const OVERLAYS = ['deploy/k8s/overlays/local', 'deploy/k8s/overlays/production'];

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

interface PodSpec {
  containers: Array<{
    envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
    env?: Array<{ valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
    args?: string[];
    livenessProbe?: unknown;
    readinessProbe?: unknown;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  }>;
  volumes?: Array<{ persistentVolumeClaim?: { claimName: string } }>;
  terminationGracePeriodSeconds?: number;
}

function podSpec(o: K8sObject): PodSpec | null {
  const spec = o.spec as { template?: { spec?: PodSpec } } | undefined;
  return spec?.template?.spec ?? null;
}

function find(objs: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objs.find((o) => o.kind === kind && o.metadata.name === name);
}

for (const overlay of OVERLAYS) {
  test(`${overlay}: every object passes the Kubernetes schemas; references resolve`, () => {
    const objs = kustomize(overlay);
    for (const o of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
      assert.doesNotThrow(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name}`);
    }
    for (const o of objs) {
      const pod = podSpec(o);
      if (!pod) continue;
      for (const c of pod.containers) {
        for (const ref of c.envFrom ?? []) {
          if (ref.configMapRef) assert.ok(find(objs, 'ConfigMap', ref.configMapRef.name), ref.configMapRef.name);
          if (ref.secretRef) assert.ok(find(objs, 'Secret', ref.secretRef.name), ref.secretRef.name);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const secret = find(objs, 'Secret', ref.name) as { stringData?: Record<string, string> } | undefined;
          assert.ok(secret?.stringData && ref.key in secret.stringData, `${ref.name}.${ref.key}`);
        }
        assert.ok(c.resources?.requests && c.resources.limits, `${o.metadata.name} has requests and limits`);
      }
      for (const v of pod.volumes ?? [])
        if (v.persistentVolumeClaim)
          assert.ok(find(objs, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName), 'claim is defined');
    }
    const api = find(objs, 'Deployment', 'media-analysis-api')!;
    const apiPod = podSpec(api)!;
    assert.deepEqual(apiPod.containers[0]!.readinessProbe, {
      httpGet: { path: '/health/ready', port: 'http' },
      periodSeconds: 5,
      failureThreshold: 2,
    });
    assert.ok(apiPod.containers[0]!.livenessProbe);
    assert.ok(find(objs, 'PodDisruptionBudget', 'media-analysis-api'));
  });

  test(
    `${overlay}: renders the same as kubectl kustomize`,
    { skip: spawnSync('kubectl', ['version', '--client']).status !== 0 && 'kubectl is not installed' },
    () => {
      const r = spawnSync('kubectl', ['kustomize', overlay], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      const sort = (xs: K8sObject[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
      const theirs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
      assert.deepEqual(sort(kustomize(overlay)), sort(theirs));
    },
  );
}

test('production: separate API and worker fleets, worker PDB, grace period above the longest step, KEDA', () => {
  const objs = kustomize('deploy/k8s/overlays/production');
  const worker = find(objs, 'Deployment', 'media-analysis-worker')!;
  const api = find(objs, 'Deployment', 'media-analysis-api')!;
  assert.deepEqual(podSpec(api)!.containers[0]!.args, ['api']);
  assert.deepEqual(podSpec(worker)!.containers[0]!.args, ['worker']);
  assert.equal((api.spec as { replicas: number }).replicas, 3);
  assert.ok(find(objs, 'PodDisruptionBudget', 'media-analysis-worker'));
  // The longest step a stage cannot interrupt is a model call; the grace period must exceed it.
  const longestStepSeconds = loadConfig({}).providers.timeoutMs / 1000;
  assert.ok(podSpec(worker)!.terminationGracePeriodSeconds! > longestStepSeconds);
  const config = find(objs, 'ConfigMap', 'media-analysis-config') as { data: Record<string, string> } | undefined;
  assert.equal(config?.data.STORAGE_DRIVER, 's3');
  assert.equal(config?.data.WORKER_IN_PROCESS, 'false');
  const so = find(objs, 'ScaledObject', 'media-analysis-worker') as
    { spec: { scaleTargetRef: { name: string } } } | undefined;
  assert.equal(so?.spec.scaleTargetRef.name, 'media-analysis-worker');
  assert.ok(objs.every((o) => o.metadata.namespace === 'media-analysis'));
  assert.match(JSON.stringify(api), /registry\.example\.com\/media-analysis:0\.1\.0/);
});

test('local: one replica runs the API with an in-process worker on a defined volume', () => {
  const objs = kustomize('deploy/k8s/overlays/local');
  assert.equal(find(objs, 'Deployment', 'media-analysis-worker'), undefined);
  const api = find(objs, 'Deployment', 'media-analysis-api')!;
  assert.equal((api.spec as { replicas: number }).replicas, 1);
  assert.deepEqual(podSpec(api)!.containers[0]!.args, ['start']);
  const config = find(objs, 'ConfigMap', 'media-analysis-config') as unknown as { data: Record<string, string> };
  assert.equal(config.data.STORAGE_DRIVER, 'local');
});

test('the KEDA scaler query runs on the real schema and counts waiting and running analyses', async () => {
  const so = kustomize('deploy/k8s/components/workers').find((o) => o.kind === 'ScaledObject') as unknown as {
    spec: { triggers: Array<{ metadata: { query: string } }> };
  };
  const query = so.spec.triggers[0]!.metadata.query;
  const r = await db.pool.query<{ count: string }>(query);
  assert.equal(Number(r.rows[0]!.count), 0);
});
