/**
 * Sets the performance guard's floors from evidence: guard runs kept in
 * bench/guard-evidence/ (one small file per run: its kind, machine, load and ratios),
 * runs of an unchanged build (`normal`) and runs with an injected regression (the kinds of
 * `--inject=` in bench/guard.bench.ts: `slow`, `slow-1ms`, `slow-search`, `slow-search-8ms`,
 * `drop-index`, `frames-one-by-one`).
 *
 * Rule, per ratio: the lowest normal run over every machine and load the evidence holds
 * (CI's runs included) against, for each injected regression with two runs or more, its
 * highest run. A ratio is guarded by the regression it separates best when the lowest
 * normal run is at least GAP × that regression's highest run; its floor sits halfway
 * between the two (geometric mean), so a run of the unchanged build has to come out as
 * much lower than every one seen as a regressed run higher, for the guard to be wrong.
 * The other ratios are reported only. The floors, the median normal ratios and the study
 * go to bench/guard-baseline.json, the table to bench/results/guard-study.md.
 *
 * Usage: node bench/guard-study.ts
 *        node bench/guard-study.ts --add=<kind> [results file]   keeps a guard run (by
 *          default bench/results/guard.json) as evidence of that kind, then studies again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeBenchResults } from './helpers/provenance.ts';

/** A ratio is guarded when its lowest normal run is at least this many times the injected runs' highest. */
const GAP = 1.2;
const EVIDENCE_DIR = path.resolve('bench/guard-evidence');
const BASELINE_FILE = path.resolve('bench/guard-baseline.json');

export interface Evidence {
  kind: string;
  machine: string;
  cpus: number;
  date: string;
  commit: string | null;
  load_average_start: number[] | null;
  /** Where the figures come from, when not a results file of this tool. */
  source: string;
  status_cpu_us: number | null;
  history_db_cpu_us: number | null;
  ratios: Record<string, number>;
}

interface GuardResult {
  provenance?: {
    date: string;
    load_average_start: number[];
    commit: string | null;
    dirty?: boolean;
    cpu_model?: string;
    cpus?: number;
  };
  settings: { injected?: string | null; inject_spin_us?: number };
  ratios: Array<{ ratio: string; measured: number }>;
  results: Record<string, { cpu_us_per_request: number; db_cpu_us_per_request?: number }>;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The CPU each spin injection adds by default (bench/guard.bench.ts); another amount is its own kind. */
const DEFAULT_SPIN_US: Record<string, number> = { slow: 250, 'slow-search': 3000 };

/** The kind of evidence a guard run is: `normal`, the injection, or e.g. `slow-1ms` for a spin other than the default. */
export function kindOf(settings: GuardResult['settings']): string {
  const injected = settings.injected ?? null;
  if (injected === null) return 'normal';
  const spin = settings.inject_spin_us ?? DEFAULT_SPIN_US[injected];
  return spin === undefined || spin === DEFAULT_SPIN_US[injected] ? injected : `${injected}-${spin / 1000}ms`;
}

/** A guard results file as evidence of `kind` (what it was run with must be that kind). */
export function toEvidence(kind: string, r: GuardResult, file: string): Evidence {
  const injected = r.settings.injected ?? null;
  if (kindOf(r.settings) !== kind) throw new Error(`${file} is evidence of "${kindOf(r.settings)}", not of "${kind}"`);
  if (!r.provenance) throw new Error(`${file} has no provenance`);
  return {
    kind,
    machine: r.provenance.cpu_model ?? 'unknown',
    cpus: r.provenance.cpus ?? 0,
    date: r.provenance.date,
    commit: r.provenance.commit,
    load_average_start: r.provenance.load_average_start,
    source:
      `the results of a run${r.provenance.dirty ? ' with uncommitted changes' : ''} of ` +
      `${r.settings.inject_spin_us ? `GUARD_INJECT_SPIN_US=${r.settings.inject_spin_us} ` : ''}npm run bench:guard` +
      `${injected ? ` -- --inject=${injected}` : ''}`,
    status_cpu_us: r.results.get_status_uncached?.cpu_us_per_request ?? null,
    history_db_cpu_us: r.results.get_history_filtered_uncached?.db_cpu_us_per_request ?? null,
    ratios: Object.fromEntries(r.ratios.map((x) => [x.ratio, x.measured])),
  };
}

export function readEvidence(dir = EVIDENCE_DIR): Evidence[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Evidence);
}

export interface RatioStudy {
  ratio: string;
  normal: { runs: number; min: number; median: number; max: number; machines: string[] };
  injected: Record<string, { runs: number; max: number; gap: number; values: number[] }>;
  caught_by: string | null;
  floor: number | null;
}

