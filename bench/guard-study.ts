/**
 * Sets the performance guard's floors from evidence: the results of guard runs of one
 * build (`normal-*.json`) and of runs with an injected regression (`slow-*.json`:
 * GUARD_INJECT_SPIN_US of CPU per API request; `drop-index-*.json`: the history indexes
 * dropped), copied from bench/results/guard.json after each run into one folder.
 *
 * For every ratio: the spread over the normal runs; a floor of FLOOR_MARGIN × the lowest
 * normal run; how often a normal run would fail (leave-one-out: each run judged against
 * the floor the other runs give) and how often each injected regression falls below the
 * floor. A ratio is guarded when no normal run would have failed it (leave one out) and
 * it either catches an injected regression in every run of it (two runs at least) or its
 * normal spread is narrow (max/min ≤ NARROW, so a regression of that size shows); the
 * others are reported only.
 *
 * Usage: node bench/guard-study.ts data/guard-study
 *   → bench/guard-baseline.json (floors, ratios, study), bench/results/guard-study.json/.md
 *        node bench/guard-study.ts data/guard-study-search --ratios=search.
 *   studies only the ratios whose names start with the prefix (a slice added later, with
 *   runs of its own); the other ratios keep their floors and study in the baseline file,
 *   and the results are written to bench/results/guard-study-<prefix>.json/.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeBenchResults } from './helpers/provenance.ts';

/** A floor sits this far below the lowest ratio a run of the unchanged build measured. */
const FLOOR_MARGIN = 0.9;
/** A ratio whose normal runs stay within this factor of each other is guarded even without a caught injection. */
const NARROW = 1.35;
const BASELINE_FILE = path.resolve('bench/guard-baseline.json');

