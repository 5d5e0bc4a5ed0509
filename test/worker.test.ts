/** The worker end to end: real queue, real ffprobe/sharp/pdf.js, real downloads from a local server. */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { sql } from 'kysely';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { fixtures, hasFfmpeg } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';
import { startMediaServer, type MediaServer } from './helpers/media-server.ts';
import { enqueueProcessAnalysis } from '../src/persistence/job.repository.ts';

let t: TestApp;
let server: MediaServer;

before(async () => {
  server = await startMediaServer();
  t = await createTestApp({
    DOWNLOAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
    JOB_MAX_ATTEMPTS: '3',
    DOWNLOAD_TIMEOUT_MS: '3000',
  });
  await t.startWorker({ concurrency: 2 });
});
after(async () => {
  await t.close();
  await server.close();
});

async function upload(file: string, fields: Record<string, string> = {}) {
  const mp = multipart(
    { prompt: 'What is in this file?', ...fields },
    { name: file.split('/').pop()!, data: await fs.readFile(file) },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
  assert.equal(res.statusCode, 202, res.body);
  return res.json().analysis_id as string;
}

async function byUrl(path: string, extra: Record<string, unknown> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: auth(t.tenantA.key),
    payload: { prompt: 'Analyse', media_url: server.url(path), ...extra },
  });
  assert.equal(res.statusCode, 202, res.body);
  return res.json().analysis_id as string;
}

