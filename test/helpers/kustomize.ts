/**
 * The part of kustomize our manifests use (resources, namespace, labels, images, and
 * JSON 6902 patches with a kind/name target), so CI can render the overlays without a
 * kustomize binary. The test compares this rendering with `kubectl kustomize` where
 * kubectl is installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: Array<{ pairs: Record<string, string> }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target: { kind: string; name: string }; patch: string }>;
}

interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

function pointer(p: string): string[] {
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyOp(doc: unknown, op: PatchOp): void {
  const parts = pointer(op.path);
  const last = parts.pop()!;
  let parent = doc as Record<string, unknown> | unknown[];
  for (const key of parts) {
    const next = Array.isArray(parent) ? parent[Number(key)] : parent[key];
    if (next === undefined || next === null) throw new Error(`patch path ${op.path} not found`);
    parent = next as Record<string, unknown>;
  }
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (op.op === 'add') parent.splice(i, 0, op.value);
    else if (op.op === 'replace') {
      if (i >= parent.length) throw new Error(`patch path ${op.path} not found`);
      parent[i] = op.value;
    } else parent.splice(i, 1);
    return;
  }
  if (op.op !== 'add' && !(last in parent)) throw new Error(`patch path ${op.path} not found`);
  if (op.op === 'remove') delete parent[last];
  else parent[last] = op.value;
}

function setImages(node: unknown, images: NonNullable<Kustomization['images']>): void {
  if (Array.isArray(node)) {
    for (const n of node) setImages(n, images);
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o.containers)) {
      for (const c of o.containers as Array<{ image?: string }>) {
        const [name, tag] = (c.image ?? '').split(':');
        const img = images.find((i) => i.name === name);
        if (img) c.image = `${img.newName ?? name}:${img.newTag ?? tag ?? 'latest'}`;
      }
    }
    for (const v of Object.values(o)) setImages(v, images);
  }
}

/** Render the kustomization in `dir` (a folder holding kustomization.yaml). */
export function kustomize(dir: string): K8sObject[] {
  const k = YAML.parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const out: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const full = path.join(dir, r);
    if (fs.statSync(full).isDirectory()) out.push(...kustomize(full));
    else
      out.push(
        ...YAML.parseAllDocuments(fs.readFileSync(full, 'utf8'))
          .map((d) => d.toJS() as K8sObject)
          .filter(Boolean),
      );
  }
  for (const p of k.patches ?? []) {
    const targets = out.filter((o) => o.kind === p.target.kind && o.metadata.name === p.target.name);
    if (targets.length === 0) throw new Error(`patch target ${p.target.kind}/${p.target.name} not found in ${dir}`);
    for (const t of targets) for (const op of YAML.parse(p.patch) as PatchOp[]) applyOp(t, op);
  }
  for (const o of out) {
    if (k.namespace) o.metadata.namespace = k.namespace;
    for (const l of k.labels ?? []) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
    if (k.images) setImages(o, k.images);
  }
  return out;
}
