/**
 * The user-facing commands of `media-analysis` (the operator commands — start, api,
 * worker, db, keys, … — stay in src/main/cli.ts). They talk to a running service over
 * HTTP through the SDK.
 *
 * Server and key: --url / --api-key, else MEDIA_ANALYSIS_URL / MEDIA_ANALYSIS_API_KEY, else
 * the config file (MEDIA_ANALYSIS_CONFIG or ~/.config/media-analysis/config.json with
 * {"url": "...", "api_key": "..."}). The key is never printed.
 * Exit codes: 0 every analysis completed, 1 something failed, 2 usage errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { MediaAnalysis, ApiError, type AnalysisStatus } from '../../sdk/src/index.ts';

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Globals {
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
  if (s.result_summary) lines.push('', 'Summary:', `  ${s.result_summary}`);
  if (answer?.text && answer.text !== s.result_summary) lines.push('', 'Answer:', `  ${answer.text}`);
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
    lines.push('', 'Transcript:', `  ${t}`);
  }
  return lines.join('\n');
}

function out(g: Globals, value: unknown, text: () => string): void {
  process.stdout.write(g.json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

export function buildUserCli(): Command {
  const program = new Command('media-analysis')
    .description('Analyse media with a media-analysis service: submit, follow, fetch results, manage webhooks')
    .addOption(new Option('--url <url>', 'service URL (or MEDIA_ANALYSIS_URL)'))
    .addOption(new Option('--api-key <key>', 'API key (or MEDIA_ANALYSIS_API_KEY); never printed'))
    .option('--json', 'machine-readable JSON output')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const client = (): MediaAnalysis => {
    const c = resolveConnection(program.opts<Globals>());
    return new MediaAnalysis({ baseUrl: c.url, apiKey: c.apiKey });
  };
  const g = () => program.opts<Globals>();

  program
    .command('analyze')
    .description('Submit files, globs or URLs with a prompt; --wait follows them to the end')
    .argument('<inputs...>', 'files, globs ("clips/*.mp4") or http(s) URLs')
    .requiredOption('-p, --prompt <text>', 'what to ask about the media')
    .option('-w, --wait', 'follow each analysis live until it finishes')
    .option('-o, --option <key=value>', 'an analysis option (repeatable)', (v, acc: string[]) => [...acc, v], [])
    .option('-c, --concurrency <n>', 'files submitted and followed at once', '3')
    .option('--webhook-url <url>', "called back when each analysis ends (signed with the tenant's secret)")
    .action(
      async (
        inputs: string[],
        o: { prompt: string; wait?: boolean; option: string[]; concurrency: string; webhookUrl?: string },
      ) => {
        const ma = client();
        const options = parseOptions(o.option);
        const items = expandInputs(inputs);
        if (items.length === 0) throw new CommanderError(EXIT.usage, 'usage', 'no file matched');
        const limit = Math.max(1, Number(o.concurrency) || 1);
        const interactive = process.stderr.isTTY && !g().json;
        const bars = interactive
          ? new cliProgress.MultiBar(
              { format: ' {bar} {percentage}% | {name} | {state}', hideCursor: true, clearOnComplete: false },
              cliProgress.Presets.shades_classic,
            )
          : null;
        const results = await mapLimit(items, limit, async (input) => {
          const name = path.basename(input);
          const bar = bars?.create(100, 0, { name, state: 'uploading' });
          try {
            const isUrl = /^https?:\/\//i.test(input);
            const accepted = await ma.analyze({
              ...(isUrl ? { url: input } : { file: input }),
              prompt: o.prompt,
              ...(Object.keys(options).length ? { options } : {}),
              ...(o.webhookUrl ? { webhookUrl: o.webhookUrl } : {}),
              onUploadProgress: (sent, total) => bar?.update(Math.round((sent / total) * 100), { state: 'uploading' }),
            });
            if (!o.wait) {
              bar?.update(100, { state: `submitted ${accepted.analysis_id}` });
              return { input, id: accepted.analysis_id, status: accepted.status as string, final: null };
            }
            bar?.update(0, { state: 'pending' });
            if (!interactive && !g().json) process.stderr.write(`${name}: ${accepted.analysis_id} submitted\n`);
            const final = await ma.wait(accepted.analysis_id, {
              onProgress: (e) => {
                const stage = typeof e.data.stage === 'string' ? ` ${e.data.stage}` : '';
                bar?.update(e.progress, { state: `${e.status}${stage}` });
              },
            });
            bar?.update(final.progress, { state: final.status });
            return { input, id: accepted.analysis_id, status: final.status as string, final };
          } catch (err) {
            bar?.update(0, { state: 'error' });
            return { input, id: null, status: 'error', final: null, error: describe(err) };
          }
        });
        bars?.stop();
        if (g().json) {
          out(g(), results.length === 1 ? (results[0]!.final ?? results[0]) : results, () => '');
        } else if (results.length === 1) {
          const r = results[0]!;
          process.stdout.write(
            r.final
              ? `${renderResult(r.final)}\n`
              : `${r.id ?? '-'}  ${r.status}${'error' in r ? `  ${r.error}` : ''}\n`,
          );
        } else {
          const rows = results.map((r) => [r.input, r.id ?? '-', r.status, 'error' in r ? String(r.error) : '']);
          process.stdout.write(table(['input', 'analysis', 'status', 'note'], rows));
        }
        const ok = results.every((r) => (o.wait ? r.status === 'completed' : r.status !== 'error'));
        process.exitCode = ok ? EXIT.ok : EXIT.failed;
      },
    );

  program
    .command('get')
    .description('Status and results of an analysis')
    .argument('<id>')
    .action(async (id: string) => {
      const s = await client().get(id);
      out(g(), s, () => renderResult(s));
      if (['failed', 'cancelled'].includes(s.status)) process.exitCode = EXIT.failed;
    });

  program
    .command('list')
    .description('Your analyses, newest first')
    .option('--status <status>', 'only this status')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (o: { status?: string; limit: string }) => {
      const rows: Array<Record<string, unknown>> = [];
      const limit = Number(o.limit) || 20;
      const query = { per_page: Math.min(limit, 100), ...(o.status ? { status: o.status as 'completed' } : {}) };
      for await (const item of client().list(query)) {
        rows.push(item as Record<string, unknown>);
        if (rows.length >= limit) break;
      }
      out(g(), rows, () =>
        table(
          ['analysis', 'status', 'type', 'created'],
          rows.map((r) => [String(r.analysis_id), String(r.status), String(r.media_type), String(r.created_at)]),
        ),
      );
    });

  program
    .command('search')
    .description('Search the library (needs a service with /api/media/search)')
    .argument('<query>')
    .action(async (q: string) => {
      const r = await client().search(q);
      out(g(), r, () => JSON.stringify(r, null, 2));
    });

  program
    .command('watch')
    .description('Follow an analysis live until it finishes')
    .argument('<id>')
    .action(async (id: string) => {
      const final = await client().wait(id, {
        onProgress: (e) => {
          if (g().json) process.stdout.write(`${JSON.stringify({ event: e.event, ...e.data })}\n`);
          else process.stderr.write(`${e.event.padEnd(9)} ${e.status} ${e.progress}%\n`);
        },
      });
      if (!g().json) process.stdout.write(`${renderResult(final)}\n`);
      process.exitCode = final.status === 'completed' ? EXIT.ok : EXIT.failed;
    });

  for (const [name, description] of [
    ['cancel', 'Cancel a pending or processing analysis'],
    ['retry', 'Retry a failed or cancelled analysis'],
    ['delete', 'Delete an analysis'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<id>')
      .action(async (id: string) => {
        const ma = client();
        if (name === 'delete') {
          await ma.delete(id);
          out(g(), { analysis_id: id, status: 'deleted' }, () => `${id}  deleted`);
          return;
        }
        const s = name === 'cancel' ? await ma.cancel(id) : await ma.retry(id);
        out(g(), s, () => `${s.analysis_id}  ${s.status}`);
      });
  }

  program
    .command('transcript')
    .description('The transcript as SRT, WebVTT, plain text or JSON')
    .argument('<id>')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['srt', 'vtt', 'txt', 'json']).default('srt'),
    )
    .action(async (id: string, o: { format: 'srt' | 'vtt' | 'txt' | 'json' }) => {
      process.stdout.write(await client().transcript(id, o.format));
    });

  const webhooks = program.command('webhooks').description('Webhook endpoints and their delivery log');
  webhooks
    .command('add')
    .description('Register an endpoint; prints its signing secret once')
    .argument('<url>')
    .option('-e, --events <list>', 'comma-separated event types (default: completed, failed, cancelled, deleted)')
    .option('-d, --description <text>')
    .action(async (url: string, o: { events?: string; description?: string }) => {
      const e = await client().webhooks.create({
        url,
        ...(o.events ? { events: o.events.split(',').map((s) => s.trim()) as never } : {}),
        ...(o.description ? { description: o.description } : {}),
      });
      out(g(), e, () => `${e.id}  ${e.url}\nevents: ${e.events.join(', ')}\nsecret (shown once): ${e.secret}`);
    });
  webhooks
    .command('list')
    .description('Your endpoints')
    .action(async () => {
      const list = await client().webhooks.list();
      out(g(), list, () =>
        table(
          ['endpoint', 'url', 'enabled', 'events', 'note'],
          list.map((e) => [
            e.id,
            e.url,
            e.enabled ? 'yes' : 'no',
            e.events.join(','),
            e.disabled_reason ?? (e.failing_since ? `failing since ${e.failing_since}` : ''),
          ]),
        ),
      );
    });
  webhooks
    .command('deliveries')
    .description("The delivery log: an endpoint's, or the tenant's (--analysis for one analysis)")
    .argument('[endpointId]')
    .option('--analysis <id>', "one analysis's deliveries")
    .option('--limit <n>', 'at most this many', '20')
    .action(async (endpointId: string | undefined, o: { analysis?: string; limit: string }) => {
      const page = await client().webhooks.deliveries({
        ...(endpointId ? { endpointId } : {}),
        ...(o.analysis ? { analysisId: o.analysis } : {}),
        limit: Number(o.limit) || 20,
      });
      out(g(), page, () =>
        table(
          ['delivery', 'event', 'state', 'attempts', 'last', 'error'],
          page.data.map((d) => [
            d.id,
            d.event_type,
            d.state,
            String(d.attempts),
            d.last_status === null ? '-' : String(d.last_status),
            d.last_error ?? '',
          ]),
        ),
      );
    });
  webhooks
    .command('redeliver')
    .description('Send a delivery again (same webhook-id)')
    .argument('<deliveryId>')
    .action(async (id: string) => {
      const d = await client().webhooks.redeliver(id);
      out(g(), d, () => `${d.id}  ${d.state}`);
    });
  webhooks
    .command('test')
    .description('Send a signed test ping to an endpoint now')
    .argument('<endpointId>')
    .action(async (id: string) => {
      const d = await client().webhooks.test(id);
      const a = d.attempt_log.at(-1);
      out(
        g(),
        d,
        () => `${d.state}  ${a?.status_code ?? '-'}  ${a?.latency_ms ?? '-'} ms${a?.error ? `  ${a.error}` : ''}`,
      );
      if (d.state !== 'delivered') process.exitCode = EXIT.failed;
    });

  return program;
}

function describe(err: unknown): string {
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

/** Run a user command; returns the exit code. */
export async function runUserCli(argv: string[]): Promise<number> {
  const program = buildUserCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      if (err.code === 'usage') process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${describe(err)}\n`);
    return EXIT.failed;
  }
}
