/**
 * Hostile files end to end: each is uploaded through the API and processed by a real
 * worker in this process (concurrency 1), one at a time. For each: time to a terminal
 * state, peak RSS of the worker process over its baseline, peak RSS of the sandbox child
 * that decoded it, and how many times it was retried; the status and code are checked
 * against what the hostile suite expects. Then malformed requests over a real socket (each
 * must get its problem code, fast, leaving no partial upload), and the sandbox's overhead on
 * normal files.
 * Usage: DATABASE_URL=… npm run bench:hostile → bench/results/hostile.json and hostile.md
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, auth, waitFor } from '../test/helpers/app.ts';
import { multipart } from '../test/helpers/multipart.ts';
import { fixtures, makeDocx } from '../test/helpers/fixtures.ts';
import { hostileCases } from '../test/hostile/hostile-cases.ts';
import { httpEdgeCases, parseAnswer } from '../test/hostile/http-edge-cases.ts';
import { rawRequest } from '../test/helpers/net.ts';
import type { AddressInfo } from 'node:net';
import { docxBomb } from '../test/hostile/hostile-fixtures.ts';
import { auditRepository } from '../src/persistence/audit.repository.ts';
import { observeSandbox, runSandboxed, stopSandboxSpare } from '../src/media/sandbox/sandbox.ts';
import { pdfText, docxText } from '../src/media/document-text.ts';
import { describeMachine, machineFacts } from './helpers/machine.ts';
import { writeBenchResults } from './helpers/provenance.ts';

const OVERHEAD_RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** A malformed request not answered by then counts as no answer. */
const EDGE_WAIT_MS = 10_000;
const MiB = 1024 * 1024;
/** A file not terminal by then is reported stuck and the run goes on. */
const STUCK_AFTER_MS = 180_000;
/** Issue #10's bounds for every hostile file. */
const TARGET = { seconds: 30, rssGrowthMib: 1024, retriesOfPermanentFailures: 0 };