/** The rule of the file comment, over every ratio a normal run holds. */
export function study(evidence: readonly Evidence[]): RatioStudy[] {
  const normal = evidence.filter((e) => e.kind === 'normal');
  const kinds = [...new Set(evidence.map((e) => e.kind))].filter((k) => k !== 'normal').sort();
  const names = [...new Set(normal.flatMap((e) => Object.keys(e.ratios)))].sort();
  // A ratio is a positive number; anything else in a file (null, 0) is no measurement.
  const measured = (e: Evidence, name: string) => {
    const v = e.ratios[name];
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  return names.flatMap((name) => {
    const runs = normal.filter((e) => measured(e, name) !== undefined);
    if (runs.length === 0) return [];
    const values = runs.map((e) => measured(e, name)!);
    const min = Math.min(...values);
    const injected = Object.fromEntries(
      kinds.flatMap((k) => {
        const vs = evidence.filter((e) => e.kind === k).flatMap((e) => measured(e, name) ?? []);
        if (vs.length < 2) return [];
        const max = Math.max(...vs);
        return [[k, { runs: vs.length, max, gap: min / max, values: vs }]];
      }),
    );
    const best = Object.entries(injected).sort((a, b) => b[1].gap - a[1].gap)[0];
    const caught = best && best[1].gap >= GAP ? best : undefined;
    const row: RatioStudy = {
      ratio: name,
      normal: {
        runs: values.length,
        min,
        median: round(median(values)),
        max: Math.max(...values),
        machines: [...new Set(runs.map((e) => e.machine))],
      },
      injected: Object.fromEntries(Object.entries(injected).map(([k, c]) => [k, { ...c, gap: round(c.gap, 2) }])),
      caught_by: caught ? caught[0] : null,
      floor: caught ? round(Math.sqrt(min * caught[1].max)) : null,
    };
    return [row];
  });
}

function main(): void {
  const add = process.argv.find((a) => a.startsWith('--add='))?.slice('--add='.length);
  if (add) {
    const file = path.resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'bench/results/guard.json');
    const e = toEvidence(add, JSON.parse(fs.readFileSync(file, 'utf8')) as GuardResult, file);
    const out = path.join(EVIDENCE_DIR, `${add}-${e.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(out, `${JSON.stringify(e, null, 2)}\n`);
    process.stdout.write(`kept ${path.relative(process.cwd(), out)}\n`);
  }
  const evidence = readEvidence();
  const rows = study(evidence);
  const normal = evidence.filter((e) => e.kind === 'normal');
  const rule =
    `per ratio, the lowest normal run (${normal.length} runs on ${[...new Set(normal.map((e) => e.machine))].join(' and ')}, ` +
    `CI's included) against each injected regression's highest run (2+ runs); guarded by the regression it separates best ` +
    `when the lowest normal run is at least ${GAP} × that run, the floor halfway between them (geometric mean)`;

  const previous = JSON.parse(fs.readFileSync(BASELINE_FILE, 'utf8')) as { tolerance?: number };
  const fullRuns = normal.filter((e) => rows.every((r) => e.ratios[r.ratio] !== undefined));
  const baseline = {
    note: 'Ratios service/baseline: the median of the normal runs in bench/guard-evidence/. Only the ratios under `floors` fail the guard; floors and `study` are written by bench/guard-study.ts from that evidence.',
    tolerance: previous.tolerance,
    ratios: Object.fromEntries(rows.map((r) => [r.ratio, r.normal.median])),
    floors: Object.fromEntries(rows.filter((r) => r.floor !== null).map((r) => [r.ratio, r.floor])),
    runs: fullRuns.map((e) => ({ date: e.date, ratios: e.ratios })),
    study: { rule, summary: rows.map(({ injected: _i, ...r }) => r) },
  };
  fs.writeFileSync(BASELINE_FILE, `${JSON.stringify(baseline, null, 2)}\n`);

  const kinds = [...new Set(evidence.map((e) => e.kind))].filter((k) => k !== 'normal').sort();
  const cell = (r: RatioStudy, k: string) => {
    const c = r.injected[k];
    return c ? `${c.max} (${c.gap}×)` : '—';
  };
  const md = [
    '# Performance guard — what it catches',
    '',
    `${evidence.length} guard runs kept in bench/guard-evidence/: ${normal.length} of unchanged builds and ` +
      `${evidence.length - normal.length} with an injected regression (${kinds
        .map((k) => `${k} ×${evidence.filter((e) => e.kind === k).length}`)
        .join(', ')}). Rule: ${rule}. ` +
      'A guard run that lands below a floor is measured a second time before it fails (the better attempt counts).',
    '',
    `| ratio | normal min | median | max | ${kinds.map((k) => `${k}: highest (gap)`).join(' | ')} | caught by | floor |`,
    `|---|---:|---:|---:|${kinds.map(() => '---:|').join('')}---|---:|`,
    ...rows.map(
      (r) =>
        `| ${r.ratio} | ${r.normal.min} | ${r.normal.median} | ${r.normal.max} | ${kinds.map((k) => cell(r, k)).join(' | ')} | ` +
        `${r.caught_by ?? 'reported only'} | ${r.floor ?? '—'} |`,
    ),
    '',
    '| run | machine | load average (1 min) at start | commit | source |',
    '|---|---|---:|---|---|',
    ...evidence.map(
      (e) =>
        `| ${e.kind} ${e.date.slice(0, 16).replace('T', ' ')} | ${e.machine} | ${e.load_average_start?.[0] ?? '—'} | ` +
        `${e.commit?.slice(0, 10) ?? '—'} | ${e.source} |`,
    ),
    '',
  ].join('\n');
  writeBenchResults('guard-study', { rule, gap: GAP, runs: evidence.length, ratios: rows }, md);
  process.stdout.write(md + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) main();