interface GuardResult {
  provenance?: { date: string; load_average_start: number[]; commit: string | null };
  settings: { injected?: string | null };
  ratios: Array<{ ratio: string; measured: number }>;
  results: Record<string, { cpu_us_per_request: number; db_cpu_us_per_request?: number }>;
  pass: boolean;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function main(): void {
  const dir = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const only = process.argv.find((a) => a.startsWith('--ratios='))?.slice('--ratios='.length) ?? null;
  if (!dir) throw new Error('usage: node bench/guard-study.ts <folder of guard results> [--ratios=<prefix>]');
  const runs = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      kind: f.replace(/-\d+\.json$/, ''),
      file: f,
      r: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as GuardResult,
    }));
  const kinds = [...new Set(runs.map((x) => x.kind))];
  const normal = runs.filter((x) => x.kind === 'normal');
  if (normal.length < 3) throw new Error(`need at least 3 normal runs, found ${normal.length}`);
  const value = (x: GuardResult, name: string) => x.ratios.find((r) => r.ratio === name)?.measured;
  const names = normal[0]!.r.ratios.map((r) => r.ratio).filter((n) => only === null || n.startsWith(only));

  const rows = names.map((name) => {
    const values = normal.map((x) => value(x.r, name)!).filter((v) => v !== undefined);
    const floor = round(Math.min(...values) * FLOOR_MARGIN);
    // Leave one out: would run i have failed against the floor the other runs set?
    const falseFailures = values.filter((v, i) => {
      const others = values.filter((_, j) => j !== i);
      return v < Math.min(...others) * FLOOR_MARGIN;
    }).length;
    const caught = Object.fromEntries(
      kinds
        .filter((k) => k !== 'normal')
        .map((k) => {
          const vs = runs.filter((x) => x.kind === k).map((x) => value(x.r, name)!);
          return [k, { runs: vs.length, below_floor: vs.filter((v) => v < floor).length, values: vs }];
        }),
    );
    const spread = round(Math.max(...values) / Math.min(...values), 2);
    const catchesAll = Object.values(caught).some((c) => c.runs >= 2 && c.below_floor === c.runs);
    return {
      ratio: name,
      normal: {
        runs: values.length,
        min: Math.min(...values),
        median: round(median(values)),
        max: Math.max(...values),
        spread,
      },
      floor,
      leave_one_out_false_failures: falseFailures,
      injected: caught,
      guarded: falseFailures === 0 && (catchesAll || spread <= NARROW),
    };
  });

  const baseline = JSON.parse(fs.readFileSync(BASELINE_FILE, 'utf8')) as Record<string, unknown> & {
    floors?: Record<string, number>;
    ratios?: Record<string, number>;
    runs?: unknown[];
    study?: { rule: string; summary: unknown[] } & Record<string, unknown>;
  };
  const kept = (o: Record<string, number> | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => only !== null && !k.startsWith(only)));
  const floors = {
    ...kept(baseline.floors),
    ...Object.fromEntries(rows.filter((r) => r.guarded).map((r) => [r.ratio, r.floor])),
  };
  const study = {
    rule:
      `floor = ${FLOOR_MARGIN} × the lowest of ${normal.length} normal runs; guarded when no normal run falls below the floor ` +
      `the others set (leave one out) and it caught an injected regression in every run of it (2+ runs) or its normal max/min ≤ ${NARROW}`,
    runs: runs.map((x) => ({
      kind: x.kind,
      date: x.r.provenance?.date ?? null,
      load_average_start: x.r.provenance?.load_average_start ?? null,
      status_cpu_us: x.r.results.get_status_uncached?.cpu_us_per_request ?? null,
      history_db_cpu_us: x.r.results.get_history_filtered_uncached?.db_cpu_us_per_request ?? null,
    })),
    ratios: rows,
  };
  const summary = rows.map(({ injected: _i, ...r }) => r);
  const updated = {
    note: 'Ratios service/baseline. Only the ratios under `floors` fail the guard; floors and `study` are written by bench/guard-study.ts from the runs it lists (`npm run bench:guard -- --update` records a run in `runs`).',
    tolerance: baseline.tolerance,
    ratios: { ...kept(baseline.ratios), ...Object.fromEntries(rows.map((r) => [r.ratio, r.normal.median])) },
    floors,
    // A study of one slice keeps the runs the other floors were set from.
    runs:
      only === null
        ? normal.map((x) => ({
            date: x.r.provenance?.date ?? '',
            ratios: Object.fromEntries(x.r.ratios.map((r) => [r.ratio, r.measured])),
          }))
        : baseline.runs,
    study:
      only === null
        ? { rule: study.rule, summary }
        : {
            ...(baseline.study ?? {}),
            [only.replace(/\.$/, '')]: { rule: study.rule, summary },
          },
  };
  fs.writeFileSync(BASELINE_FILE, `${JSON.stringify(updated, null, 2)}\n`);

  const md = [
    '# Performance guard — what it catches',
    '',
    `${normal.length} runs of one build and ${runs.length - normal.length} with an injected regression ` +
      `(${kinds.filter((k) => k !== 'normal').join(', ')}), each a full \`npm run bench:guard\`. ${study.rule}. ` +
      'A run that lands below a floor is measured a second time before it fails (the better attempt counts), ' +
      'which the leave-one-out count below does not credit.',
    '',
    `| ratio | normal min | median | max | max/min | floor | normal runs below (leave one out) | ${kinds
      .filter((k) => k !== 'normal')
      .map((k) => `${k} caught | `)
      .join('')}guarded |`,
    `|---|---:|---:|---:|---:|---:|---:|${kinds
      .filter((k) => k !== 'normal')
      .map(() => '---:|')
      .join('')}:---:|`,
    ...rows.map(
      (r) =>
        `| ${r.ratio} | ${r.normal.min} | ${r.normal.median} | ${r.normal.max} | ${r.normal.spread} | ${r.floor} | ${r.leave_one_out_false_failures}/${r.normal.runs} | ` +
        Object.values(r.injected)
          .map((c) => `${c.below_floor}/${c.runs} | `)
          .join('') +
        `${r.guarded ? 'yes' : 'no'} |`,
    ),
    '',
    '| run | load average (1 min) at start | status server CPU µs/req | history PostgreSQL CPU µs/req |',
    '|---|---:|---:|---:|',
    ...study.runs.map(
      (r) =>
        `| ${r.kind} | ${r.load_average_start?.[0] ?? '—'} | ${r.status_cpu_us ?? '—'} | ${r.history_db_cpu_us ?? '—'} |`,
    ),
    '',
  ].join('\n');
  writeBenchResults(only === null ? 'guard-study' : `guard-study-${only.replace(/\.$/, '')}`, study, md);
  process.stdout.write(md + '\n');
}

main();
