/** Back up, drop, restore into an empty database, and compare row counts and checksums. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { ApiKeyService } from '../src/domain/tenant/api-key.service.ts';
import { backup, restore, tableFacts, pgEnv } from '../src/persistence/backup.ts';
import { repositories } from '../src/persistence/repositories.ts';

const run = promisify(execFile);
const hasPgDump = spawnSync('pg_dump', ['--version']).status === 0;
let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-backup-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function seed(db: TestDatabase): Promise<void> {
  const service = new AnalysisService(db.db, repositories, { maxJobAttempts: 3, idempotencyTtlHours: 24 });
  for (let i = 0; i < 25; i++) {
    const a = await service.create(
      {
        tenantId: `t${i % 3}`,
        prompt: `prompt ${i}`,
        sourceUrl: `https://example.com/${i}.mp4`,
        upload: null,
        mediaType: 'video',
        config: { model: 'm' },
        options: {},
        metadata: { i },
        correlationId: `c${i}`,
      },
      { id: 'k', ip: '10.0.0.1', correlationId: `c${i}` },
    );
    if (i % 5 === 0) await service.cancel(a.id, a.tenantId, { id: 'k', ip: null, correlationId: null });
  }
  await new ApiKeyService(db.db, repositories).create('t0', 'backup test');
}

test('pgEnv passes the connection without putting the password on a command line', () => {
  const env = pgEnv('postgres://u%40x:p%3Ass@db.example:6543/app?sslmode=require');
  assert.deepEqual(
    [env.PGHOST, env.PGPORT, env.PGUSER, env.PGPASSWORD, env.PGDATABASE, env.PGSSLMODE],
    ['db.example', '6543', 'u@x', 'p:ss', 'app', 'require'],
  );
});

test(
  'backup → drop → restore into an empty database: counts and checksums match',
  { skip: !hasPgDump && 'pg_dump is not installed' },
  async () => {
    const source = await createTestDatabase();
    await seed(source);
    const before = await tableFacts(source.db);
    assert.equal(before.media_analysis_requests!.rows, 25);
    const manifest = await backup(source.db, source.url, dir);
    assert.equal(manifest.tables.audit_log!.rows, 30);
    assert.ok(manifest.dump_bytes > 0);
    for (const file of [manifest.dump_file, `${manifest.dump_file}.manifest.json`]) {
      const { mode } = await fs.stat(path.join(dir, file));
      assert.equal((mode & 0o777).toString(8), '600', `${file} is owner-only`);
    }
    await source.drop();

    const target = await createTestDatabase({ migrated: false });
    try {
      const manifestPath = path.join(dir, `${manifest.dump_file}.manifest.json`);
      const report = await restore(target.db, target.url, manifestPath);
      assert.deepEqual(report, { ok: true, mismatches: [] });
      assert.deepEqual(await tableFacts(target.db), before);
      const jobs = await target.pool.query('SELECT count(*)::int AS n FROM graphile_worker.jobs');
      assert.equal(jobs.rows[0].n, 20, 'the queue comes back with the rows');
      await assert.rejects(restore(target.db, target.url, manifestPath), /empty database/);
    } finally {
      await target.drop();
    }
  },
);

test(
  'a damaged dump is refused; the CLI backs up and restores',
  { skip: !hasPgDump && 'pg_dump is not installed' },
  async () => {
    const source = await createTestDatabase();
    await seed(source);
    const env = { ...process.env, DATABASE_URL: source.url, DATA_DIR: dir, LOG_LEVEL: 'silent' };
    const out = path.join(dir, 'cli');
    const b = await run(process.execPath, ['src/main/cli.ts', 'backup', '--out', out], { env });
    assert.match(b.stdout, /backup written: .*\.dump/);
    assert.match(b.stdout, /media_analysis_requests: 25 rows/);
    const manifestFile = (await fs.readdir(out)).find((f) => f.endsWith('.manifest.json'))!;
    const target = await createTestDatabase({ migrated: false });
    try {
      const r = await run(process.execPath, ['src/main/cli.ts', 'restore', path.join(out, manifestFile)], {
        env: { ...env, DATABASE_URL: target.url },
      });
      assert.match(r.stdout, /row counts and checksums match/);
      const dump = path.join(out, manifestFile.replace('.manifest.json', ''));
      await fs.appendFile(dump, 'tampered');
      const empty = await createTestDatabase({ migrated: false });
      await assert.rejects(
        restore(empty.db, empty.url, path.join(out, manifestFile)),
        /does not match its manifest checksum/,
      );
      await empty.drop();
    } finally {
      await target.drop();
      await source.drop();
    }
  },
);
