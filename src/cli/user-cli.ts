/**
 * The user-facing commands of `media-analysis` (src/main/cli.ts adds the operator commands
 * — start, api, worker, db, keys, … — to the same commander program, the binary's one
 * argument parser). They talk to a running service over HTTP through the SDK.
 *
 * Server and key: --url / --api-key, else MEDIA_ANALYSIS_URL / MEDIA_ANALYSIS_API_KEY, else
 * the config file (MEDIA_ANALYSIS_CONFIG or ~/.config/media-analysis/config.json with
 * {"url": "...", "api_key": "..."}). The key is never printed.
 * Exit codes: 0 every analysis completed, 1 something failed, 2 usage errors.
 */
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { MediaAnalysis } from '../../sdk/src/index.ts';
import {
  EXIT,
  describe,
  expandInputs,
  mapLimit,
  out,
  parseOptions,
  renderResult,
  renderSearch,
  resolveConnection,
  table,
  type Globals,
} from './cli-helpers.ts';
import { addWebhookCommands } from './webhook-commands.ts';
import { addPeopleCommands } from './people-commands.ts';

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
    .description('Search the library: the analyses that match, best first, with their best segments')
    .argument('<query>')
    .option('--type <media_type>', 'only this media type (video, audio, image, document)')
    .option('--status <status>', 'only this status')
    .option('--limit <n>', 'at most this many analyses', '10')
    .action(async (q: string, o: { type?: string; status?: string; limit: string }) => {
      const r = await client().search(q, {
        limit: Math.min(Math.max(Number(o.limit) || 10, 1), 50),
        ...(o.type ? { media_type: o.type as 'video' } : {}),
        ...(o.status ? { status: o.status as 'completed' } : {}),
      });
      out(g(), r, () => renderSearch(r));
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

  addWebhookCommands(program, client, g);
  addPeopleCommands(program, client, g);

  return program;
}

/** Parse `argv` with `program` and run its command; returns the exit code. */
export async function runCli(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code)) return EXIT.ok;
      if (err.code === 'usage') process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${describe(err)}\n`);
    return EXIT.failed;
  }
}
