/**
 * docs/benchmarks.md's figures, generated from bench/results/*.json (what each benchmark
 * wrote on its last run), so the documentation states no figure a results file does not
 * hold. Each benchmark names the measures worth reading beside their targets; the full
 * run, with every correctness check, stays in its bench/results/<name>.md.
 * Written and checked by scripts/docs.ts.
 */
import fs from 'node:fs';
import path from 'node:path';

const RESULTS = path.resolve(import.meta.dirname, '../bench/results');

/** One measure: what, the value, the target it is held to (if any) and whether it was met. */
type Row = [measure: string, value: string, target?: string, met?: boolean];

// The results files are written by the benchmarks, each in its own shape; read loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Benchmark {
  file: string;
  title: string;
  command: string;
  /** The run's date. */
  date: (j: Json) => string;
  /** Load average (1 min) at the start and, when recorded, the end. */
  load: (j: Json) => string;
  rows: (j: Json) => Row[];
}

/** Date and load of a results file written with its provenance (bench/helpers/provenance.ts). */
const FROM_PROVENANCE: Pick<Benchmark, 'date' | 'load'> = {
  date: (j) => j.provenance.date,
  load: (j) => `${j.provenance.load_average_start[0]} → ${j.provenance.load_average_end[0]}`,
};

const startEnd = (j: Json) => {
  const m = j.machine ?? {};
  const a = m.load_average_start?.[0] ?? m.load_average_at_start?.[0];
  const b = m.load_average_end?.[0];
  return a === undefined ? 'not recorded' : b === undefined ? `${a}` : `${a} → ${b}`;
};
const machineDate = (j: Json) => String(j.machine?.date ?? j.date);
const ms = (v: number) => `${v} ms`;
const s1 = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;

/** A results file's own `targets` object: `{name: {target?, measured, pass}}`. */
function targetRows(targets: Record<string, Json> | undefined): Row[] {
  return Object.entries(targets ?? {}).map(([name, t]) => [
    name.replace(/_/g, ' '),
    String(t.measured ?? t.measured_ms ?? ''),
    t.target === undefined ? 'as named' : String(t.target),
    Boolean(t.pass),
  ]);
}

/** The corpus size and each client level's latency of an end-to-end search run (full or latency only). */
function searchLatencyRows(j: Json): Row[] {
  return [
    [
      `segments (distinct real sentences, each stored at most ${j.settings.copies_at_most ?? 1} times)`,
      `${j.settings.segments} (${j.settings.distinct_sentences_stored ?? j.settings.segments} distinct)`,
    ],
    ...(j.levels as Json[]).map((l): Row => [
      `${l.clients} clients: p50 / p95 / p99, searches/s`,
      `${l.p50_ms} / ${l.p95_ms} / ${l.p99_ms} ms, ${l.searches_per_second}/s`,
    ]),
  ];
}

