/**
 * Media benchmark: contact-sheet time for generated 1-, 10- and 60-minute 1080p videos
 * (our keyframe-seeking extraction + sharp composition) beside a naive single ffmpeg
 * pass (`select` every Nth frame + `tile` over the whole file), and PDF text
 * extraction (pdf.js, ours) beside poppler's `pdftotext` on a 200-page document.
 *
 * Videos are 1920x1080 at 5 fps with a keyframe every 10 s (kept at 5 fps so that
 * generating an hour of 1080p takes minutes; the naive pass decodes 5x fewer frames
 * than at 25 fps, so its time here is a lower bound). Cached under data/bench-media.
 * Usage: npm run bench:media  → bench/results/media.json, bench/results/media.md
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { evenlySpacedTimes, naiveContactSheetArgs, runFfmpeg } from '../src/media/ffmpeg.ts';
import { extractFrame } from '../src/media/frames.ts';
import { composeContactSheet } from '../src/media/contact-sheet.ts';
import { pdfText } from '../src/media/document-text.ts';
import { makePdf } from '../test/helpers/fixtures.ts';

const DIR = path.resolve('data/bench-media');
const RESULTS = path.resolve('bench/results');
const MINUTES = (process.env.BENCH_MEDIA_MINUTES ?? '1,10,60').split(',').map(Number);
const FPS = 5;
const GRID = { rows: 2, cols: 3 };

function log(m: string) {
  process.stdout.write(`[bench:media] ${m}\n`);
}

async function video(minutes: number): Promise<string> {
  const file = path.join(DIR, `video-${minutes}min-1080p.mp4`);
  if (
    await fs.stat(file).then(
      () => true,
      () => false,
    )
  )
    return file;
  log(`generating ${minutes}-minute 1080p video…`);
  const t0 = performance.now();
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1920x1080:rate=${FPS}:duration=${minutes * 60}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=330:duration=${minutes * 60}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '32',
    '-g',
    String(FPS * 10),
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '48k',
    '-shortest',
    `${file}.tmp.mp4`,
  ]);
  await fs.rename(`${file}.tmp.mp4`, file);
  log(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

async function oursContactSheet(file: string, durationSeconds: number, work: string): Promise<number> {
  const t0 = performance.now();
  const times = evenlySpacedTimes(durationSeconds, GRID.rows * GRID.cols);
  const outs = times.map((_, i) => path.join(work, `f${i}.jpg`));
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < times.length) {
        const i = next++;
        await extractFrame('ffmpeg', file, times[i]!, outs[i]!, 640, { timeoutMs: 120_000 });
      }
    }),
  );
  const sheet = await composeContactSheet(
    await Promise.all(outs.map(async (o, i) => ({ image: await fs.readFile(o), seconds: times[i]! }))),
    { ...GRID, width: 1920, height: 1080 },
  );
  await fs.writeFile(path.join(work, 'sheet.jpg'), sheet);
  return performance.now() - t0;
}

async function naiveContactSheet(file: string, durationSeconds: number, work: string): Promise<number> {
  const t0 = performance.now();
  const totalFrames = Math.round(durationSeconds * FPS);
  const every = Math.max(1, Math.floor(totalFrames / (GRID.rows * GRID.cols)));
  await runFfmpeg(
    'ffmpeg',
    naiveContactSheetArgs(file, path.join(work, 'naive.jpg'), every, GRID.cols, GRID.rows, 640),
    { timeoutMs: 3_600_000 },
  );
  return performance.now() - t0;
}

async function main() {
  await fs.mkdir(DIR, { recursive: true });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-bench-media-'));
  const sheets: Array<{ minutes: number; ours_ms: number; naive_ms: number; speedup: number }> = [];
  for (const minutes of MINUTES) {
    const file = await video(minutes);
    const duration = minutes * 60;
    await oursContactSheet(file, duration, work); // warm-up (page cache, sharp)
    const runs = [
      await oursContactSheet(file, duration, work),
      await oursContactSheet(file, duration, work),
      await oursContactSheet(file, duration, work),
    ];
    const ours = runs.sort((a, b) => a - b)[1]!;
    const naive = await naiveContactSheet(file, duration, work);
    sheets.push({
      minutes,
      ours_ms: Math.round(ours),
      naive_ms: Math.round(naive),
      speedup: Math.round((naive / ours) * 10) / 10,
    });
    log(
      `${minutes} min: ours ${Math.round(ours)} ms (median of 3), naive ${Math.round(naive)} ms, ${(naive / ours).toFixed(1)}x`,
    );
  }

  const pdfFile = path.join(DIR, 'document-200-pages.pdf');
  const paragraph = 'Media analysis extracts text from documents with page boundaries kept intact';
  await fs.writeFile(
    pdfFile,
    makePdf(
      Array.from({ length: 200 }, (_, i) => `Page ${i + 1}: ${paragraph}`),
      'Benchmark Document',
    ),
  );
  await pdfText(pdfFile, { maxPages: 1000 });
  const oursPdf: number[] = [];
  const popplerPdf: number[] = [];
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    const doc = await pdfText(pdfFile, { maxPages: 1000 });
    oursPdf.push(performance.now() - t0);
    if (doc.pages !== 200) throw new Error('expected 200 pages');
    t0 = performance.now();
    execFileSync('pdftotext', [pdfFile, path.join(work, 'out.txt')]);
    popplerPdf.push(performance.now() - t0);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  const pdf = { pages: 200, ours_ms: Math.round(median(oursPdf)), pdftotext_ms: Math.round(median(popplerPdf)) };
  log(`PDF 200 pages: ours ${pdf.ours_ms} ms, pdftotext ${pdf.pdftotext_ms} ms`);

  const first = sheets.find((s) => s.minutes === Math.min(...MINUTES))!;
  const last = sheets.find((s) => s.minutes === Math.max(...MINUTES))!;
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    video: {
      resolution: '1920x1080',
      fps: FPS,
      keyframe_interval_s: 10,
      grid: `${GRID.rows}x${GRID.cols}`,
      sheet: '1920x1080',
    },
    contact_sheets: sheets,
    pdf,
    targets: {
      sheet_60min_under_3s: { measured_ms: last.ours_ms, pass: last.minutes === 60 && last.ours_ms < 3000 },
      sheet_60min_20x_faster_than_naive: { measured: last.speedup, pass: last.speedup >= 20 },
      growth_1_to_60min_at_most_2x: {
        measured: Math.round((last.ours_ms / first.ours_ms) * 100) / 100,
        pass: last.ours_ms / first.ours_ms <= 2,
      },
      pdf_within_3x_of_pdftotext: {
        measured: Math.round((pdf.ours_ms / pdf.pdftotext_ms) * 100) / 100,
        pass: pdf.ours_ms <= 3 * pdf.pdftotext_ms,
      },
    },
  };
  await fs.mkdir(RESULTS, { recursive: true });
  await fs.writeFile(path.join(RESULTS, 'media.json'), JSON.stringify(report, null, 2) + '\n');
  const md = [
    `# Media benchmark — ${report.date}`,
    '',
    `${report.machine.cpus} CPU (${report.machine.model}), Node ${report.machine.node}. Videos 1920x1080, ${FPS} fps, keyframe every 10 s; sheet 2x3 at 1920x1080.`,
    '',
    '| video | ours (ms, median of 3) | naive single pass (ms) | speed-up |',
    '|---|---:|---:|---:|',
    ...sheets.map((s) => `| ${s.minutes} min | ${s.ours_ms} | ${s.naive_ms} | ${s.speedup}x |`),
    '',
    `PDF text, 200 pages: ours (pdf.js) ${pdf.ours_ms} ms, pdftotext ${pdf.pdftotext_ms} ms.`,
    '',
    '| target | measured | pass |',
    '|---|---:|:---:|',
    ...Object.entries(report.targets).map(
      ([k, v]) => `| ${k} | ${'measured_ms' in v ? `${v.measured_ms} ms` : v.measured} | ${v.pass ? 'yes' : 'NO'} |`,
    ),
    '',
  ].join('\n');
  await fs.writeFile(path.join(RESULTS, 'media.md'), md);
  process.stdout.write(md + '\n');
  await fs.rm(work, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
