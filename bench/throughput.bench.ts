/**
 * Analysis throughput (issue #26 §3): a standard mix of real media — a photograph, a
 * 1-minute video with speech, a 10-page scanned PDF and a 5-minute audio recording —
 * uploaded over HTTP to the real service (`media-analysis api` and `media-analysis worker`
 * as child processes on a fresh PostgreSQL database, the default local stages, no model
 * provider), at worker concurrency 1 and 2.
 *
 * The material is what the tests and the quality evaluation already use, built by their
 * own builders: the photograph is the vision labels' astronaut (python3-skimage); the
 * video is the stage-graph bench's photographs cycled with LibriVox sentences as its
 * sound (bench/helpers/media-files.ts, pocketsphinx-testdata); the PDF's pages are the
 * text labels' scanned pages (skimage's page, opencv-doc's two scanned paragraphs) as
 * JPEG scans without a text layer (test/helpers/fixtures.ts); the audio is the speech
 * evaluation's wideband recordings (Asterisk's studio prompts, LibriVox, alsa-utils)
 * joined by its own track builder (bench/quality/speech-track.ts).
 *
 * Measured: the CPU time of the API and worker processes and all their children (ffmpeg,
 * pocketsphinx, the sandbox) plus the PostgreSQL backends serving the bench database,
 * from /proc, so the figure does not depend on what else the machine runs; and wall time.
 * Reported: analyses per core-hour and seconds of processing per minute of media, per
 * kind (concurrency 1: one analysis at a time, each read on its own) and for the mix
 * (concurrency 1: the four in turn; concurrency 2: the four submitted at once).
 *
 * Every analysis is checked in the same run — the photograph's labelled objects and face
 * count, the video's cuts and the words of its known sentences, the PDF's word recall
 * page by page against the labelled text, the audio's word error rate against its
 * reference transcript — and a wrong result fails the bench (exit 1): a throughput
 * figure whose outputs are wrong is no figure.
 *
 * Usage: DATABASE_URL=… npm run bench:throughput   (DATABASE_URL optional: embedded PostgreSQL)
 *        BENCH_QUICK=1 …: a 1-minute audio and a 3-page PDF, to try the bench
 *   → bench/results/throughput.json and throughput.md
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { normaliseWords, wavFile, wordErrorRate } from '../src/media/local-speech.ts';
import { wavData } from '../src/media/voice-activity.ts';
import { makeLocalClip } from '../test/helpers/local-clip.ts';
import { makeScannedPdfPages } from '../test/helpers/fixtures.ts';
import { multipart } from '../test/helpers/multipart.ts';
import { startService, waitHealthy, type ServiceProcess } from '../test/helpers/fleet.ts';
import { exists, librivoxSentences, SHOT_SECONDS, speechPhotoVideo } from './helpers/media-files.ts';
import { freshBenchDatabase, log, round, serverEnv } from './helpers/http-load.ts';
import { backendCpu, backendCpuBetween, processTreeCpuMs } from './helpers/process-cpu.ts';
import { writeBenchResults } from './helpers/provenance.ts';
import { loadLabels } from './quality/speech.eval.ts';
import { buildTracks } from './quality/speech-track.ts';
import { score as textScore } from './quality/text.eval.ts';
import sharp from 'sharp';

const QUICK = process.env.BENCH_QUICK === '1';
const DIR = path.resolve('data/bench-throughput');
const API_PORT = 39_131;
const CONCURRENCIES = [1, 2] as const;
const VIDEO_MINUTES = 1;
const AUDIO_SECONDS = QUICK ? 60 : 300;
const PDF_PAGES = QUICK ? 3 : 10;
/** The photograph: this item of bench/quality/labels/vision.json (its objects and faces are labelled). */
const PHOTO_ID = 'astronaut';
const STATUS_POLL_MS = 1_000;
const ANALYSIS_TIMEOUT_MS = 20 * 60_000;
const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * Correctness bars. Speech: the evaluation measures the pipeline's word error rate on
 * wideband speech at about a third (bench/results/quality.json); the bench fails above
 * MAX_AUDIO_WER, which allows for the longer mixed track. The video's transcript must hold
 * half the distinct words of its sentences (as the stage-graph bench). Scanned pages: the
 * text evaluation's own target for scanned pages.
 */
