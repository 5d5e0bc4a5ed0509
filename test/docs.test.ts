/**
 * The README and docs/ cannot go stale: every generated block equals what its source renders
 * to (the env schema, the stage list, bench/results, a stored real analysis), the README
 * stays a front door, links resolve, and no measured figure is typed outside a generated block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BLOCKS, staleBlocks } from '../scripts/docs.ts';
import { readKeyDocs, renderConfiguration } from '../scripts/docs-config.ts';
import { BENCHMARKS } from '../scripts/docs-benchmarks.ts';
import { diagramEdges, renderPipeline } from '../scripts/docs-pipeline.ts';
import { EnvSchema } from '../src/config/env.schema.ts';
import { DEFAULT_STAGES } from '../src/pipeline/pipeline.ts';
import type { StageName } from '../src/contract/analysis-stage.types.ts';
import { buildStageGraph } from '../src/pipeline/stage-graph.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

test('every generated block is what its source renders to (node scripts/docs.ts)', () => {
  assert.ok(BLOCKS.length >= 6);
  assert.deepEqual(
    staleBlocks().map(({ block, reason }) => `${block.file} ${block.name} ${reason}`),
    [],
  );
});

test('the README is a front door: at most 300 lines, linking every page of docs/', () => {
  const readme = read('README.md');
  assert.ok(readme.split('\n').length <= 300, `README.md has ${readme.split('\n').length} lines`);
  for (const doc of DOCS.filter((d) => d !== 'README.md'))
    assert.ok(readme.includes(`](${doc})`), `README.md's Documentation list links ${doc}`);
});

test('relative links in README.md and docs/ point at files that exist', () => {
  for (const doc of DOCS) {
    for (const [, target] of read(doc).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const resolved = path.resolve(path.dirname(path.join(ROOT, doc)), target!);
      assert.ok(fs.existsSync(resolved), `${doc} links ${target}, which does not exist`);
    }
  }
});

test('no measured figure is typed by hand outside a generated block', () => {
  // Times, sizes and ratios: what a benchmark measures. A threshold (`p95 > 500 ms`) and a
  // dimension (`4×3`) are not measurements.
  const figure = /(?<![<>≤≥]\s?)(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:ms|MB|MiB|GB|KB|req\/s|×(?!\d))/g;
  for (const doc of DOCS) {
    const prose = read(doc)
      .replace(/<!-- generated:(\S+) [^>]*-->[\s\S]*?<!-- \/generated:\1 -->/g, '')
      .replace(/<!-- quality:start[\s\S]*?<!-- quality:end -->/g, '');
    assert.deepEqual(
      [...prose.matchAll(figure)].map((m) => m[0]),
      [],
      `${doc} types a figure`,
    );
  }
});

test('the configuration reference names every key the schema validates, with its default', () => {
  const text = read('docs/configuration.md');
  const properties = EnvSchema.properties as Record<string, { default?: unknown }>;
  for (const [key, schema] of Object.entries(properties)) {
    const row = text.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
    assert.ok(row, `${key} is documented`);
    if (typeof schema.default === 'number') assert.ok(row.includes(`\`${schema.default}\``), `${key}: ${row}`);
  }
});

test('a setting without a comment saying what it does cannot be generated', () => {
  const source = [
    "import { Type } from 'typebox';",
    'export const EnvSchema = Type.Object({',
    '  // ## Server',
    '  /** Documented. */',
    '  A: Type.String(),',
    '  B: Type.String(),',
    '});',
  ].join('\n');
  assert.throws(() => readKeyDocs(source), /B has no JSDoc/);
  assert.ok(renderConfiguration().includes('### Server'));
});

test('the pipeline diagram keeps every wait of the declared graph, and changes when the declaration does', () => {
  const graph = buildStageGraph(DEFAULT_STAGES);
  const edges = diagramEdges(graph);
  // Every drawn arrow is a declared wait, and every declared wait is reachable by arrows.
  const reach = (from: string, to: string): boolean =>
    edges.some((e) => e.from === from && (e.to === to || reach(e.to, to)));
  for (const stage of graph.stages) {
    for (const waited of graph.waitsFor.get(stage.name) ?? [])
      assert.ok(reach(waited, stage.name), `${stage.name} waits for ${waited}: the diagram shows a path`);
  }
  for (const e of edges)
    assert.ok(
      (graph.waitsFor.get(e.to as StageName) as readonly string[] | undefined)?.includes(e.from),
      `${e.from} → ${e.to} is declared`,
    );
  // A stage that stops using the shots is drawn without that arrow: the stale check would fail.
  const changed = DEFAULT_STAGES.map((s) => (s.name === 'frames' ? { ...s, uses: [] } : s));
  assert.notEqual(renderPipeline(changed), renderPipeline());
  assert.ok(!renderPipeline(changed).includes('shots -.-> frames'));
});

test('every benchmark results file has its figures in docs/benchmarks.md', () => {
  const files = fs
    .readdirSync(path.join(ROOT, 'bench/results'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''));
  // quality.json has its own page (docs/quality.md); speech-tuning.json is the sweep behind speech.json;
  // face-models.json is the study behind the people stage's choice of model (docs/people.md);
  // embed-corpus-2-threads.json is the two-thread trial beside embed-corpus.json (docs/capacity.md).
  const covered = new Set([
    ...BENCHMARKS.map((b) => b.file),
    'quality',
    'speech-tuning',
    'face-models',
    'embed-corpus-2-threads',
  ]);
  assert.deepEqual(
    files.filter((f) => !covered.has(f)),
    [],
  );
  for (const b of BENCHMARKS)
    assert.match(read('docs/benchmarks.md'), new RegExp(`\\(\\.\\./bench/results/${b.file}\\.(md|json)\\)`), b.file);
});

test('decision records share one format: title, Status, Context, Decision, Consequences', () => {
  const dir = path.join(ROOT, 'docs/decisions');
  const records = fs.readdirSync(dir).filter((f) => f.endsWith('.md'));
  assert.ok(records.length >= 9);
  for (const file of records) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const number = file.slice(0, 4);
    assert.match(text, new RegExp(`^# ${number} — .+\\n\\nStatus: \\w+`), `${file}: title, then Status`);
    const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    assert.deepEqual(headings, ['Context', 'Decision', 'Consequences'], file);
  }
});
