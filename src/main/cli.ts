#!/usr/bin/env node
/**
 * `media-analysis` — the one command line: serve (start/api/worker), migrations and keys.
 */
// First: `.env` must be in process.env before any configuration is read.
import './env-file.ts';
import type { Command } from 'commander';
import { buildUserCli, runCli } from '../cli/user-cli.ts';
import type { Kysely } from 'kysely';
import { ConfigError } from '../config/config-parse.ts';
import { loadConfig } from '../config/config.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { migrateToLatest, migrationStatus, rollback } from '../persistence/migrator.ts';
import { apiKeyRepository } from '../persistence/api-key.repository.ts';
import { runCleanup, verifyStorage } from '../storage/retention.ts';
import { backup } from '../persistence/backup.ts';
import { describeRestore, restoreAndCheckObjects } from './restore.ts';
import { DEFAULT_ROLES, applyRoles, roleStatements, sessionRole } from '../persistence/roles.ts';
import path from 'node:path';
import closeWithGrace from 'close-with-grace';
import { beginShutdown } from '../observability/shutdown.ts';

const USAGE = `usage: media-analysis <command>

  start                       API and an in-process worker (WORKER_IN_PROCESS=false: API only)
  api                         API only
  worker                      worker only (scale by running more)
  db migrate                  apply pending migrations
  db rollback [--steps N]     undo the last N migrations (default 1)
  db status                   list migrations and when they ran
  db roles [--apply] [--app NAME] [--migrator NAME]
                              print (or apply, as an admin) the least-privilege role grants
  keys create --tenant T [--name N] [--admin]
  keys list
  keys revoke <id|prefix>
  backup [--out DIR]          pg_dump (custom format) + manifest with row counts and checksums
  restore <manifest.json>     restore into an EMPTY database, verify counts and checksums, and
                              check every object live media files reference is in the store
  storage cleanup             delete expired and orphaned files now (also runs on CLEANUP_CRON)
  storage verify              files without rows and rows without files (exit 1 if any)

For users of a running service (MEDIA_ANALYSIS_URL, MEDIA_ANALYSIS_API_KEY; each has --help):
  analyze <file|glob|url>… --prompt "…" [--wait] [--json] [--option k=v]
  get <id> | list | search "…" | watch <id> | cancel <id> | retry <id> | delete <id>
  transcript <id> --format srt|vtt|txt|json
  webhooks add <url> | list | deliveries [endpoint] | redeliver <delivery> | test <endpoint>
`;

async function serve(withApi: boolean, withWorker: boolean): Promise<void> {
  const rt = await createRuntime({ models: withWorker });
  const { config, logger } = rt;
  // Signal handlers go in first, so a SIGTERM during start-up still drains what started.
  installShutdown(rt);
  if (config.auth.mode === 'disabled')
    logger.warn('AUTH_MODE=disabled: every request is served as tenant "default" without an API key');
  const boot = await rt.keys.ensureBootstrapKey(config.dataDir);
  if (boot) {
    process.stdout.write(
      `\nCreated the first admin API key (shown once; also written to ${boot.file}, mode 0600):\n\n  ${boot.key}\n\n`,
    );
  }
  if (withWorker) await rt.startWorker();
  if (withApi) {
    const app = await rt.createApi();
    await app.listen({ host: config.http.host, port: config.http.port });
  }
}

/** The signals that drain and stop the service (as before: Ctrl-C and `kill`/Kubernetes). */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function installShutdown(rt: Runtime): void {
  // graphile-worker can leave a rejected promise behind when PostgreSQL disappears in
  // the middle of its batch job updates. A long-running service should log that and
  // keep going (the database coming back is the normal case), not exit.
  process.on('unhandledRejection', (err: unknown) => {
    rt.logger.error({ err }, 'unhandled promise rejection; the process keeps running');
  });
  // close-with-grace: the first SIGTERM/SIGINT drains (requests, jobs) and exits 0, or
  // 1 if closing failed; a second one exits 1 at once. No time limit: a drain waits for
  // running jobs, and the orchestrator's own grace period bounds it.
  closeWithGrace(
    {
      delay: false,
      logger: false,
      skip: closeWithGraceEvents.filter((event) => !(SHUTDOWN_SIGNALS as readonly string[]).includes(event)),
      onSecondSignal: (signal) => rt.logger.warn({ signal }, 'second signal; exiting now'),
    },
    async ({ signal }) => {
      beginShutdown();
      rt.logger.info({ signal }, 'shutting down: finishing in-flight requests and jobs');
      try {
        await rt.close();
      } catch (err) {
        rt.logger.error({ err }, 'shutdown failed');
        throw err;
      }
    },
  );
}

