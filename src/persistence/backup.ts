/**
 * Backup and restore. `backup` writes `pg_dump --format=custom` plus a manifest with
 * per-table row counts and content checksums; `restore` loads a dump into an EMPTY
 * database with pg_restore and then recomputes the counts and checksums and compares
 * them with the manifest. The connection goes to pg_dump/pg_restore through PG*
 * environment variables, so the password never appears on a command line.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './database.ts';
import { runProcess } from '../platform/process-runner.ts';

/** Tables whose rows the manifest counts and checksums. */
export const BACKUP_TABLES = [
  'media_analysis_requests',
  'media_analysis_results',
  'media_files',
  'contact_sheets',
  'audit_log',
  'api_keys',
  'idempotency_keys',
  'analysis_counts',
  'schema_migrations',
] as const;

export interface TableFacts {
  rows: number;
  /** md5 over the table's rows as text, in a stable order. */
  checksum: string;
}

export interface Manifest {
  format: 'media-analysis-backup/1';
  created_at: string;
  dump_file: string;
  dump_sha256: string;
  dump_bytes: number;
  server_version: string;
  tables: Record<string, TableFacts>;
}

/** PG* variables for the client tools, from a connection URL. */
export function pgEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGDATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')),
    PGUSER: decodeURIComponent(u.username || 'postgres'),
  };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

export async function tableFacts(db: Db): Promise<Record<string, TableFacts>> {
  const out: Record<string, TableFacts> = {};
  for (const table of BACKUP_TABLES) {
    const r = await sql<{ rows: number; checksum: string | null }>`
      SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS checksum
      FROM ${sql.table(table)} AS t`.execute(db);
    out[table] = { rows: r.rows[0]!.rows, checksum: r.rows[0]!.checksum ?? '' };
  }
  return out;
}

/** Backup files are readable by their owner only. */
export const BACKUP_FILE_MODE = 0o600;

export async function backup(db: Db, url: string, outDir: string, opts: { pgDump?: string } = {}): Promise<Manifest> {
  await fs.mkdir(outDir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dumpFile = `media-analysis-${stamp}.dump`;
  const dumpPath = path.join(outDir, dumpFile);
  // Counts first, then the dump: rows written in between appear only in the dump, and
  // restore reports any difference rather than hiding it.
  const tables = await tableFacts(db);
  // A dump holds every tenant's data and key hashes: owner-only. pg_dump truncates an
  // existing file and keeps its mode, so create it 0600 before pg_dump opens it.
  await fs.writeFile(dumpPath, '', { mode: BACKUP_FILE_MODE });
  await runProcess(opts.pgDump ?? 'pg_dump', ['--format=custom', '--no-owner', '--no-privileges', '--file', dumpPath], {
    timeoutMs: 6 * 3_600_000,
    env: pgEnv(url),
  });
  const data = await fs.readFile(dumpPath);
  const version = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(db);
  const manifest: Manifest = {
    format: 'media-analysis-backup/1',
    created_at: new Date().toISOString(),
    dump_file: dumpFile,
    dump_sha256: crypto.createHash('sha256').update(data).digest('hex'),
    dump_bytes: data.length,
    server_version: version.rows[0]!.v,
    tables,
  };
  await fs.writeFile(path.join(outDir, `${dumpFile}.manifest.json`), JSON.stringify(manifest, null, 2) + '\n', {
    mode: BACKUP_FILE_MODE,
  });
  return manifest;
}

export interface RestoreReport {
  ok: boolean;
  mismatches: Array<{ table: string; expected: TableFacts; actual: TableFacts }>;
}

export async function restore(
  db: Db,
  url: string,
  manifestPath: string,
  opts: { pgRestore?: string } = {},
): Promise<RestoreReport> {
  const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as Manifest;
  if (manifest.format !== 'media-analysis-backup/1')
    throw new Error(`${manifestPath} is not a media-analysis backup manifest`);
  const dumpPath = path.join(path.dirname(manifestPath), manifest.dump_file);
  const data = await fs.readFile(dumpPath);
  if (crypto.createHash('sha256').update(data).digest('hex') !== manifest.dump_sha256)
    throw new Error(`${dumpPath} does not match its manifest checksum`);
  const existing = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema IN ('public', 'graphile_worker')`.execute(
    db,
  );
  if (existing.rows[0]!.n > 0)
    throw new Error('restore needs an empty database (no tables in public or graphile_worker)');
  await runProcess(
    opts.pgRestore ?? 'pg_restore',
    ['--no-owner', '--no-privileges', '--exit-on-error', '--dbname', pgEnv(url).PGDATABASE!, dumpPath],
    { timeoutMs: 6 * 3_600_000, env: pgEnv(url) },
  );
  const actual = await tableFacts(db);
  const mismatches = Object.entries(manifest.tables)
    .filter(([t, f]) => actual[t]?.rows !== f.rows || actual[t]?.checksum !== f.checksum)
    .map(([table, expected]) => ({ table, expected, actual: actual[table] ?? { rows: -1, checksum: '' } }));
  return { ok: mismatches.length === 0, mismatches };
}