const MAX_AUDIO_WER = 0.45;
const MIN_VIDEO_WORD_RECALL = 0.5;
const MIN_PDF_WORD_RECALL = 0.95;
const CUT_TOLERANCE_SECONDS = 0.5;

type Kind = 'photograph' | 'video' | 'pdf' | 'audio';
const KINDS: Kind[] = ['photograph', 'video', 'pdf', 'audio'];

interface Item {
  kind: Kind;
  file: string;
  name: string;
  mime: string;
  /** Minutes of media (0 for a photograph or a document). */
  minutes: number;
  /** Pages, for the PDF. */
  pages?: number;
  describe: string;
}

interface Material {
  items: Record<Kind, Item>;
  photoTruth: { objects: string[]; faces: number };
  video: { cuts: number[]; words: Set<string> };
  pdfPages: Array<Parameters<typeof textScore>[0]>;
  audioReference: string;
}

// ---------------------------------------------------------------- material

async function buildMaterial(): Promise<Material> {
  await fs.mkdir(DIR, { recursive: true });
  const vision = JSON.parse(await fs.readFile('bench/quality/labels/vision.json', 'utf8')) as {
    items: Array<{ id: string; file: string; objects: string[]; faces: number }>;
  };
  const photo = vision.items.find((i) => i.id === PHOTO_ID)!;

  const corpus = await librivoxSentences();
  const video = await speechPhotoVideo(VIDEO_MINUTES, DIR, corpus);

  const text = JSON.parse(await fs.readFile('bench/quality/labels/text.json', 'utf8')) as {
    items: Array<Parameters<typeof textScore>[0] & { scanned_page?: boolean }>;
  };
  const scans = text.items.filter((i) => i.scanned_page);
  const pdfPages = Array.from({ length: PDF_PAGES }, (_, i) => scans[i % scans.length]!);
  const pdf = path.join(DIR, `scanned-${PDF_PAGES}-pages.pdf`);
  if (!(await exists(pdf))) {
    const pages = [];
    for (const page of pdfPages) {
      const img = sharp(page.file).flatten({ background: '#fff' });
      const { width, height } = await img.metadata();
      pages.push({ jpeg: await img.jpeg({ quality: 92 }).toBuffer(), width: width!, height: height! });
    }
    await fs.writeFile(pdf, makeScannedPdfPages(pages));
  }

  const audio = path.join(DIR, `speech-${AUDIO_SECONDS}s.wav`);
  const audioRef = `${audio}.reference.txt`;
  if (!(await exists(audio)) || !(await exists(audioRef))) {
    log('joining the wideband speech recordings…');
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'throughput-speech-'));
    try {
      const wide = loadLabels().filter((l) => l.band === 'wide');
      const tracks = await buildTracks(wide, tmp, () => 'wideband');
      const parts: Buffer[] = [];
      const reference: string[] = [];
      let seconds = 0;
      for (const t of tracks) {
        if (seconds >= AUDIO_SECONDS) break;
        parts.push(wavData(await fs.readFile(t.file)).pcm);
        reference.push(...t.utterances.map((u) => u.label.reference));
        seconds += t.seconds;
      }
      if (seconds < AUDIO_SECONDS) throw new Error(`only ${seconds} s of wideband speech`);
      await fs.writeFile(audioRef, reference.join('\n'));
      await fs.writeFile(audio, wavFile(Buffer.concat(parts)));
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }
  const audioBytes = (await fs.stat(audio)).size;
  const audioMinutes = round((audioBytes - 44) / 32_000 / 60, 2);

  return {
    items: {
      photograph: {
        kind: 'photograph',
        file: photo.file,
        name: path.basename(photo.file),
        mime: 'image/png',
        minutes: 0,
        describe: `${path.basename(photo.file)} (python3-skimage), labelled: ${photo.objects.join(', ')}; ${photo.faces} face`,
      },
      video: {
        kind: 'video',
        file: video.file,
        name: 'talk.mp4',
        mime: 'video/mp4',
        minutes: VIDEO_MINUTES,
        describe: `${VIDEO_MINUTES} min 720p H.264 + AAC: real photographs, a cut every ${SHOT_SECONDS} s, LibriVox sentences looped`,
      },
      pdf: {
        kind: 'pdf',
        file: pdf,
        name: 'scan.pdf',
        mime: 'application/pdf',
        minutes: 0,
        pages: PDF_PAGES,
        describe: `${PDF_PAGES} scanned pages (JPEG, no text layer): ${[...new Set(pdfPages.map((p) => path.basename(p.file)))].join(', ')} in turn`,
      },
      audio: {
        kind: 'audio',
        file: audio,
        name: 'speech.wav',
        mime: 'audio/wav',
        minutes: audioMinutes,
        describe: `${audioMinutes} min 16 kHz WAV: the speech evaluation's wideband recordings joined, 1 s between them`,
      },
    },
    photoTruth: { objects: photo.objects, faces: photo.faces },
    video: { cuts: video.cuts, words: new Set(corpus.flatMap((c) => c.words)) },
    pdfPages,
    audioReference: await fs.readFile(audioRef, 'utf8'),
  };
}