async function status(id: string) {
  return (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json();
}

async function finished(id: string, timeoutMs = 20_000) {
  return waitFor(async () => {
    const s = await status(id);
    return ['completed', 'failed', 'cancelled'].includes(s.status) ? s : null;
  }, timeoutMs);
}

async function auditActions(id: string): Promise<string[]> {
  const rows = await t.db.db
    .selectFrom('audit_log')
    .select('action')
    .where('record_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.action);
}

describe('pipeline: intake and probe', { skip: !hasFfmpeg() && 'ffmpeg is not installed' }, () => {
  test('video upload → completed with duration, streams and a summary; audit create/start/complete', async () => {
    const id = await upload(await fixtures.video());
    const s = await finished(id);
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(s.progress, 100);
    assert.equal(s.media_type, 'video');
    const probe = s.results.probe;
    assert.ok(Math.abs(probe.duration_seconds - 2) < 0.2, String(probe.duration_seconds));
    const video = probe.streams.find((x: { type: string }) => x.type === 'video');
    assert.equal(video.codec, 'h264');
    assert.equal(video.width, 160);
    assert.equal(video.height, 120);
    assert.ok(probe.streams.some((x: { type: string; codec: string }) => x.type === 'audio' && x.codec === 'aac'));
    // Without a model the summary is the extracted answer (what was seen, then quotes); the facts stay in results.
    assert.match(s.result_summary, /Extracted, not generated/);
    assert.match(s.results.answer.note, /no model answered the prompt/i);
    assert.equal(s.results.answer.provider, null);
    assert.equal(s.model_used, null);
    assert.equal(s.results.intake.mime, 'video/mp4');
    assert.match(s.results.intake.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      s.results.stages.map((x: { stage: string }) => x.stage),
      [
        'intake',
        'probe',
        'shots',
        'frames',
        'contact_sheet',
        'audio',
        'transcription',
        'understanding',
        'answer',
        'outputs',
      ],
    );
    assert.ok(s.latency_ms >= 0);
    assert.ok(s.started_at && s.completed_at);
    assert.deepEqual(await auditActions(id), ['create', 'start', 'complete']);
    const worker = await t.db.db
      .selectFrom('audit_log')
      .select('performed_by')
      .where('record_id', '=', id)
      .where('action', '=', 'complete')
      .executeTakeFirstOrThrow();
    assert.equal(worker.performed_by, 'system:worker');
    const jobLines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.analysis_id === id);
    assert.ok(jobLines.length >= 3, 'the job logs its stages');
    for (const l of jobLines) {
      assert.equal(l.correlation_id, s.correlation_id);
      assert.ok(l.job_id);
    }
  });

  test('audio, image, PDF and text are detected from their bytes and probed', async () => {
    const ids = {
      audio: await upload(await fixtures.audio()),
      image: await upload(await fixtures.image()),
      pdf: await upload(await fixtures.pdf()),
      text: await upload(await fixtures.text()),
    };
    const audio = await finished(ids.audio);
    assert.equal(audio.status, 'completed', audio.error_message);
    assert.equal(audio.media_type, 'audio');
    assert.ok(Math.abs(audio.results.probe.duration_seconds - 1) < 0.1);
    const image = await finished(ids.image);
    assert.equal(image.media_type, 'image');
    assert.equal(image.results.probe.width, 64);
    assert.equal(image.results.probe.height, 48);
    const pdf = await finished(ids.pdf);
    assert.equal(pdf.status, 'completed', pdf.error_message);
    assert.equal(pdf.media_type, 'document');
    assert.equal(pdf.results.probe.pages, 3);
    assert.equal(pdf.results.probe.title, 'Fixture Document');
    assert.match(pdf.result_summary, /\[page 1\] "Page one text"/);
    const text = await finished(ids.text);
    assert.equal(text.results.intake.mime, 'text/plain');
    assert.equal(text.results.probe.lines, 3);
  });

  test('download by URL through the guard, stored under uploads/ with a media_files row', async () => {
    server.routes.set('/clip.mp4', {
      kind: 'body',
      data: await fs.readFile(await fixtures.video()),
      type: 'text/plain',
    });
    const id = await byUrl('/clip.mp4');
    const s = await finished(id);
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(s.results.intake.kind, 'url');
    assert.equal(s.media_type, 'video', 'type comes from the bytes, not the Content-Type');
    const files = await t.db.db
      .selectFrom('media_files')
      .selectAll()
      .where('analysis_id', '=', id)
      .where('area', '=', 'uploads')
      .execute();
    assert.equal(files.length, 1);
    assert.equal(files[0]!.mime_type, 'video/mp4');
  });

  test('permanent failures end in failed with a specific code', async () => {
    server.routes.set('/empty', { kind: 'body', data: Buffer.alloc(0) });
    server.routes.set('/missing', { kind: 'status', status: 404 });
    // Unrecognised bytes: an upload is refused at submit (nothing stored); by URL, at intake.
    const garbage = await fs.readFile(await fixtures.garbage());
    const refused = multipart({ prompt: 'p' }, { name: 'garbage.mp4', data: garbage });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...refused.headers },
      payload: refused.payload,
    });
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().code, 'UNSUPPORTED_MEDIA');
    server.routes.set('/garbage.mp4', { kind: 'body', data: garbage });
    const cases: Array<[string, string]> = [
      [await upload(await fixtures.fakeVideo(), { media_type: 'video' }), 'MEDIA_TYPE_MISMATCH'],
      [await byUrl('/garbage.mp4'), 'UNSUPPORTED_MEDIA'],
      [await upload(await fixtures.truncatedVideo()), 'MEDIA_CORRUPT'],
      [await byUrl('/empty'), 'MEDIA_EMPTY'],
      [await byUrl('/missing'), 'MEDIA_DOWNLOAD_REFUSED'],
    ];
    for (const [id, code] of cases) {
      const s = await finished(id);
      assert.equal(s.status, 'failed', `${code}: ${s.status}`);
      assert.equal(s.error_code, code, s.error_message);
      assert.ok(s.error_message);
      assert.deepEqual(await auditActions(id), ['create', 'start', 'fail']);
    }
    assert.equal(server.hits.get('/missing'), 1, '404 is not retried');
    // The user's input, not a service fault: logged at info, without a stack.
    const lines = t.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const [id, code] of cases) {
      const failed = lines.filter((l) => l.analysis_id === id && String(l.msg).startsWith('analysis failed'));
      assert.equal(failed.length, 1, `${code}: ${JSON.stringify(failed)}`);
      assert.equal(failed[0]!.level, 'info', `${code} is logged at info`);
      assert.doesNotMatch(JSON.stringify(failed[0]), /"stack"/, `${code} has no stack`);
    }
  });
});