export const BENCHMARKS: Benchmark[] = [
  {
    file: 'http-load',
    title: 'HTTP load: status, history and submissions at 1,000,000 analyses',
    command: 'npm run bench',
    date: (j) => j.date,
    load: () => 'not recorded',
    rows: (j) => [
      ...Object.entries(j.results as Record<string, Json>).map(([name, r]): Row => [
        `${name.replace(/_/g, ' ')}: req/s, p50 / p99`,
        `${r.rps}, ${r.p50_ms} / ${r.p99_ms} ms`,
      ]),
      ...targetRows(j.targets),
    ],
  },
  {
    file: 'guard',
    title:
      'Performance guard (CI): CPU per request against bare Fastify + pg baselines (a key lookup, an exact search scan)',
    command: 'npm run bench:guard',
    date: machineDate,
    load: startEnd,
    rows: (j) =>
      (j.ratios as Json[]).map((r): Row =>
        r.guarded
          ? [r.ratio, String(r.measured), `≥ ${r.floor} (median of the study's normal runs ${r.committed})`, r.pass]
          : [`${r.ratio} (reported, not guarded)`, `${r.measured} (committed ${r.committed})`],
      ),
  },
  {
    file: 'cache',
    title: 'Cache hit rate of status polling with a real worker',
    command: 'npm run bench:cache',
    date: (j) => j.date,
    load: () => 'not recorded',
    rows: (j) => [
      [
        `hit rate (${j.cache.backend}, ${j.polls} polls of ${j.analyses} analyses)`,
        `${(j.cache.hit_rate * 100).toFixed(1)} %`,
        `> ${j.target.hit_rate_above * 100} %`,
        j.target.pass,
      ],
    ],
  },
  {
    file: 'faults',
    title: 'Faults under load: Redis killed, PostgreSQL stopped, SIGTERM',
    command: 'npm run bench:faults',
    date: (j) => j.date,
    load: () => 'not recorded',
    rows: (j) => {
      const r = j.results;
      return [
        [
          'Redis killed: reads failed / writes failed',
          `${r.redis_killed.read_errors} / ${r.redis_killed.writes_failed}`,
        ],
        [
          'PostgreSQL stopped: writes answered 503 + Retry-After / other failures',
          `${r.postgres_stopped.writes_503_with_retry_after} / ${r.postgres_stopped.writes_other_failures}`,
        ],
        ['PostgreSQL back: recovered after', ms(r.postgres_stopped.recovered_ms_after_restart)],
        ['SIGTERM: exit code, drain', `${r.sigterm.exit_code}, ${ms(r.sigterm.drain_ms)}`],
        ['SIGTERM: analyses left processing after restart', String(r.sigterm.stranded_processing_after_restart)],
      ];
    },
  },
  {
    file: 'drain',
    title: 'Queue drain with 1, 2 and 4 worker processes',
    command: 'npm run bench:drain',
    date: (j) => j.when,
    load: (j) => String(j.loadavg[0]),
    rows: (j) => [
      ...(j.drains as Json[]).map((d): Row => [
        `${d.workers} worker process(es): jobs/s, all completed exactly once`,
        `${d.jobs_per_second}, ${d.all_completed_once ? 'yes' : 'no'}`,
      ]),
      [
        `queue latency (add → start), ${j.latency.workers} workers: p50 / p99`,
        `${j.latency.p50_ms} / ${j.latency.p99_ms} ms`,
      ],
    ],
  },
  {
    file: 'search',
    title: 'Search at 1,000,000 segments / 100,000 analyses',
    command: 'npm run bench:search',
    date: (j) => j.date,
    load: (j) => String(j.machine.load_average_at_start[0]),
    rows: (j) => [
      ...(j.runs as Json[]).flatMap((r): Row[] => [
        [`run ${r.run}: index build`, s1(r.index.build_ms)],
        [`run ${r.run}: hybrid p50 / p95, one at a time`, `${r.serial.hybrid.p50_ms} / ${r.serial.hybrid.p95_ms} ms`],
        [`run ${r.run}: hybrid p50 / p95, ${r.load.concurrency} concurrent`, `${r.load.p50_ms} / ${r.load.p95_ms} ms`],
      ]),
      ...targetRows(j.targets),
    ],
  },
  {
    file: 'webhooks',
    title: 'Webhooks: 1,000 completions to 3 endpoints, a worker SIGKILLed',
    command: 'npm run bench:webhooks',
    date: machineDate,
    load: startEnd,
    rows: (j) => [
      [
        'healthy endpoint: p50 / p99 / max',
        `${j.healthy_latency.p50_ms} / ${j.healthy_latency.p99_ms} / ${j.healthy_latency.max_ms} ms`,
        `p99 < ${j.healthy_latency.target_p99_ms} ms`,
        j.healthy_latency.p99_ms < j.healthy_latency.target_p99_ms,
      ],
      ...Object.entries(j.endpoints as Record<string, Json>).map(([name, e]): Row => [
        `${name}: delivered / lost / duplicate 2xx`,
        `${e.delivered} / ${e.lost} / ${e.duplicate_2xx_receipts}`,
      ]),
    ],
  },
  {
    file: 'sse',
    title: 'Server-Sent Events: 1,000 concurrent streams on one API process',
    command: 'npm run bench:sse',
    date: machineDate,
    load: startEnd,
    rows: (j) => [
      [
        'event latency p50 / p99 / max',
        `${j.latency.p50_ms} / ${j.latency.p99_ms} / ${j.latency.max_ms} ms`,
        `p99 < ${j.latency.target_p99_ms} ms`,
        j.latency.p99_ms < j.latency.target_p99_ms,
      ],
      ['memory per stream', `${j.memory.kb_per_stream} KB`],
      ['streams exact, in order, no gaps', `${j.checks.streams_exact} / ${j.setup.streams}`],
    ],
  },
  {
    file: 'media',
    title: 'Contact sheets and PDF text',
    command: 'npm run bench:media',
    date: machineDate,
    load: startEnd,
    rows: (j) => [
      ...(j.contact_sheets as Json[]).map((c): Row => [
        `contact sheet, ${c.minutes} min, keyframes every ${c.keyframe_interval_s} s: time, tiles right`,
        `${ms(c.ours_ms)}, ${c.ours_correct_tiles}`,
      ]),
      ['PDF text, 200 pages: ours / pdftotext', `${ms(j.pdf.ours_ms)} / ${ms(j.pdf.pdftotext_ms)}`],
      ...targetRows(j.targets),
    ],
  },
  {
    file: 'vision',
    title: 'Vision on the CPU: models, one image, 10- and 2-minute videos',
    command: 'npm run bench:vision',
    date: machineDate,
    load: startEnd,
    rows: (j) => [
      ['objects on 10 labelled photographs: precision / recall', `${j.accuracy.precision} / ${j.accuracy.recall}`],
      ['face counts right', j.accuracy.face_counts_right],
      ...targetRows(j.targets),
    ],
  },
  {
    file: 'stage-graph',
    title: 'Stage graph: a 10-minute video with speech, sequential and concurrent',
    command: 'npm run bench:stage-graph',
    date: machineDate,
    load: startEnd,
    rows: (j) => [
      ['sequential → concurrent', `${s1(j.sequential_ms)} → ${s1(j.concurrent_ms)} (${j.speed_up}×)`],
      ['transcription share of the sequential run', `${j.transcription_share_of_sequential} %`],
      ...targetRows(j.targets),
    ],
  },
  {
    file: 'speech',
    title: 'Local speech (PocketSphinx) on LibriVox recordings',
    command: 'npm run bench:speech',
    date: () => 'not recorded',
    load: (j) => /load average ([\d.]+)/.exec(j.machine)?.[1] ?? 'not recorded',
    rows: (j) => [
      ['word error rate', `${(j.wer * 100).toFixed(1)} % (${j.errors} errors)`],
      [
        'real-time factor, best of the rounds',
        String(j.realtime_factor_best),
        '≤ 0.6',
        j.targets.realtime_factor_at_most_0_6,
      ],
      ['real-time factor, idle-machine estimate (CPU time / audio / core)', String(j.realtime_factor_idle_estimate)],
    ],
  },
  {
    file: 'hostile',
    title: 'Hostile files end to end, and malformed requests over a real socket',
    command: 'npm run bench:hostile',
    date: machineDate,
    load: startEnd,
    rows: (j) => [
      [
        'files ending with their expected status and code, within bounds',
        `${j.summary.correct}/${j.summary.files}, ${j.summary.within_bounds}/${j.summary.files}`,
        'all',
        j.summary.correct === j.summary.files && j.summary.within_bounds === j.summary.files,
      ],
      [
        'slowest file to a terminal state',
        `${j.summary.slowest_seconds} s`,
        `≤ ${j.target.seconds} s`,
        j.summary.slowest_seconds <= j.target.seconds,
      ],
      [
        'largest worker memory growth / sandbox',
        `${j.summary.largest_worker_rss_growth_mb} / ${j.summary.largest_sandbox_rss_mb} MB`,
      ],
      [
        'malformed requests answered with their code',
        `${(j.http_edge.rows as Json[]).filter((r) => r.correct).length}/${j.http_edge.rows.length}`,
        'all',
        (j.http_edge.rows as Json[]).every((r) => r.correct),
      ],
    ],
  },
  {
    file: 'console',
    title: 'Web console: first load and a 60-minute result',
    command: 'npm run test:e2e',
    date: (j) => j.measured_at,
    load: (j) => j.load_average_1m,
    rows: (j) => [
      ['first load, brotli JavaScript', `${(j.first_load_js_brotli_bytes / 1024).toFixed(1)} KB`],
      [`viewer of a ${j.words}-word, ${j.shots}-shot result opens in (median)`, ms(j.viewer_open_ms_median)],
      ['the same as a full page load (median)', ms(j.viewer_cold_load_ms_median)],
    ],
  },
  {
    file: 'embed-corpus',
    title: "Embedding the search corpus with the service's embedder",
    command: 'nice -n 10 npm run bench:embed-corpus',
    date: (j) => j.provenance.date,
    load: (j) => `${j.embedding.load_average_1m_at_start} → ${j.embedding.load_average_1m_at_end}`,
    rows: (j) => [
      ['distinct real sentences in the corpus', String(j.corpus.distinct_sentences)],
      [
        `sentences/s, per CPU-second (${j.embedding.workers} model thread, batch ${j.embedding.batch})`,
        `${j.embedding.sentences_per_second}, ${j.embedding.sentences_per_cpu_second}`,
      ],
      [
        'corpus order embedded (largest BENCH_SEGMENTS, 3 copies each)',
        `${j.corpus.cached_prefix} (${j.corpus.largest_bench_segments})`,
      ],
      [
        'core-hours for the 333,334 sentences of 1,000,000 segments (projected from the rate)',
        String(j.projection?.core_hours_for_all ?? '–'),
      ],
    ],
  },
  {
    file: 'embed-order',
    title: 'Embedding texts in length order',
    command: 'npm run bench:embed-order',
    ...FROM_PROVENANCE,
    rows: (j) => [
      [
        `texts per CPU-second, as given → length order (${j.texts} real sentences)`,
        `${j.as_given.texts_per_cpu_second} → ${j.length_order.texts_per_cpu_second}`,
      ],
      ['least cosine between the two ways (the same vectors)', String(j.check.least_cosine_between_the_two_ways)],
    ],
  },
  {
    file: 'search-e2e',
    title: 'Search end to end over HTTP, query embedding included',
    command: 'BENCH_SEGMENTS=… npm run bench:search-e2e',
    ...FROM_PROVENANCE,
    rows: (j) => [
      ...searchLatencyRows(j),
      ['semantic recall@10 against an exact scan (service settings)', String(j.recall.report_at_service_settings.mean)],
      ['keyword top-10 overlap with uncapped ranking', String(j.keyword.mean_overlap_at_10)],
      ...targetRows(j.targets),
    ],
  },
  {
    file: 'search-e2e-latency',
    title: 'Search end to end over HTTP, latency only (BENCH_LATENCY_ONLY=1)',
    command: 'BENCH_LATENCY_ONLY=1 BENCH_SEGMENTS=… npm run bench:search-e2e',
    ...FROM_PROVENANCE,
    rows: (j) => [...searchLatencyRows(j), ...targetRows(j.targets)],
  },
  {
    file: 'post-tail',
    title: 'POST analyze: where the tail comes from',
    command: 'node bench/post-tail.bench.ts',
    ...FROM_PROVENANCE,
    rows: (j) => (j.results as Json[]).map((r): Row => [`${r.variant}: p50 / p99`, `${r.p50_ms} / ${r.p99_ms} ms`]),
  },
  {
    file: 'guard-study',
    title: 'The performance guard: what its floors catch, from runs on more than one machine',
    command: 'node bench/guard-study.ts',
    ...FROM_PROVENANCE,
    rows: (j) =>
      (j.ratios as Json[]).map((r): Row => [
        `${r.ratio}: normal min / median / max; floor`,
        `${r.normal.min} / ${r.normal.median} / ${r.normal.max}; ${r.floor === null ? 'reported, not guarded' : `${r.floor} (catches ${r.caught_by})`}`,
      ]),
  },
  {
    file: 'people',
    title: 'People: matching a new face at 100,000 faces',
    command: 'npm run bench:people',
    date: (j) => j.machine.date,
    load: startEnd,
    rows: (j) => [
      [`match p50 / p95 at ${j.faces} faces`, `${j.match_ms.p50} / ${j.match_ms.p95} ms`],
      ['first match of a process', ms(j.first_match_ms)],
      ['fast path: same decision as an exact comparison', String(j.recall_of_fast_path.same_decision_as_exact)],
      ['known people joined / strangers joined', `${j.known_people_joined} / ${j.strangers_joined}`],
    ],
  },
  {
    file: 'throughput',
    title: 'Analysis throughput: a photograph, a 1-minute video, a 10-page scan, a 5-minute audio',
    command: 'npm run bench:throughput',
    ...FROM_PROVENANCE,
    rows: (j) => [
      ...(j.per_kind as Json[]).map((k): Row => [
        `${k.kind}: CPU s (service + PostgreSQL), wall s${k.media_minutes ? ', CPU s per media minute' : ''}`,
        `${k.cpu_s}, ${k.wall_s}${k.media_minutes ? `, ${k.cpu_s_per_media_minute}` : ''}`,
      ]),
      ...(j.mix as Json[]).map((m): Row => [
        `mix at worker concurrency ${m.concurrency}: analyses per core-hour, CPU s / wall s per media minute`,
        `${m.analyses_per_core_hour}, ${m.cpu_s_per_media_minute} / ${m.wall_s_per_media_minute}`,
      ]),
      ...targetRows(j.targets),
    ],
  },
];