// ---------------------------------------------------------------- the service

interface Service {
  api: ServiceProcess;
  worker: ServiceProcess;
  url: string;
  key: string;
  admin: pg.Client;
  database: string;
}

/** CPU so far: API and worker process trees, and the database's backends (per pid). */
async function cpuNow(s: Service): Promise<{ serviceMs: number; db: Map<number, number> }> {
  const serviceMs = (await processTreeCpuMs(s.api.child.pid!)) + (await processTreeCpuMs(s.worker.child.pid!));
  return { serviceMs, db: await backendCpu(s.admin, s.database) };
}

function cpuBetween(
  a: Awaited<ReturnType<typeof cpuNow>>,
  b: Awaited<ReturnType<typeof cpuNow>>,
): { service_ms: number; db_ms: number } {
  return { service_ms: Math.round(b.serviceMs - a.serviceMs), db_ms: Math.round(backendCpuBetween(a.db, b.db)) };
}

async function submit(s: Service, item: Item, note: string): Promise<string> {
  const mp = multipart(
    { prompt: `Describe this ${item.kind} (${note})` },
    { name: item.name, data: await fs.readFile(item.file), type: item.mime },
  );
  const res = await fetch(`${s.url}/api/media/analyze`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.key}`, ...mp.headers },
    body: mp.payload,
  });
  if (res.status !== 202) throw new Error(`submit ${item.kind}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { analysis_id: string }).analysis_id;
}

// The status body is the service's own shape; read loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Status = any;

