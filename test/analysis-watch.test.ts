/** The worker's analysis watch on a real PostgreSQL: LISTEN analysis_changed, one callback per watched id. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createTestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/app.ts';
import { changedAnalysisId, startAnalysisWatch } from '../src/queue/analysis-watch.ts';
import { createLogger } from '../src/observability/logger.ts';

const db = await createTestDatabase();
after(() => db.drop());

test('the payload names the analysis; an insert batch names none', () => {
  assert.equal(
    changedAnalysisId('tenant-a 3f1c0000-0000-4000-8000-000000000001'),
    '3f1c0000-0000-4000-8000-000000000001',
  );
  assert.equal(changedAnalysisId('insert tenant-a,tenant-b'), null);
  assert.equal(changedAnalysisId(undefined), null);
  assert.equal(changedAnalysisId('nospace'), null);
});

test('a notification for a watched analysis calls its watchers only, until unwatched', async () => {
  const watch = await startAnalysisWatch({ connectionString: db.url, log: createLogger('silent') });
  try {
    const calls: string[] = [];
    const stopA = watch.watch('a', () => calls.push('a1'));
    watch.watch('a', () => calls.push('a2'));
    watch.watch('b', () => calls.push('b'));
    await sql`SELECT pg_notify('analysis_changed', 'tenant-x a')`.execute(db.db);
    await waitFor(async () => calls.length >= 2, 5_000);
    assert.deepEqual(calls.sort(), ['a1', 'a2']);
    stopA();
    await sql`SELECT pg_notify('analysis_changed', 'tenant-x a')`.execute(db.db);
    await sql`SELECT pg_notify('analysis_changed', 'tenant-x b')`.execute(db.db);
    await waitFor(async () => calls.includes('b'), 5_000);
    assert.deepEqual(calls.sort(), ['a1', 'a2', 'a2', 'b']);
  } finally {
    await watch.stop();
  }
});

test('a dropped LISTEN connection reconnects and re-checks every watched analysis', async () => {
  const watch = await startAnalysisWatch({ connectionString: db.url, log: createLogger('silent') });
  try {
    let calls = 0;
    watch.watch('c', () => calls++);
    // Kill the watch's own connection, as a network drop or a server restart would.
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'media-analysis worker watch' AND datname = current_database()`.execute(db.db);
    await waitFor(async () => calls > 0, 10_000);
  } finally {
    await watch.stop();
  }
});
