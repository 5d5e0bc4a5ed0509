/** The performance guard's floors: the study's rule, and the committed floors come from the kept evidence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { kindOf, readEvidence, study, toEvidence, type Evidence } from '../bench/guard-study.ts';

const run = (kind: string, machine: string, ratios: Record<string, number>): Evidence => ({
  kind,
  machine,
  cpus: 2,
  date: '2026-12-08T00:00:00.000Z',
  commit: null,
  load_average_start: null,
  source: 'test',
  status_cpu_us: null,
  history_db_cpu_us: null,
  ratios,
});

test('a floor sits halfway between the lowest normal run and the best-separated regression; too narrow a gap is reported only', () => {
  const rows = study([
    run('normal', 'A', { x: 0.3, y: 1.0 }),
    run('normal', 'B', { x: 0.2, y: 0.8 }),
    run('normal', 'A', { x: 0.25, y: 0.9 }),
    run('drop', 'A', { x: 0.1, y: 0.75 }),
    run('drop', 'A', { x: 0.125, y: 0.7 }),
    run('spin', 'A', { x: 0.18, y: 0.5 }),
    run('spin', 'A', { x: 0.15, y: 0.45 }),
    // One run of a kind is not enough to judge it.
    run('lonely', 'A', { x: 0.01, y: 0.01 }),
  ]);
  const x = rows.find((r) => r.ratio === 'x')!;
  assert.equal(x.normal.min, 0.2);
  assert.deepEqual(x.normal.machines, ['A', 'B']);
  assert.equal(x.caught_by, 'drop');
  assert.equal(x.floor, Math.round(Math.sqrt(0.2 * 0.125) * 1000) / 1000);
  assert.ok(!('lonely' in x.injected));
  const y = rows.find((r) => r.ratio === 'y')!;
  assert.equal(y.caught_by, 'spin', 'drop separates y by 0.8/0.75 only');
  assert.equal(y.floor, Math.round(Math.sqrt(0.8 * 0.5) * 1000) / 1000);

  // No measurement (0, null) counts; the gap is compared unrounded (1.195 is not 1.2).
  const odd = study([
    run('normal', 'A', { v: 0.5, w: 0.5 }),
    run('normal', 'A', { v: 0, w: 0.6 }),
    run('zero', 'A', { v: 0, w: 0.4183 }),
    run('zero', 'A', { v: 0, w: 0.4 }),
  ]);
  assert.equal(odd.find((r) => r.ratio === 'v')!.normal.min, 0.5);
  assert.equal(odd.find((r) => r.ratio === 'v')!.caught_by, null, 'an injection with no measurement catches nothing');
  assert.equal(odd.find((r) => r.ratio === 'w')!.caught_by, null, '0.5 / 0.4183 rounds to 1.2 but is below it');

  const narrow = study([
    run('normal', 'A', { z: 1 }),
    run('normal', 'A', { z: 0.9 }),
    run('slow', 'A', { z: 0.8 }),
    run('slow', 'A', { z: 0.78 }),
  ]);
  assert.equal(narrow[0]!.caught_by, null, '0.9 / 0.8 is below the gap the rule asks for');
  assert.equal(narrow[0]!.floor, null);
});

test('the committed floors are the study of the kept evidence, and every guarded ratio has a floor below all its normal runs', () => {
  const evidence = readEvidence();
  assert.ok(evidence.filter((e) => e.kind === 'normal').length >= 10);
  const rows = study(evidence);
  const baseline = JSON.parse(fs.readFileSync('bench/guard-baseline.json', 'utf8')) as {
    floors: Record<string, number>;
  };
  const expected = Object.fromEntries(rows.filter((r) => r.floor !== null).map((r) => [r.ratio, r.floor]));
  assert.ok(Object.keys(expected).length >= 3, 'the guard guards something');
  assert.deepEqual(baseline.floors, expected);
  for (const r of rows.filter((x) => x.floor !== null)) {
    assert.ok(r.floor! < r.normal.min, r.ratio);
    assert.ok(r.floor! > r.injected[r.caught_by!]!.max, r.ratio);
  }
});

test('a results file is kept only as evidence of the regression it was run with', () => {
  const result = {
    provenance: {
      date: '2026-12-08T00:00:00.000Z',
      load_average_start: [1, 1, 1],
      commit: 'abc',
      cpu_model: 'X',
      cpus: 2,
    },
    settings: { injected: 'drop-index' },
    ratios: [{ ratio: 'a', measured: 0.5 }],
    results: {},
  };
  assert.equal(toEvidence('drop-index', result, 'guard.json').ratios.a, 0.5);
  assert.throws(() => toEvidence('normal', result, 'guard.json'), /not of "normal"/);
  assert.throws(() => toEvidence('slow', result, 'guard.json'), /not of "slow"/);
  // A spin other than the default is a kind of its own, and the default is not it.
  const spin = (us?: number) => ({ ...result, settings: { injected: 'slow', ...(us ? { inject_spin_us: us } : {}) } });
  assert.equal(kindOf(spin(1000).settings), 'slow-1ms');
  assert.equal(kindOf(spin(250).settings), 'slow');
  assert.equal(kindOf(spin().settings), 'slow');
  assert.equal(kindOf({ injected: 'slow-search', inject_spin_us: 8000 }), 'slow-search-8ms');
  assert.equal(toEvidence('slow-1ms', spin(1000), 'guard.json').kind, 'slow-1ms');
  assert.throws(() => toEvidence('slow', spin(1000), 'guard.json'), /"slow-1ms", not of "slow"/);
  assert.throws(() => toEvidence('slow-search', spin(250), 'guard.json'), /not of "slow-search"/);
});
