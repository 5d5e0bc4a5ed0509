/**
 * Where a figure comes from: every file a benchmark writes under bench/results carries a
 * `provenance` object (and its .md a line) saying when it was measured, on which commit,
 * how loaded the machine was, how many cores it had and the command that reproduces it.
 * docs/benchmarks.md and the README figures are generated from these files, so a figure
 * without provenance cannot be traced back to a run.
 *
 * The start of the run is taken when this module is first imported (benchmarks import it
 * at the top), the end when `provenance()` is called, just before the results are written.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Provenance {
  /** ISO time the results were written. */
  date: string;
  /** ISO time the benchmark process started. */
  started: string;
  /** `git rev-parse HEAD` of the measured tree, or null outside a git checkout. */
  commit: string | null;
  /** True when the tree had uncommitted changes to tracked files other than runs' outputs (the figure is of commit + those changes). */
  dirty: boolean | null;
  /** The command that produced the file, with the benchmark settings taken from the environment. */
  command: string;
  /** Logical CPUs the machine had. */
  cpus: number;
  cpu_model: string | null;
  node: string;
  /** /proc/loadavg's 1, 5 and 15 minute averages when the run started and when it ended. */
  load_average_start: number[];
  load_average_end: number[];
}

/** 1, 5 and 15 minute load averages as /proc/loadavg states them (os.loadavg elsewhere). */
function loadAverage(): number[] {
  try {
    return fs
      .readFileSync('/proc/loadavg', 'utf8')
      .split(' ')
      .slice(0, 3)
      .map((x) => Number(x));
  } catch {
    return os.loadavg().map((x) => Math.round(x * 100) / 100);
  }
}

const START = { date: new Date().toISOString(), load: loadAverage() };

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * Environment variables that change what a benchmark measures (sizes, durations, modes).
 * DATABASE_URL is named but never printed: it may hold a password.
 */
const SETTING = /^(BENCH_|GUARD_|SEARCH_|SPEECH_TUNE|VISION_EVAL|FORTUNES_DIR|CORPUS_)/;

/** The command line that reproduces this run: `VAR=… npm run script -- args` or `node file args`. */
export function commandLine(argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const settings = Object.keys(env)
    .filter((k) => SETTING.test(k))
    .sort()
    .map((k) => `${k}=${env[k]}`);
  if (env.DATABASE_URL) settings.unshift('DATABASE_URL=…');
  const args = argv.slice(2);
  const script = env.npm_lifecycle_event;
  const run = script
    ? `npm run ${script}${args.length ? ` -- ${args.join(' ')}` : ''}`
    : ['node', path.relative(process.cwd(), argv[1] ?? ''), ...args].join(' ');
  return [...settings, run].join(' ');
}

/**
 * What runs write, not what they measure: results files (one run may write several, and
 * the first would make the second look dirty) and the console's screenshots.
 */
const OUTPUTS = [':(top,exclude)bench/results', ':(top,exclude)docs/screenshots'];

/** The provenance of results written now. */
export function provenance(): Provenance {
  const status = git(['status', '--porcelain', '--untracked-files=no', '--', ':/', ...OUTPUTS]);
  return {
    date: new Date().toISOString(),
    started: START.date,
    commit: git(['rev-parse', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
    command: commandLine(),
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    node: process.version,
    load_average_start: START.load,
    load_average_end: loadAverage(),
  };
}

/** `{ provenance, ...report }`: the report with its provenance first. */
export function withProvenance<T extends object>(report: T): { provenance: Provenance } & T {
  return { provenance: provenance(), ...report };
}

/** One line for a results .md stating the provenance. */
export function provenanceLine(p: Provenance): string {
  const commit = p.commit ? `${p.commit.slice(0, 10)}${p.dirty ? ' (with uncommitted changes)' : ''}` : 'no git commit';
  return (
    `Measured ${p.date.slice(0, 16).replace('T', ' ')} UTC on ${commit} · ${p.cpus} CPU · ` +
    `load average ${p.load_average_start.join(' / ')} at the start, ${p.load_average_end.join(' / ')} at the end · ` +
    `\`${p.command}\``
  );
}

const RESULTS_DIR = path.resolve(import.meta.dirname, '../results');

/** The .md with the provenance line under its first heading (or on top when it has none). */
export function markdownWithProvenance(md: string, p: Provenance): string {
  const line = provenanceLine(p);
  const heading = /^# .*\n/.exec(md);
  return heading ? `${heading[0]}\n${line}\n${md.slice(heading[0].length)}` : `${line}\n\n${md}`;
}

/**
 * Write bench/results/<name>.json as `{ provenance, ...report }` and, when `md` is given,
 * <name>.md with the provenance line under its heading. The report's own fields keep
 * their names and shape. Returns the provenance written.
 */
export function writeBenchResults(name: string, report: object, md?: string): Provenance {
  const p = provenance();
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(RESULTS_DIR, `${name}.json`),
    `${JSON.stringify({ provenance: p, ...report }, null, 2)}\n`,
  );
  if (md !== undefined) fs.writeFileSync(path.join(RESULTS_DIR, `${name}.md`), markdownWithProvenance(md, p));
  return p;
}