async function waitDone(s: Service, id: string): Promise<Status> {
  const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
  for (;;) {
    const res = await fetch(`${s.url}/api/media/status/${id}`, { headers: { authorization: `Bearer ${s.key}` } });
    const body = (await res.json()) as Status;
    if (TERMINAL.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`analysis ${id} not done after ${ANALYSIS_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
  }
}

/** The full text of a document analysis: its stored document.txt, downloaded over HTTP. */
async function documentText(s: Service, id: string): Promise<string> {
  const headers = { authorization: `Bearer ${s.key}` };
  const list = (await (await fetch(`${s.url}/api/media/${id}/artifacts`, { headers })).json()) as {
    data: Array<{ name: string; url: string }>;
  };
  const doc = list.data.find((a) => a.name.endsWith('document.txt'));
  if (!doc) return '';
  return (await fetch(new URL(doc.url, s.url), { headers })).text();
}

// ---------------------------------------------------------------- checks

type Checks = Record<string, { measured: string; pass: boolean }>;

async function check(s: Service, m: Material, kind: Kind, st: Status): Promise<Checks> {
  const r = st.results ?? {};
  const out: Checks = {
    completed: { measured: `${st.status}${st.error_code ? ` ${st.error_code}` : ''}`, pass: st.status === 'completed' },
    no_failed_stage: {
      measured: (r.failed_stages ?? []).map((f: { stage: string }) => f.stage).join(', ') || 'none',
      pass: !r.partial,
    },
  };
  const labels: string[] = (r.objects?.labels ?? []).map((l: { label: string }) => l.label);
  if (kind === 'photograph') {
    const missing = m.photoTruth.objects.filter((o) => !labels.includes(o));
    out.labelled_objects_found = {
      measured: `${labels.join(', ') || 'nothing'}${missing.length ? ` (missing ${missing.join(', ')})` : ''}`,
      pass: missing.length === 0,
    };
    out.face_count = {
      measured: `${r.faces?.max_count ?? 'none'} of ${m.photoTruth.faces}`,
      pass: r.faces?.max_count === m.photoTruth.faces,
    };
  } else if (kind === 'video') {
    const starts: number[] = (r.shots?.items ?? []).map((x: { start: number }) => x.start);
    const matched = m.video.cuts.filter((c) =>
      starts.slice(1).some((f) => Math.abs(f - c) <= CUT_TOLERANCE_SECONDS),
    ).length;
    out.shots = {
      measured: `${starts.length} of ${m.video.cuts.length + 1}`,
      pass: starts.length === m.video.cuts.length + 1,
    };
    out.cuts_within_half_second = {
      measured: `${matched}/${m.video.cuts.length}`,
      pass: matched === m.video.cuts.length,
    };
    const heard = new Set(normaliseWords(r.transcript?.text ?? ''));
    const recalled = [...m.video.words].filter((w) => heard.has(w)).length;
    out.transcript_words_of_the_sentences = {
      measured: `${recalled}/${m.video.words.size} distinct words`,
      pass: recalled / m.video.words.size >= MIN_VIDEO_WORD_RECALL,
    };
    out.sees_a_person = { measured: labels.join(', ') || 'nothing', pass: labels.includes('person') };
  } else if (kind === 'pdf') {
    const text = await documentText(s, st.analysis_id ?? st.id);
    const pages = text.split('\f');
    let matched = 0;
    let expected = 0;
    m.pdfPages.forEach((item, i) => {
      const sc = textScore(item, pages[i] ?? '');
      matched += sc.matched;
      expected += sc.expected;
    });
    out.pages_read_by_ocr = {
      measured: `${r.document?.ocr_pages ?? 0}/${m.pdfPages.length}`,
      pass: r.document?.ocr_pages === m.pdfPages.length,
    };
    out.word_recall = {
      measured: `${round(matched / Math.max(1, expected), 3)} (${matched}/${expected} words)`,
      pass: matched / Math.max(1, expected) >= MIN_PDF_WORD_RECALL,
    };
  } else {
    const words: Array<{ word: string }> = r.transcript?.words ?? [];
    const w = wordErrorRate(m.audioReference, words.map((x) => x.word).join(' '));
    out.word_error_rate = {
      measured: `${round(w.wer, 3)} (${w.errors} errors / ${w.words} words)`,
      pass: w.words > 0 && w.wer <= MAX_AUDIO_WER,
    };
  }
  return out;
}

// ---------------------------------------------------------------- runs

interface AnalysisRun {
  kind: Kind;
  concurrency: number;
  /** Pipeline time the service recorded (worker start to completion). */
  latency_ms: number | null;
  /** From the upload's first byte to `completed` seen in status (concurrency 1 only: alone). */
  submit_to_done_ms: number;
  cpu: { service_ms: number; db_ms: number } | null;
  stages: Array<{ name: string; status: string; ms: number | null }>;
  checks: Checks;
  pass: boolean;
}

interface MixRun {
  concurrency: number;
  wall_ms: number;
  cpu: { service_ms: number; db_ms: number };
  analyses: number;
}

/** Service processes running now: stopped if the bench is interrupted, so none is left behind. */
const running = new Set<ServiceProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    for (const p of running) p.child.kill('SIGTERM');
    process.exit(130);
  });

async function startWorkerAndApi(
  base: NodeJS.ProcessEnv,
  concurrency: number,
  key: string,
  admin: pg.Client,
  database: string,
): Promise<Service> {
  const api = startService('api', { ...base, PORT: String(API_PORT) });
  running.add(api);
  await waitHealthy(api, `http://127.0.0.1:${API_PORT}/health`);
  const worker = startService('worker', { ...base, WORKER_CONCURRENCY: String(concurrency), PORT: '0' });
  running.add(worker);
  return { api, worker, url: `http://127.0.0.1:${API_PORT}`, key, admin, database };
}

/**
 * Warm-up, not measured: the local clip of the tests (photographs, a caption, LibriVox
 * speech) and the photograph, so the worker has loaded its models, OCR, speech and text
 * engines before anything is timed.
 */
async function warmUp(s: Service, m: Material): Promise<void> {
  const clip = path.join(DIR, 'warm-up-clip.mp4');
  if (!(await exists(clip))) makeLocalClip(clip);
  const ids = [
    await submit(s, { ...m.items.video, file: clip, name: 'clip.mp4' }, 'warm-up'),
    await submit(s, m.items.photograph, 'warm-up'),
  ];
  for (const id of ids) {
    const st = await waitDone(s, id);
    if (st.status !== 'completed') throw new Error(`warm-up ${id} ended ${st.status}: ${st.error_code}`);
  }
}

function stagesOf(st: Status): AnalysisRun['stages'] {
  return ((st.stages ?? []) as Array<{ name: string; status: string; duration_ms: number | null }>)
    .filter((x) => x.status !== 'skipped')
    .map((x) => ({ name: x.name, status: x.status, ms: x.duration_ms }));
}

async function measureConcurrency(
  s: Service,
  m: Material,
  concurrency: number,
): Promise<{ runs: AnalysisRun[]; mix: MixRun }> {
  const runs: AnalysisRun[] = [];
  if (concurrency === 1) {
    // One at a time: each analysis's CPU is read on its own; the mix is their sum.
    let wall = 0;
    const total = { service_ms: 0, db_ms: 0 };
    for (const kind of KINDS) {
      const before = await cpuNow(s);
      const t0 = performance.now();
      const id = await submit(s, m.items[kind], `concurrency ${concurrency}`);
      const st = await waitDone(s, id);
      const ms = performance.now() - t0;
      const cpu = cpuBetween(before, await cpuNow(s));
      wall += ms;
      total.service_ms += cpu.service_ms;
      total.db_ms += cpu.db_ms;
      const checks = await check(s, m, kind, { ...st, analysis_id: id });
      runs.push(analysisRun(kind, concurrency, st, ms, cpu, checks));
    }
    return { runs, mix: { concurrency, wall_ms: Math.round(wall), cpu: total, analyses: KINDS.length } };
  }
  // All four at once: the CPU and wall time of the mix as a whole.
  const before = await cpuNow(s);
  const t0 = performance.now();
  const ids = await Promise.all(KINDS.map((k) => submit(s, m.items[k], `concurrency ${concurrency}`)));
  const sts = await Promise.all(ids.map((id) => waitDone(s, id)));
  const wall = performance.now() - t0;
  const cpu = cpuBetween(before, await cpuNow(s));
  for (const [i, kind] of KINDS.entries()) {
    const checks = await check(s, m, kind, { ...sts[i], analysis_id: ids[i] });
    runs.push(analysisRun(kind, concurrency, sts[i], null, null, checks));
  }
  return { runs, mix: { concurrency, wall_ms: Math.round(wall), cpu, analyses: KINDS.length } };
}

function analysisRun(
  kind: Kind,
  concurrency: number,
  st: Status,
  ms: number | null,
  cpu: AnalysisRun['cpu'],
  checks: Checks,
): AnalysisRun {
  const pass = Object.values(checks).every((c) => c.pass);
  log(
    `${kind} at concurrency ${concurrency}: ${st.status} in ${st.latency_ms} ms` +
      (cpu ? `, CPU ${cpu.service_ms} ms service + ${cpu.db_ms} ms PostgreSQL` : '') +
      `; checks ${pass ? 'pass' : `FAIL ${JSON.stringify(checks)}`}`,
  );
  return {
    kind,
    concurrency,
    latency_ms: st.latency_ms ?? null,
    submit_to_done_ms: ms === null ? 0 : Math.round(ms),
    cpu,
    stages: stagesOf(st),
    checks,
    pass,
  };
}

// ---------------------------------------------------------------- report

const perCoreHour = (analyses: number, cpuMs: number) => round((analyses * 3_600_000) / Math.max(1, cpuMs), 1);

async function main(): Promise<number> {
  const material = await buildMaterial();
  const mediaMinutes = KINDS.reduce((a, k) => a + material.items[k].minutes, 0);
  for (const k of KINDS) log(`${k}: ${material.items[k].describe}`);
  const database = await freshBenchDatabase('ma_throughput', { dataDir: 'data/throughput-pg', port: 54_352 });
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  const dbName = new URL(database.url).pathname.slice(1);
  const base = {
    ...serverEnv(database.url, 10, 'data/throughput-data'),
    WORKER_IN_PROCESS: 'false',
  };
  await fs.rm(path.resolve('data/throughput-data'), { recursive: true, force: true });
  const all: { runs: AnalysisRun[]; mixes: MixRun[] } = { runs: [], mixes: [] };
  try {
    for (const concurrency of CONCURRENCIES) {
      const s = await startWorkerAndApi(base, concurrency, database.key, admin, dbName);
      try {
        log(`worker concurrency ${concurrency}: warming up…`);
        await warmUp(s, material);
        const r = await measureConcurrency(s, material, concurrency);
        all.runs.push(...r.runs);
        all.mixes.push(r.mix);
        const cpuMs = r.mix.cpu.service_ms + r.mix.cpu.db_ms;
        log(
          `mix at concurrency ${concurrency}: ${r.mix.wall_ms} ms wall, ${cpuMs} ms CPU → ` +
            `${perCoreHour(r.mix.analyses, cpuMs)} analyses per core-hour`,
        );
      } finally {
        await s.worker.stop();
        await s.api.stop();
        running.delete(s.worker);
        running.delete(s.api);
      }
    }
  } finally {
    await admin.end();
    await database.stop();
  }

  const c1 = all.runs.filter((r) => r.concurrency === 1);
  const perKind = KINDS.map((kind) => {
    const r = c1.find((x) => x.kind === kind)!;
    const item = material.items[kind];
    const cpuMs = r.cpu!.service_ms + r.cpu!.db_ms;
    return {
      kind,
      material: item.describe,
      media_minutes: item.minutes,
      pages: item.pages ?? null,
      cpu_s: round(cpuMs / 1000, 1),
      service_cpu_s: round(r.cpu!.service_ms / 1000, 1),
      postgres_cpu_s: round(r.cpu!.db_ms / 1000, 2),
      wall_s: round(r.submit_to_done_ms / 1000, 1),
      pipeline_s: r.latency_ms === null ? null : round(r.latency_ms / 1000, 1),
      analyses_per_core_hour: perCoreHour(1, cpuMs),
      cpu_s_per_media_minute: item.minutes ? round(cpuMs / 1000 / item.minutes, 1) : null,
      wall_s_per_media_minute: item.minutes ? round(r.submit_to_done_ms / 1000 / item.minutes, 1) : null,
      cpu_s_per_page: item.pages ? round(cpuMs / 1000 / item.pages, 1) : null,
    };
  });
  const mix = all.mixes.map((x) => {
    const cpuMs = x.cpu.service_ms + x.cpu.db_ms;
    return {
      concurrency: x.concurrency,
      analyses: x.analyses,
      media_minutes: round(mediaMinutes, 2),
      cpu_s: round(cpuMs / 1000, 1),
      service_cpu_s: round(x.cpu.service_ms / 1000, 1),
      postgres_cpu_s: round(x.cpu.db_ms / 1000, 2),
      wall_s: round(x.wall_ms / 1000, 1),
      analyses_per_core_hour: perCoreHour(x.analyses, cpuMs),
      analyses_per_wall_hour: round((x.analyses * 3_600_000) / x.wall_ms, 1),
      cpu_s_per_media_minute: round(cpuMs / 1000 / mediaMinutes, 1),
      wall_s_per_media_minute: round(x.wall_ms / 1000 / mediaMinutes, 1),
    };
  });
  const allRight = all.runs.every((r) => r.pass);
  const report = {
    settings: {
      quick: QUICK,
      concurrencies: CONCURRENCIES,
      database: database.source,
      worker_cpu_budget: 'default',
      stages: 'default local stages, no provider',
      cpu_counted:
        'API and worker processes and all their children (/proc), plus the PostgreSQL client backends of the bench database',
      bars: {
        max_audio_wer: MAX_AUDIO_WER,
        min_video_word_recall: MIN_VIDEO_WORD_RECALL,
        min_pdf_word_recall: MIN_PDF_WORD_RECALL,
        cut_tolerance_s: CUT_TOLERANCE_SECONDS,
      },
    },
    material: Object.fromEntries(KINDS.map((k) => [k, material.items[k].describe])),
    per_kind: perKind,
    mix,
    runs: all.runs,
    targets: {
      every_analysis_right: {
        measured: `${all.runs.filter((r) => r.pass).length}/${all.runs.length} analyses pass their checks`,
        pass: allRight,
      },
    },
    pass: allRight,
  };
  writeBenchResults('throughput', report, render(report));
  process.stdout.write(render(report) + '\n');
  return allRight ? 0 : 1;
}

function render(r: {
  per_kind: Array<Record<string, unknown>>;
  mix: Array<Record<string, unknown>>;
  runs: AnalysisRun[];
  pass: boolean;
  settings: { cpu_counted: string };
}): string {
  const v = (x: unknown) => (x === null || x === undefined ? '–' : String(x));
  return [
    `# Analysis throughput — ${r.pass ? 'every result right' : 'A RESULT WAS WRONG'}`,
    '',
    `CPU counted: ${r.settings.cpu_counted}. One analysis at a time at worker concurrency 1; the mix at concurrency 2 is the four submitted at once.`,
    '',
    '## Per kind (worker concurrency 1, one analysis at a time)',
    '',
    '| kind | media min | CPU s (service + PostgreSQL) | wall s | analyses per core-hour | CPU s per media minute | wall s per media minute | CPU s per page |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.per_kind.map(
      (k) =>
        `| ${v(k.kind)} | ${v(k.media_minutes)} | ${v(k.cpu_s)} (${v(k.service_cpu_s)} + ${v(k.postgres_cpu_s)}) | ${v(k.wall_s)} | ` +
        `${v(k.analyses_per_core_hour)} | ${v(k.cpu_s_per_media_minute)} | ${v(k.wall_s_per_media_minute)} | ${v(k.cpu_s_per_page)} |`,
    ),
    '',
    '## The mix',
    '',
    '| worker concurrency | analyses | media min | CPU s (service + PostgreSQL) | wall s | analyses per core-hour | analyses per wall hour | CPU s per media minute | wall s per media minute |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.mix.map(
      (x) =>
        `| ${v(x.concurrency)} | ${v(x.analyses)} | ${v(x.media_minutes)} | ${v(x.cpu_s)} (${v(x.service_cpu_s)} + ${v(x.postgres_cpu_s)}) | ${v(x.wall_s)} | ` +
        `${v(x.analyses_per_core_hour)} | ${v(x.analyses_per_wall_hour)} | ${v(x.cpu_s_per_media_minute)} | ${v(x.wall_s_per_media_minute)} |`,
    ),
    '',
    'Media minutes count the video and the audio; the photograph and the PDF have none and are counted in the CPU.',
    '',
    '## Checks of every analysis, in the same run',
    '',
    '| concurrency | kind | check | measured | pass |',
    '|---:|---|---|---|:---:|',
    ...r.runs.flatMap((run) =>
      Object.entries(run.checks).map(
        ([name, c]) =>
          `| ${run.concurrency} | ${run.kind} | ${name.replace(/_/g, ' ')} | ${c.measured} | ${c.pass ? 'yes' : '**NO**'} |`,
      ),
    ),
    '',
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
