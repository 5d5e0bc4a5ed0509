/** The `media-analysis webhooks …` commands: endpoints, the delivery log, redelivery and test pings. */
import type { Command } from 'commander';
import type { MediaAnalysis } from '../../sdk/src/index.ts';
import { EXIT, out, table, type Globals } from './cli-helpers.ts';

/** Add the `webhooks` command group to `program`. */
export function addWebhookCommands(program: Command, client: () => MediaAnalysis, g: () => Globals): void {
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
}
