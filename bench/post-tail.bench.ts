/**
 * Where POST analyze's latency tail comes from, in numbers: the statement that creates
 * analyses (row + queue job via graphile-worker's add_jobs + audit row, one statement,
 * analysis-insert.ts) timed on one warm connection, with the commit's WAL flush on
 * (synchronous_commit = on, the default) and off (this session only), for one analysis
 * and for a group-committed batch of 16; beside it a plain one-row INSERT under the same
 * two settings (the cost of the flush alone). Rounds are interleaved so a busy minute of
 * the shared machine touches every variant alike.
 *
 * Usage: node bench/post-tail.bench.ts   (DATABASE_URL optional)
 * Results: bench/results/post-tail.json and .md.
 */
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { writeBenchResults } from './helpers/provenance.ts';
import { freshBenchDatabase, log, round } from './helpers/http-load.ts';
import { createDatabase } from '../src/persistence/database.ts';
import { loadConfig } from '../src/config/config.ts';
import { insertAnalysesWithJobs, type NewAnalysis } from '../src/persistence/analysis-insert.ts';
import type { Database } from '../src/persistence/schema.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 60);

const item = (): NewAnalysis => ({
  id: crypto.randomUUID(),
  correlationId: crypto.randomUUID(),
  prompt: `Tail ${crypto.randomUUID()}`,
  promptHash: crypto.randomBytes(32).toString('hex'),
  sourceUrl: 'https://media.example.com/new.mp4',
  originalFilename: null,
  mediaType: 'video',
  config: {},
  options: { extract_frames: true },
  metadata: {},
  tenantId: 'tenant-0',
  createdAt: null,
  actor: { id: 'bench', ip: '127.0.0.1', correlationId: null },
});

function latency(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => round(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0, 2);
  return { p50_ms: at(0.5), p90_ms: at(0.9), p99_ms: at(0.99), max_ms: round(s[s.length - 1] ?? 0, 2), n: s.length };
}

type Variant = { name: string; sync: boolean; run: (db: Kysely<Database>) => Promise<unknown> };

async function main(): Promise<void> {
  const database = await freshBenchDatabase('ma_post_tail', { dataDir: 'data/post-tail-pg', port: 54_381 });
  const handle = createDatabase(database.url, { ...loadConfig({}).database, poolMax: 2 });
  const variants: Variant[] = [];
  for (const sync of [true, false]) {
    variants.push({
      name: `plain one-row INSERT, synchronous_commit ${sync ? 'on' : 'off'}`,
      sync,
      run: (db) => sql`INSERT INTO bench_plain VALUES (${crypto.randomUUID()}, ${'x'.repeat(200)})`.execute(db),
    });
    for (const batch of [1, 16])
      variants.push({
        name: `create ${batch} analys${batch === 1 ? 'is' : 'es'} (row + job + audit), synchronous_commit ${sync ? 'on' : 'off'}`,
        sync,
        run: (db) => insertAnalysesWithJobs(db, Array.from({ length: batch }, item), 5),
      });
  }
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  let rows = 0;
  try {
    await sql`CREATE TABLE bench_plain (id uuid PRIMARY KEY, t text)`.execute(handle.db);
    await handle.db.connection().execute(async (db) => {
      // Warm the connection: its first add_jobs compiles graphile-worker's plpgsql (tens of ms, once per backend).
      for (const v of variants) await v.run(db);
      for (let r = 0; r < ROUNDS; r++)
        for (const v of variants) {
          await sql.raw(`SET synchronous_commit = ${v.sync ? 'on' : 'off'}`).execute(db);
          for (let i = 0; i < PER_ROUND; i++) {
            const t = performance.now();
            await v.run(db);
            samples.get(v.name)!.push(performance.now() - t);
          }
        }
      rows = Number(
        (await sql<{ n: string }>`SELECT count(*) AS n FROM media_analysis_requests`.execute(db)).rows[0]!.n,
      );
    });
    const fsync = (await sql<{ v: string }>`SELECT current_setting('wal_sync_method') AS v`.execute(handle.db)).rows[0]!
      .v;
    const results = variants.map((v) => ({ variant: v.name, ...latency(samples.get(v.name)!) }));
    for (const r of results) log(`${r.variant}: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`);
    const created = variants
      .filter((v) => v.name.startsWith('create'))
      .reduce((n, v) => n + (v.name.includes(' 16 ') ? 16 : 1) * (ROUNDS * PER_ROUND + 1), 0);
    const report = {
      settings: { rounds: ROUNDS, per_round: PER_ROUND, wal_sync_method: fsync, database: database.source },
      results,
      check: { analyses_expected: created, analyses_in_table: rows, pass: created === rows },
    };
    const md = [
      '# POST analyze: where the latency goes',
      '',
      `The create statement of POST analyze timed alone on one warm connection, ${ROUNDS} interleaved rounds × ${PER_ROUND} per variant; ` +
        `WAL flushed with ${fsync} (${database.source} PostgreSQL). Check: ${rows} analyses in the table, ${created} expected — ${report.check.pass ? 'all there' : 'MISMATCH'}.`,
      '',
      '| variant | p50 ms | p90 ms | p99 ms | max ms | n |',
      '|---|---:|---:|---:|---:|---:|',
      ...results.map((r) => `| ${r.variant} | ${r.p50_ms} | ${r.p90_ms} | ${r.p99_ms} | ${r.max_ms} | ${r.n} |`),
      '',
    ].join('\n');
    writeBenchResults('post-tail', report, md);
    process.stdout.write(md + '\n');
  } finally {
    await handle.close();
    await database.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