/** Every event close-with-grace listens to by default; all but our signals are skipped. */
const closeWithGraceEvents: closeWithGrace.AllEvents[] = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGSEGV',
  'SIGUSR2',
  'SIGTERM',
  'uncaughtException',
  'unhandledRejection',
  'beforeExit',
];

async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>, migrate = true): Promise<T> {
  const rt = await createRuntime({
    migrate,
    logger: undefined,
    config: loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }),
  });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

async function db(sub: 'migrate' | 'rollback' | 'status' | 'roles', values: DbFlags = {}): Promise<void> {
  await withRuntime(async (rt) => {
    const k = rt.database.db as unknown as Kysely<unknown>;
    if (sub === 'migrate') {
      const lines = await migrateToLatest(k, rt.database.pool);
      console.log(lines.length ? lines.join('\n') : 'already up to date');
    } else if (sub === 'rollback') {
      const steps = Number(values.steps ?? '1');
      if (!Number.isInteger(steps) || steps < 1) throw new Error('--steps must be a positive integer');
      const lines = await rollback(k, steps);
      console.log(lines.length ? lines.join('\n') : 'nothing to roll back');
    } else if (sub === 'roles') {
      const roles = { app: values.app ?? DEFAULT_ROLES.app, migrator: values.migrator ?? DEFAULT_ROLES.migrator };
      const { database } = await sessionRole(k);
      if (values.apply) {
        await applyRoles(k, database, roles);
        console.log(`roles ${roles.migrator} (schema owner) and ${roles.app} (service) applied to ${database}`);
      } else {
        console.log(roleStatements(database, roles).join(';\n') + ';');
      }
    } else {
      for (const m of await migrationStatus(k))
        console.log(
          `${m.executedAt ? 'applied ' + m.executedAt.toISOString() : 'pending                          '}  ${m.name}`,
        );
    }
  }, false);
}

interface DbFlags {
  steps?: string;
  apply?: boolean;
  app?: string;
  migrator?: string;
}

async function createKey(values: { tenant: string; name?: string; admin?: boolean }): Promise<void> {
  await withRuntime(async (rt) => {
    const { key, row } = await rt.keys.create(
      values.tenant,
      values.name ?? `${values.tenant} key`,
      values.admin === true,
    );
    console.log(`created key ${row.id} (prefix ${row.key_prefix}) for tenant ${row.tenant_id}\n${key}`);
  });
}

async function listKeys(): Promise<void> {
  await withRuntime(async (rt) => {
    for (const k of await apiKeyRepository.list(rt.database.db)) {
      console.log(
        `${k.id}  ${k.key_prefix}  tenant=${k.tenant_id}  name=${JSON.stringify(k.name)}${k.is_admin ? '  admin' : ''}  ${k.revoked_at ? 'revoked ' + k.revoked_at.toISOString() : 'active'}`,
      );
    }
  });
}

async function revokeKey(target: string): Promise<void> {
  await withRuntime(async (rt) => {
    const n = await apiKeyRepository.revoke(rt.database.db, target);
    console.log(n ? `revoked ${n} key(s)` : 'no active key matched');
    if (!n) process.exitCode = 1;
  });
}

