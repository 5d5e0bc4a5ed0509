/**
 * Helpers of the user commands: where the server and key come from, option and input
 * parsing, bounded concurrency, and output (JSON or text, tables, readable results, errors).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommanderError } from 'commander';
import { ApiError, type AnalysisStatus, type SearchResult } from '../../sdk/src/index.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Globals {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

/** Where the server and key come from: flags, then environment, then the config file. */
export function resolveConnection(
  g: Globals,
  env: NodeJS.ProcessEnv = process.env,
): { url: string; apiKey: string | undefined } {
  let file: { url?: string; api_key?: string } = {};
  const configPath = env.MEDIA_ANALYSIS_CONFIG ?? path.join(os.homedir(), '.config', 'media-analysis', 'config.json');
  try {
    file = JSON.parse(fs.readFileSync(configPath, 'utf8')) as typeof file;
  } catch {
    // no config file: flags and environment only
  }
  return {
    url: g.url ?? env.MEDIA_ANALYSIS_URL ?? file.url ?? 'http://127.0.0.1:3000',
    apiKey: g.apiKey ?? env.MEDIA_ANALYSIS_API_KEY ?? file.api_key,
  };
}

/** "k=v" pairs into an options object; values parse as JSON when they can (true, 3, {"a":1}). */
export function parseOptions(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CommanderError(EXIT.usage, 'usage', `--option expects key=value, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

/** Expand globs (Node's own fs.globSync) and keep URLs as they are. */
export function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    if (/^https?:\/\//i.test(input) || !/[*?[]/.test(input)) out.push(input);
    else out.push(...fs.globSync(input).sort());
  }
  return out;
}

/** Run `fn` over items with at most `limit` at once, keeping order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/** A readable result: status, summary, answer, shots, transcript excerpt. */
export function renderResult(s: AnalysisStatus): string {
  const lines = [`${s.analysis_id}  ${s.status}  ${s.media_type}  ${s.progress}%`];
  if (s.error_code) lines.push(`error: ${s.error_code}: ${s.error_message ?? ''}`);
  const results = (s.results ?? {}) as Record<string, unknown>;
  const answer = results.answer as { text?: string } | undefined;
  if (s.result_summary) lines.push('', 'Summary:', indent(s.result_summary));
  // The summary without a provider ends with the extracted answer: not printed twice.
  if (answer?.text && !s.result_summary?.includes(answer.text.trim())) lines.push('', 'Answer:', indent(answer.text));
  const shots = (results.shots as { items?: Array<{ start: number; end: number }> } | undefined)?.items;
  if (shots?.length)
    lines.push(
      '',
      `Shots (${shots.length}):`,
      ...shots.slice(0, 5).map((x) => `  ${x.start.toFixed(1)}s – ${x.end.toFixed(1)}s`),
    );
  const transcript = results.transcript as { text?: string } | undefined;
  if (transcript?.text) {
    const t = transcript.text.length > 300 ? `${transcript.text.slice(0, 300)}…` : transcript.text;
    lines.push('', 'Transcript:', indent(t));
  }
  return lines.join('\n');
}

/** Every line of a (possibly multi-line) text, indented under its heading. */
function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** A 0–1 score as a whole percentage. */
function pct(score: number): string {
  return `${Math.round(score * 100)}%`;
}

/** Search hits as text: each analysis with its relevance and its best segments (kind, where, quoted text). */
export function renderSearch(r: SearchResult): string {
  const hits = r.data;
  if (hits.length === 0) return `No match for "${r.query}" (nothing reached relevance ${pct(r.min_score)}).`;
  const lines: string[] = [];
  for (const hit of hits) {
    lines.push(`${hit.analysis_id}  ${hit.original_filename ?? '-'}  ${hit.media_type}  relevance ${pct(hit.score)}`);
    for (const seg of hit.segments.slice(0, 3)) {
      const where =
        seg.start_seconds !== null ? ` ${seg.start_seconds.toFixed(1)}s` : seg.page !== null ? ` p.${seg.page}` : '';
      const text = seg.text.replace(/\s+/g, ' ').trim();
      lines.push(`  ${seg.kind}${where}: ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`);
    }
  }
  return lines.join('\n');
}

export function out(g: Globals, value: unknown, text: () => string): void {
  process.stdout.write(g.json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

export function describe(err: unknown): string {
  if (err instanceof ApiError)
    return `${err.code} (${err.status}): ${String(err.problem.detail ?? err.problem.title ?? '')}`;
  const cause = (err as { cause?: { code?: string } })?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'cannot reach the service (connection refused); check --url';
  return (err as Error)?.message ?? String(err);
}

/** A plain text table. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