describe('retries, cancellation, redelivery', () => {
  test('transient failures (503) are retried with back-off, then succeed', async () => {
    const data = await fs.readFile(await fixtures.image());
    server.routes.set('/flaky.png', {
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
        { kind: 'body', data },
      ],
    });
    const id = await byUrl('/flaky.png');
    const s = await finished(id);
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(server.hits.get('/flaky.png'), 3);
    assert.deepEqual(await auditActions(id), ['create', 'start', 'requeue', 'start', 'requeue', 'start', 'complete']);
  });

  test('transient failures that never clear end in failed after the attempts run out', async () => {
    server.routes.set('/down', { kind: 'status', status: 503 });
    const id = await byUrl('/down');
    const s = await finished(id);
    assert.equal(s.status, 'failed');
    assert.equal(s.error_code, 'MEDIA_DOWNLOAD_FAILED');
    assert.equal(server.hits.get('/down'), 3);
  });

  test('cancel during a long download stops it promptly (the analysis_changed notification)', async () => {
    // A 20-second drip, cut at DOWNLOAD_TIMEOUT_MS (3 s) otherwise: only the notification (not
    // the 30-second fallback poll, nor the next stage boundary) stops it within the bound below.
    // (Without the watch, the stop comes at the 3-second download deadline.)
    server.routes.set('/slow', { kind: 'drip', data: Buffer.alloc(400_000, 7), chunk: 1000, everyMs: 50 });
    const id = await byUrl('/slow');
    await waitFor(async () => (await status(id)).status === 'processing' && server.hits.get('/slow'));
    const cancelledAt = Date.now();
    const res = await t.app.inject({ method: 'POST', url: `/api/media/${id}/cancel`, headers: auth(t.tenantA.key) });
    assert.equal(res.statusCode, 200);
    await waitFor(async () => server.aborted.has('/slow'), 10_000);
    const stoppedAfterMs = Date.now() - cancelledAt;
    assert.ok(stoppedAfterMs < 1_500, `download stopped ${stoppedAfterMs} ms after the cancel`);
    // The job has ended (its graphile-worker row is gone) rather than a fixed pause.
    await waitFor(async () => {
      const r = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = ${'analysis:' + id}`.execute(t.db.db);
      return r.rows[0]!.n === 0;
    }, 10_000);
    const s = await status(id);
    assert.equal(s.status, 'cancelled');
    assert.deepEqual(await auditActions(id), ['create', 'start', 'cancel']);
    const leftovers = (await fs.readdir(t.storageRoot, { recursive: true })).filter(
      (f) => f.includes(id) && f.includes('partial'),
    );
    assert.deepEqual(leftovers, []);
  });

  test('a redelivered job for a finished analysis is a no-op', async () => {
    const id = await upload(await fixtures.image());
    const s = await finished(id);
    assert.equal(s.status, 'completed');
    const before = await auditActions(id);
    await enqueueProcessAnalysis(t.db.db, { analysisId: id, correlationId: 'again' }, { maxAttempts: 1 });
    await waitFor(async () => {
      const r = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = ${'analysis:' + id}`.execute(t.db.db);
      return r.rows[0]!.n === 0;
    });
    assert.deepEqual(await auditActions(id), before);
    assert.equal((await status(id)).status, 'completed');
  });

  test('a failure inside the create transaction leaves no row, no audit row and no job', async () => {
    const count = async () => {
      const r = await sql<{ a: number; j: number; l: number }>`
        SELECT (SELECT count(*) FROM media_analysis_requests)::int AS a,
               (SELECT count(*) FROM graphile_worker.jobs)::int AS j,
               (SELECT count(*) FROM audit_log)::int AS l`.execute(t.db.db);
      return r.rows[0]!;
    };
    const before = await count();
    const input = {
      tenantId: 'tenant-a',
      prompt: 'x',
      sourceUrl: 'https://example.com/a',
      upload: null,
      mediaType: 'unknown' as const,
      config: {},
      options: {},
      metadata: {},
      correlationId: 'tx-test',
    };
    // The audit insert runs after the job and the row; a NULL actor violates its NOT NULL.
    await assert.rejects(
      t.analyses.create(input, { id: null as unknown as string, ip: null, correlationId: 'tx-test' }),
      /performed_by/,
    );
    assert.deepEqual(await count(), before);
    await assert.rejects(t.analyses.create(input, { id: 'test', ip: 'not-an-ip-address', correlationId: 'tx-test' }));
    assert.deepEqual(await count(), before);
  });

  test('readiness reports the worker heartbeat', async () => {
    const ready = (await t.app.inject({ url: '/health/ready' })).json();
    assert.equal(ready.checks.worker.status, 'up');
  });
});