async function storageCommand(sub: 'cleanup' | 'verify'): Promise<void> {
  await withRuntime(async (rt) => {
    if (sub === 'cleanup') {
      const r = await runCleanup(rt.database.db, rt.storage, rt.logger, {
        orphanGraceMs: rt.config.storage.orphanGraceMs,
      });
      console.log(JSON.stringify(r));
    } else {
      const r = await verifyStorage(rt.database.db, rt.storage);
      console.log(
        `${r.files} files, ${r.rows} live rows; ${r.filesWithoutRows.length} files without rows, ${r.rowsWithoutFiles.length} rows without files`,
      );
      for (const f of r.filesWithoutRows) console.log(`file without row: ${f}`);
      for (const f of r.rowsWithoutFiles) console.log(`row without file: ${f}`);
      if (r.filesWithoutRows.length + r.rowsWithoutFiles.length > 0) process.exitCode = 1;
    }
  });
}

async function backupCommand(values: { out?: string }): Promise<void> {
  await withRuntime(async (rt) => {
    const out = values.out ?? path.join(rt.config.dataDir, 'backups');
    const m = await backup(rt.database.db, rt.databaseUrl, out);
    console.log(`backup written: ${path.join(out, m.dump_file)} (${m.dump_bytes} bytes)`);
    for (const [t, f] of Object.entries(m.tables)) console.log(`  ${t}: ${f.rows} rows`);
  });
}

async function restoreCommand(manifest: string): Promise<void> {
  await withRuntime(async (rt) => {
    const r = await restoreAndCheckObjects(rt.database.db, rt.databaseUrl, manifest, rt.storage);
    for (const line of describeRestore(r, rt.storage.driver)) console.log(line);
    if (!r.ok) process.exitCode = 1;
  }, false);
}

/**
 * The one command line: the user commands (src/cli/user-cli.ts) and the operator commands
 * below, parsed by one commander program. Its top-level help is USAGE.
 */
function buildCli(): Command {
  const program = buildUserCli();
  program.helpInformation = () => USAGE;
  program
    .command('start')
    .description('API and an in-process worker')
    .action(() => serve(true, loadConfig().worker.inProcess));
  program
    .command('api')
    .description('API only')
    .action(() => serve(true, false));
  program
    .command('worker')
    .description('worker only')
    .action(() => serve(false, true));

  const dbCommand = program.command('db').description('migrations and database roles');
  dbCommand
    .command('migrate')
    .description('apply pending migrations')
    .action(() => db('migrate'));
  dbCommand
    .command('rollback')
    .description('undo the last N migrations')
    .option('--steps <n>', 'migrations to undo', '1')
    .action((values: DbFlags) => db('rollback', values));
  dbCommand
    .command('status')
    .description('list migrations and when they ran')
    .action(() => db('status'));
  dbCommand
    .command('roles')
    .description('print (or apply, as an admin) the least-privilege role grants')
    .option('--apply', 'apply them')
    .option('--app <name>', 'the service role', DEFAULT_ROLES.app)
    .option('--migrator <name>', 'the schema owner role', DEFAULT_ROLES.migrator)
    .action((values: DbFlags) => db('roles', values));

  const keysCommand = program.command('keys').description('API keys');
  keysCommand
    .command('create')
    .requiredOption('--tenant <tenant>', 'the tenant the key acts for')
    .option('--name <name>', 'a label')
    .option('--admin', 'may manage keys')
    .action((values: { tenant: string; name?: string; admin?: boolean }) => createKey(values));
  keysCommand.command('list').action(() => listKeys());
  keysCommand
    .command('revoke')
    .argument('<target>', 'key id or prefix')
    .action((target: string) => revokeKey(target));

  program
    .command('backup')
    .option('--out <dir>', 'where the dump and manifest go')
    .action((values: { out?: string }) => backupCommand(values));
  program
    .command('restore')
    .argument('<manifest>', 'the backup manifest (*.manifest.json)')
    .action((manifest: string) => restoreCommand(manifest));

  const storage = program.command('storage').description('stored files');
  storage.command('cleanup').action(() => storageCommand('cleanup'));
  storage.command('verify').action(() => storageCommand('verify'));
  return program;
}

export async function main(argv: string[]): Promise<void> {
  if (argv.length === 0) {
    process.stdout.write(USAGE);
    return;
  }
  process.exitCode = await runCli(buildCli(), argv);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