/** Extra files for the benchmark only (too slow or too heavy for CI). */
const benchOnly = [
  {
    name: 'DOCX just inside the bounds (900 k XML nodes) — mammoth under the ceiling',
    filename: 'heavy.docx',
    build: () => docxBomb(300_000),
    expect: { status: 'failed' as const, code: 'MEDIA_TOO_COMPLEX' },
    maxSeconds: 60,
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main() {
  const machine = machineFacts();
  const t = await createTestApp({
    LOG_LEVEL: 'silent',
    MAX_IMAGE_PIXELS: '50000000',
    RATE_LIMIT_MAX: '0',
    // Production heartbeat settings, not the test suite's 200 ms / 1.5 s: on a loaded machine an
    // event-loop pause longer than 1.5 s made the worker's own sweeper release the job it was running.
    WORKER_HEARTBEAT_INTERVAL_MS: '5000',
    WORKER_STALE_AFTER_MS: '30000',
  });
  await t.startWorker({ concurrency: 1 });
  let childPeak = 0;
  observeSandbox((s) => (childPeak = Math.max(childPeak, s.peakRssMb)));
  const rows = [];
  for (const c of [...hostileCases, ...benchOnly]) {
    const data = await c.build();
    childPeak = 0;
    if (global.gc) global.gc();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    const mp = multipart({ prompt: 'What is this?' }, { name: c.filename, data });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: { ...auth(t.tenantA.key), ...mp.headers },
      payload: mp.payload,
    });
    if (c.expect.status === 'refused') {
      // Answered at submit: nothing was stored or queued, so there is nothing to wait for.
      clearInterval(sampler);
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        file: c.name,
        bytes: data.length,
        status: `refused ${res.statusCode}`,
        code: (res.json().code as string | undefined) ?? null,
        expected: `refused ${c.expect.code}`,
        correct: res.statusCode === 422 && res.json().code === c.expect.code,
        check_failed: null,
        seconds: Math.round(seconds * 10) / 10,
        worker_rss_growth_mb: Math.round((peak - base) / MiB),
        sandbox_peak_rss_mb: 0,
        retries: 0,
        within_bounds: seconds <= TARGET.seconds,
      });
      continue;
    }
    const id = res.json().analysis_id as string;
    const statusOf = async () =>
      (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json();
    // A file that never ends is a result (a row marked stuck), not a crash of the benchmark.
    const s = await waitFor(
      async () => {
        const st = await statusOf();
        return ['completed', 'failed'].includes(st.status) ? st : null;
      },
      STUCK_AFTER_MS,
      20,
    ).catch(async () => {
      const st = await statusOf();
      return { ...st, status: `stuck in ${st.status} (${st.current_stage ?? 'no stage'})` };
    });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const audit = await auditRepository.forRecord(t.db.db, 'media_analysis_requests', id);
    const retries = audit.filter((r) => r.action === 'requeue').length;
    let ok = s.status === c.expect.status && (!c.expect.code || s.error_code === c.expect.code);
    let checkFailed: string | null = null;
    try {
      // The suite's own extra check of this file's status (what it must and must not contain).
      if (ok && 'check' in c && c.check) c.check(s);
    } catch (err) {
      ok = false;
      checkFailed = (err as Error).message;
    }
    const growthMib = Math.round((peak - base) / MiB);
    const withinBounds =
      seconds <= TARGET.seconds &&
      growthMib < TARGET.rssGrowthMib &&
      (s.status !== 'failed' || retries === TARGET.retriesOfPermanentFailures);
    rows.push({
      file: c.name,
      bytes: data.length,
      status: s.status,
      code: s.error_code ?? null,
      expected: `${c.expect.status}${c.expect.code ? ` ${c.expect.code}` : ''}`,
      correct: ok,
      check_failed: checkFailed,
      seconds: Math.round(seconds * 10) / 10,
      worker_rss_growth_mb: growthMib,
      sandbox_peak_rss_mb: childPeak,
      retries,
      within_bounds: withinBounds,
      bench_only: benchOnly.some((b) => b.name === c.name),
    });
    process.stdout.write(
      `${ok ? 'ok ' : 'BAD'} ${c.name}: ${s.status} ${s.error_code ?? ''} ${seconds.toFixed(1)} s` +
        `${withinBounds ? '' : ' (OUT OF BOUNDS)'}${checkFailed ? ` check: ${checkFailed}` : ''}\n`,
    );
  }

  // Malformed requests over a real socket: each answered with its problem, fast, nothing left behind.
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  const edge = [];
  for (const c of httpEdgeCases) {
    const t0 = performance.now();
    const got = parseAnswer(await rawRequest(port, c.request(t.tenantA.key), EDGE_WAIT_MS));
    const ms = Math.round(performance.now() - t0);
    const correct = got.status === c.expect.status && got.code === c.expect.code;
    edge.push({
      request: c.name,
      expected: `${c.expect.status} ${c.expect.code}`,
      got: `${got.status ?? 'no answer'} ${got.code ?? ''}`.trim(),
      correct,
      ms,
    });
    process.stdout.write(`${correct ? 'ok ' : 'BAD'} ${c.name}: ${got.status} ${got.code} in ${ms} ms\n`);
  }
  const leftovers = (await fs.readdir(t.storageRoot, { recursive: true })).filter((f) => f.includes('.partial-'));
  const healthy = (await fetch(`http://127.0.0.1:${port}/health`)).ok;

  // Overhead: the same decode in this process and in the sandbox (cold child, warm spare).
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-bench-hostile-'));
  const docx = path.join(dir, 'doc.docx');
  await fs.writeFile(docx, makeDocx(['Quarterly Report', 'The quarter went well for the team.']));
  const pdf = await fixtures.pdf();
  const text = new URL('../src/media/document-text.ts', import.meta.url);
  const overhead = [];
  for (const [label, fn, args, direct] of [
    ['PDF text (3 pages)', 'pdfText', [pdf, { maxPages: 100, ocr: false }], () => pdfText(pdf, { maxPages: 100 })],
    ['DOCX text', 'docxText', [docx], () => docxText(docx)],
  ] as const) {
    const inProcess: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    let same = true;
    const expected = (await direct()).text;
    for (let i = 0; i < OVERHEAD_RUNS; i++) {
      let t0 = performance.now();
      await direct();
      inProcess.push(performance.now() - t0);
      stopSandboxSpare();
      t0 = performance.now();
      const c = await runSandboxed<{ text: string }>(
        { module: text, fn, args },
        { memoryMb: 768, timeoutMs: 60_000, warm: false },
      );
      cold.push(performance.now() - t0);
      // Prime a spare, give it time to boot (as between two analyses), then time the call.
      await runSandboxed({ module: text, fn, args }, { memoryMb: 768, timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 1_500));
      t0 = performance.now();
      const w = await runSandboxed<{ text: string }>({ module: text, fn, args }, { memoryMb: 768, timeoutMs: 60_000 });
      warm.push(performance.now() - t0);
      same &&= c.text === expected && w.text === expected;
    }
    overhead.push({
      decode: label,
      in_process_ms: Math.round(median(inProcess)),
      sandbox_cold_ms: Math.round(median(cold)),
      sandbox_warm_ms: Math.round(median(warm)),
      same_text: same,
    });
  }
  stopSandboxSpare();
  await fs.rm(dir, { recursive: true, force: true });
  await t.close();

  const suite = rows.filter((r) => !r.bench_only);
  const report = {
    machine: machine.finish(),
    target: TARGET,
    hostile: rows,
    summary: {
      files: suite.length,
      correct: suite.filter((r) => r.correct).length,
      within_bounds: suite.filter((r) => r.within_bounds).length,
      slowest_seconds: Math.max(...suite.map((r) => r.seconds)),
      largest_worker_rss_growth_mb: Math.max(...suite.map((r) => r.worker_rss_growth_mb)),
      largest_sandbox_rss_mb: Math.max(...suite.map((r) => r.sandbox_peak_rss_mb)),
      retries_of_failed: suite.filter((r) => r.status === 'failed').reduce((n, r) => n + r.retries, 0),
    },
    sandbox_overhead: { runs: OVERHEAD_RUNS, rows: overhead },
    http_edge: { rows: edge, partial_files_left: leftovers.length, healthy_after: healthy },
  };
  await fs.mkdir('bench/results', { recursive: true });
  const md = [
    '# Hostile files',
    '',
    describeMachine(report.machine),
    '',
    'Produced by `npm run bench:hostile`.',
    '',
    'Each file is uploaded through the API and processed by a real worker (in the benchmark process, concurrency 1).',
    '"Worker RSS" is the growth of that process over its baseline while the file was processed; "sandbox RSS" is',
    'the peak resident memory of the child process that decoded it (pdf.js, mammoth and OCR run there). Target: every',
    'file terminal within 30 s, worker RSS under 1 GB over baseline, 0 retries for permanent failures.',
    '',
    `**${report.summary.correct}/${report.summary.files}** suite files ended as expected; ` +
      `**${report.summary.within_bounds}/${report.summary.files}** within every bound (slowest ${report.summary.slowest_seconds} s, ` +
      `largest worker growth ${report.summary.largest_worker_rss_growth_mb} MiB, largest sandbox ${report.summary.largest_sandbox_rss_mb} MiB, ` +
      `${report.summary.retries_of_failed} retries of failed files). The last row is a benchmark-only file, outside the suite.`,
    '',
    '| file | bytes | result | expected | correct | seconds | worker RSS +MiB | sandbox RSS MiB | retries | within bounds |',
    '|---|---:|---|---|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.file} | ${r.bytes} | ${r.status}${r.code ? ` ${r.code}` : ''} | ${r.expected} | ${r.correct ? 'yes' : `**no**${r.check_failed ? ` (${r.check_failed})` : ''}`} | ${r.seconds} | ${r.worker_rss_growth_mb} | ${r.sandbox_peak_rss_mb || '–'} | ${r.retries} | ${r.within_bounds ? 'yes' : '**no**'} |`,
    ),
    '',
    '## Malformed requests at the HTTP edge',
    '',
    `Sent as raw bytes over a real socket, one at a time. ${edge.filter((e) => e.correct).length}/${edge.length} answered with the`,
    `expected problem; slowest ${Math.max(...edge.map((e) => e.ms))} ms; partial upload files left behind: ${leftovers.length};`,
    `the service answered /health afterwards: ${healthy ? 'yes' : '**no**'}.`,
    '',
    '| request | expected | answered | correct | ms |',
    '|---|---|---|---|---:|',
    ...edge.map((e) => `| ${e.request} | ${e.expected} | ${e.got} | ${e.correct ? 'yes' : '**no**'} | ${e.ms} |`),
    '',
    '## Sandbox overhead',
    '',
    `Median of ${OVERHEAD_RUNS} runs of the same decode: in this process, in a fresh child (cold), and in the spare child`,
    'started ahead (warm, the normal case between analyses). "same text" checks the sandboxed output equals the direct one.',
    '',
    '| decode | in process ms | sandbox cold ms | sandbox warm ms | same text |',
    '|---|---:|---:|---:|---|',
    ...overhead.map(
      (o) =>
        `| ${o.decode} | ${o.in_process_ms} | ${o.sandbox_cold_ms} | ${o.sandbox_warm_ms} | ${o.same_text ? 'yes' : '**no**'} |`,
    ),
    '',
  ].join('\n');
  writeBenchResults('hostile', report, md);
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