const met = (m: boolean | undefined) => (m === undefined ? '' : m ? 'yes' : '**no**');

/** The generated part of docs/benchmarks.md. */
export function renderBenchmarks(dir = RESULTS): string {
  const read = (b: Benchmark) => JSON.parse(fs.readFileSync(path.join(dir, `${b.file}.json`), 'utf8')) as Json;
  const out = [
    '| benchmark | command | run | load (1 min) | targets met | full results |',
    '|---|---|---|---|---:|---|',
  ];
  const sections: string[] = [];
  for (const b of BENCHMARKS) {
    const j = read(b);
    const rows = b.rows(j);
    const judged = rows.filter((r) => r[3] !== undefined);
    // A results file written with its provenance (writeBenchResults) says when, on which commit and at what load.
    const p = j.provenance;
    const when = p ? String(p.date) : b.date(j);
    const load = p ? `${p.load_average_start[0]} → ${p.load_average_end[0]}` : b.load(j);
    const commit = p ? ` on ${String(p.commit).slice(0, 10)}${p.dirty ? ' (with uncommitted changes)' : ''}` : '';
    const date = /^\d{4}-\d\d-\d\d/.test(when) ? when.slice(0, 10) : 'date not recorded';
    // The full run: its Markdown report, or the JSON where the benchmark writes only that.
    const full = fs.existsSync(path.join(dir, `${b.file}.md`)) ? `${b.file}.md` : `${b.file}.json`;
    const link = `[${full}](../bench/results/${full})`;
    out.push(
      `| [${b.title}](#${b.file}) | \`${b.command}\` | ${date} | ${load} | ` +
        `${judged.length === 0 ? '–' : `${judged.filter((r) => r[3]).length}/${judged.length}`} | ${link} |`,
    );
    sections.push(
      '',
      `<a id="${b.file}"></a>`,
      `### ${b.title}`,
      '',
      `\`${b.command}\`, run ${date}${commit}, load average ${load}; every check in ${link}.`,
      '',
      '| measure | value | target | met |',
      '|---|---:|---|---|',
      ...rows.map(([m, v, t, ok]) => `| ${m} | ${v} | ${t ?? ''} | ${met(ok)} |`),
    );
  }
  return [...out, ...sections].join('\n');
}
