/**
 * Library search end to end, as a client sees it: GET /api/media/search over HTTP
 * against the real API process, the query embedded by the service on every request
 * (every query is distinct, so no cache — the service's query-vector cache, the status
 * cache — has seen it), with 4 and then 16 concurrent clients.
 *
 * Corpus: BENCH_SEGMENTS segments of real English sentences (bench/helpers/sentence-corpus.ts:
 * the prose of documents Debian and npm packages ship on this machine; the Debian ones are
 * the `bench` role of deploy/debian-packages.txt), each distinct sentence stored in at most
 * MAX_COPIES documents (once while the distinct sentences suffice), each embedded by the
 * service's own embedder; the embeddings are cached under data/bench-search-e2e/
 * (git-ignored) sentence by sentence, so no run embeds what an earlier one did
 * (bench/embed-corpus.ts fills the cache ahead of a run). Queries: 2-5 consecutive words
 * of held-out sentences (never stored), in disjoint sets — warm-up, tuning (index
 * settings are chosen on it), 4 clients, 16 clients — so nothing is measured on the set
 * it was tuned on.
 *
 * Besides latency: recall@10 of the semantic side (the in-memory code scan + exact
 * re-scoring, as SearchService.semantic runs it) against an exact scan of every stored
 * vector, on the 4-client query set, at the service's settings and at the settings the
 * tuning set picks; and the keyword side's agreement with an uncapped ranking (the
 * service ranks at most FULL_TEXT_RANK_CAP matches per pass).
 *
 * Usage: DATABASE_URL=… BENCH_SEGMENTS=20000 [BENCH_COPIES=1..3] [BENCH_KEYWORD_QUERIES=100] node bench/search-e2e.bench.ts
 * Results: bench/results/search-e2e.json and .md.
 */
import pg from 'pg';
import { writeBenchResults } from './helpers/provenance.ts';
import { backendCpu, backendCpuBetween, processCpuMs } from './helpers/process-cpu.ts';
import { loadSentences } from './helpers/sentence-corpus.ts';
import { EMBED_BLOCK, embedCached } from './helpers/embedding-cache.ts';
import { E2E_CACHE_DIR, HELD_OUT, exactTopScored, makeQueries, seedSegments } from './helpers/search-corpus.ts';
import { freshBenchDatabase, latency, log, round, serverEnv, startChild, stopChild } from './helpers/http-load.ts';
import { createDatabase } from '../src/persistence/database.ts';
import { loadConfig } from '../src/config/config.ts';
import { segmentRepository } from '../src/persistence/segment.repository.ts';
import { repositories } from '../src/persistence/repositories.ts';
import { FULL_TEXT_RANK_CAP } from '../src/persistence/segment-search.repository.ts';
import { createEmbedder } from '../src/nlp/embedder.ts';
import {
  SearchService,
  SEMANTIC_CANDIDATES,
  SEMANTIC_POOL,
  queryTerms,
  rankBySimilarity,
} from '../src/domain/search/search.service.ts';

const SEGMENTS = Number(process.env.BENCH_SEGMENTS ?? 20_000);
/** Times each distinct sentence is stored (in different documents): at most 3. */
const MAX_COPIES = 3;
const PER_LEVEL = Number(process.env.BENCH_QUERIES ?? 300);
/**
 * Queries of the 4-client set the keyword side is compared on (default all): the uncapped
 * ranking it is compared with ranks every match, seconds a query for common words at 1,000,000 segments.
 */
const KEYWORD_QUERIES = Number(process.env.BENCH_KEYWORD_QUERIES ?? PER_LEVEL);
/**
 * BENCH_LATENCY_ONLY=1: latency and CPU only, without the two quality comparisons (their
 * exact scans take half an hour at 1,000,000 segments), written to search-e2e-latency.*.
 */
const LATENCY_ONLY = process.env.BENCH_LATENCY_ONLY === '1';
const TUNING = 100;
const WARMUP = 20;
const LEVELS = [4, 16];
const PORT = 39_131;
const K = 10;
/** [pool, candidates] tried on the tuning set. */
const SWEEP: Array<[number, number]> = [
  [1000, 100],
  [2500, 100],
  [2500, 200],
  [4000, 200],
  [4000, 400],
];
/** The tuning set's pick: the cheapest setting whose mean recall@10 reaches this. */
const RECALL_WANTED = 0.95;

/** The phases of the service's Server-Timing header (SearchTimings), in its order. */
const PHASES = ['text', 'embed', 'sync', 'index', 'candidates', 'hits'] as const;

/** Each phase's durations from `server-timing` headers: where the service spent a search's time. */
function phaseLatency(headers: Array<string | null>) {
  const by = new Map<string, number[]>(PHASES.map((p) => [p, []]));
  for (const h of headers)
    for (const part of (h ?? '').split(',')) {
      const m = /^\s*(\w+);dur=([\d.]+)\s*$/.exec(part);
      if (m) by.get(m[1]!)?.push(Number(m[2]));
    }
  return Object.fromEntries(PHASES.map((p) => [p, latency(by.get(p)!)]));
}

/** The processes whose CPU a level is charged with: the API (its model thread included) and the database's backends. */
interface Meter {
  apiPid: number;
  admin: pg.Client;
  database: string;
}

/** CPU ms each side has used so far (the client: this process, which only sends and reads). */
async function cpuNow(m: Meter) {
  const own = process.cpuUsage();
  return {
    api: await processCpuMs(m.apiPid),
    database: await backendCpu(m.admin, m.database),
    client: (own.user + own.system) / 1000,
  };
}

/** `clients` concurrent clients, each taking the next unasked query until none is left. */
async function drive(base: string, key: string, queries: string[], clients: number, meter?: Meter) {
  const cpuBefore = meter ? await cpuNow(meter) : null;
  const ms: number[] = [];
  const timings: Array<string | null> = [];
  let next = 0;
  let wrong = 0;
  let hits = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < queries.length) {
        const q = queries[next++]!;
        const t = performance.now();
        const r = await fetch(`${base}/api/media/search?q=${encodeURIComponent(q)}&limit=10`, {
          headers: { authorization: `Bearer ${key}` },
        });
        const body = (await r.json()) as { query?: string; data?: unknown[] };
        ms.push(performance.now() - t);
        const timing = r.headers.get('server-timing');
        timings.push(timing);
        if (r.status !== 200 || body.query !== q || !Array.isArray(body.data) || !timing) {
          if (wrong++ === 0) log(`unexpected answer to "${q}": ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
        } else if (body.data.length > 0) hits++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = meter ? await cpuNow(meter) : null;
  const perSearch = (x: number) => round(x / queries.length, 1);
  return {
    clients,
    queries: queries.length,
    ...latency(ms),
    searches_per_second: round(queries.length / seconds, 1),
    wrong_answers: wrong,
    queries_with_hits: hits,
    // In the service, per phase: text, embed and sync run side by side (see SearchTimings).
    phases: phaseLatency(timings),
    // CPU per search, by process: the machine's 2 cores are what all three share.
    cpu_ms_per_search:
      cpuBefore && cpuAfter
        ? {
            api: perSearch(cpuAfter.api - cpuBefore.api),
            database: perSearch(backendCpuBetween(cpuBefore.database, cpuAfter.database)),
            client: perSearch(cpuAfter.client - cpuBefore.client),
          }
        : null,
  };
}

async function semanticRecall(url: string, tuning: string[], report: string[]) {
  const handle = createDatabase(url, { ...loadConfig({}).database, poolMax: 4 });
  const embedder = createEmbedder();
  const service = new SearchService(handle.db, repositories, () => embedder);
  try {
    await service.index.catchUp();
    const tv = await embedder.embed(tuning);
    const rv = await embedder.embed(report);
    const [tExact, rExact] = [await exactTopScored(url, tv, K), await exactTopScored(url, rv, K)];
    const at = async (vs: Float32Array[], exact: Array<Array<{ score: number }>>, pool: number, candidates: number) => {
      const recalls: number[] = [];
      const times: number[] = [];
      for (const [i, v] of vs.entries()) {
        const t = performance.now();
        const ids = service.index.nearestTo('tenant-0', v, candidates, pool);
        const rows = await segmentRepository.vectors(handle.db, 'tenant-0', ids, {});
        const got = rankBySimilarity(v, rows, K);
        times.push(performance.now() - t);
        // A hit scores at least the exact K-th best (stored copies of one sentence tie: any of them counts).
        const kth = exact[i]![exact[i]!.length - 1]?.score ?? -Infinity;
        const hits = got.filter((r) => r.similarity >= kth - 1e-5).length;
        recalls.push(Math.min(hits, exact[i]!.length) / Math.max(1, exact[i]!.length));
      }
      return {
        pool,
        candidates,
        mean: round(recalls.reduce((a, b) => a + b, 0) / recalls.length, 3),
        min: round(Math.min(...recalls), 2),
        semantic_ms: latency(times),
      };
    };
    const sweep = [];
    for (const [pool, c] of SWEEP) sweep.push(await at(tv, tExact, pool, c));
    const ok = sweep.filter((s) => s.mean >= RECALL_WANTED).sort((a, b) => a.semantic_ms.p50_ms - b.semantic_ms.p50_ms);
    const pick = ok[0] ?? [...sweep].sort((a, b) => b.mean - a.mean)[0]!;
    return {
      at: K,
      tuning_sweep: sweep,
      picked_on_tuning: {
        pool: pick.pool,
        candidates: pick.candidates,
        rule: `cheapest with mean recall@${K} >= ${RECALL_WANTED} on the tuning set`,
      },
      report_at_pick: await at(rv, rExact, pick.pool, pick.candidates),
      report_at_service_settings: await at(rv, rExact, SEMANTIC_POOL, SEMANTIC_CANDIDATES),
    };
  } finally {
    await embedder.close();
    await handle.close();
  }
}

/** The keyword side (capped passes) against the same passes ranking every match. */
async function keywordAgreement(url: string, queries: string[]) {
  const handle = createDatabase(url, { ...loadConfig({}).database, poolMax: 2 });
  const overlaps: number[] = [];
  let identical = 0;
  let capped = 0;
  try {
    for (const q of queries) {
      const terms = queryTerms(q);
      if (terms.length === 0) continue;
      const service = await segmentRepository.fullText(handle.db, 'tenant-0', terms, {}, K);
      // Uncapped: the same two passes (every term, then any term) without the inner LIMIT.
      const pass = async (tsquery: string) =>
        (
          await handle.pool.query<{ id: string; n: string }>(
            `SELECT s.id, count(*) OVER () AS n FROM media_segments s
             WHERE s.tenant_id = 'tenant-0' AND s.tsv @@ to_tsquery('english', $1)
             ORDER BY ts_rank_cd(s.tsv, to_tsquery('english', $1)) DESC, s.id LIMIT $2`,
            [tsquery, K],
          )
        ).rows;
      const every = await pass(terms.join(' & '));
      let full = every.map((r) => Number(r.id));
      const matched = Number(every[0]?.n ?? 0);
      let anyMatched = 0;
      if (terms.length > 1 && full.length < K) {
        const any = await pass(terms.join(' | '));
        anyMatched = Number(any[0]?.n ?? 0);
        const seen = new Set(full);
        full = [...full, ...any.map((r) => Number(r.id)).filter((id) => !seen.has(id))].slice(0, K);
      }
      if (matched > FULL_TEXT_RANK_CAP || anyMatched > FULL_TEXT_RANK_CAP) capped++;
      const got = new Set(service.map((r) => r.id));
      const denominator = Math.max(1, Math.min(K, full.length));
      overlaps.push(full.length === 0 ? 1 : full.filter((id) => got.has(id)).length / denominator);
      if (full.join() === service.map((r) => r.id).join()) identical++;
    }
  } finally {
    await handle.close();
  }
  return {
    queries: overlaps.length,
    mean_overlap_at_10: round(overlaps.reduce((a, b) => a + b, 0) / Math.max(1, overlaps.length), 3),
    identical_top_10: identical,
    queries_over_the_cap: capped,
    cap: FULL_TEXT_RANK_CAP,
  };
}

async function main(): Promise<void> {
  const { sentences, files } = loadSentences('node_modules', { cacheDir: E2E_CACHE_DIR });
  const available = sentences.length - HELD_OUT;
  // BENCH_COPIES stores each sentence that many times even when more distinct ones exist (their
  // embedding, not their number, is what limits a run's size).
  const copies = Number(process.env.BENCH_COPIES ?? Math.max(1, Math.ceil(SEGMENTS / available)));
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`BENCH_COPIES must be a whole number of at least 1`);
  if (copies > MAX_COPIES || Math.ceil(SEGMENTS / copies) > available)
    throw new Error(`only ${available} distinct sentences (from ${files} files); BENCH_SEGMENTS=${SEGMENTS}`);
  const distinct = Math.ceil(SEGMENTS / copies);
  const texts = sentences.slice(0, distinct);
  const heldOut = sentences.slice(sentences.length - HELD_OUT);
  log(
    `${sentences.length} distinct sentences from ${files} files; corpus ${SEGMENTS} segments of ${distinct} distinct ` +
      `(each at most ${copies} times), held out ${HELD_OUT}`,
  );
  const taken = new Set<string>();
  const warmup = makeQueries(heldOut, WARMUP, taken, 1);
  const tuning = makeQueries(heldOut, TUNING, taken, 2);
  const sets = LEVELS.map((_, i) => makeQueries(heldOut, PER_LEVEL, taken, 3 + i));

  const embedded = await embedCached(texts, E2E_CACHE_DIR, createEmbedder, log);
  const database = await freshBenchDatabase('ma_bench_search_e2e', { dataDir: 'data/bench-e2e-pg', port: 54_371 });
  try {
    const seedMs = await seedSegments(database.url, texts, embedded.vectors, SEGMENTS);
    log(`seeded ${SEGMENTS} segments in ${seedMs} ms`);
    const env = { ...serverEnv(database.url, 16, 'data/bench-e2e-data'), PORT: String(PORT) };
    const api = await startChild(['src/main/cli.ts', 'api'], env, PORT);
    const base = `http://127.0.0.1:${PORT}`;
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const meter: Meter = { apiPid: api.pid!, admin, database: new URL(database.url).pathname.slice(1) };
    let levels;
    let firstSearchMs;
    try {
      const t = performance.now();
      await drive(base, database.key, warmup.slice(0, 1), 1);
      firstSearchMs = Math.round(performance.now() - t);
      await drive(base, database.key, warmup.slice(1), 2);
      levels = [];
      for (const [i, clients] of LEVELS.entries()) {
        const r = await drive(base, database.key, sets[i]!, clients, meter);
        log(
          `${clients} clients: p50 ${r.p50_ms} ms, p95 ${r.p95_ms} ms, p99 ${r.p99_ms} ms, ${r.searches_per_second}/s, wrong ${r.wrong_answers}`,
        );
        levels.push(r);
      }
    } finally {
      await admin.end();
      await stopChild(api);
    }
    if (!LATENCY_ONLY) log('recall of the semantic side against an exact scan…');
    const recall = LATENCY_ONLY ? null : await semanticRecall(database.url, tuning, sets[0]!);
    if (!LATENCY_ONLY) log('keyword side against an uncapped ranking…');
    const keyword = LATENCY_ONLY ? null : await keywordAgreement(database.url, sets[0]!.slice(0, KEYWORD_QUERIES));
    const at4 = levels.find((l) => l.clients === 4)!;
    const report = {
      settings: {
        segments: SEGMENTS,
        corpus:
          `sentences from ${files} documents shipped by Debian (manual pages, dictionaries, fortunes, the Python, Linux, ` +
          `PostgreSQL, Git and Perl manuals, /usr/share/doc, /usr/share/common-licenses) and npm packages (node_modules READMEs)`,
        distinct_sentences_available: sentences.length,
        distinct_sentences_stored: distinct,
        copies_at_most: copies,
        queries: { warmup: warmup.length, tuning: tuning.length, per_level: PER_LEVEL, distinct: taken.size },
        database: database.source,
        service_settings: {
          pool: SEMANTIC_POOL,
          candidates: SEMANTIC_CANDIDATES,
          full_text_rank_cap: FULL_TEXT_RANK_CAP,
        },
      },
      embedding: {
        block: EMBED_BLOCK,
        embedded_this_run: embedded.embedded,
        ms_this_run: embedded.embed_ms,
        cpu_ms_this_run: embedded.embed_cpu_ms,
        sentences_per_second_this_run: embedded.embedded
          ? round(embedded.embedded / (embedded.embed_ms / 1000), 1)
          : null,
      },
      seed_ms: seedMs,
      first_search_ms: firstSearchMs,
      levels,
      recall,
      keyword,
      targets: {
        p95_at_4_clients_at_most_100_ms: { measured: at4.p95_ms, pass: at4.p95_ms <= 100 },
        segments_at_least_1_000_000: { measured: SEGMENTS, pass: SEGMENTS >= 1_000_000 },
      },
    };
    const md = [
      '# Library search, end to end over HTTP',
      '',
      `${SEGMENTS.toLocaleString()} segments: ${distinct.toLocaleString()} distinct real sentences, each stored at most ${copies} time(s) ` +
        `(${report.settings.corpus}), embedded by the service's embedder; ` +
        `every query distinct and embedded by the service per request (no cache has seen it); ${database.source} PostgreSQL.` +
        (SEGMENTS < 1_000_000
          ? ` **Measured at ${SEGMENTS.toLocaleString()} segments, not the 1,000,000 asked for** (see docs/capacity.md for why).`
          : ''),
      '',
      '| clients | queries | p50 ms | p95 ms | p99 ms | max ms | searches/s | wrong answers | queries with hits |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...levels.map(
        (l) =>
          `| ${l.clients} | ${l.queries} | ${l.p50_ms} | ${l.p95_ms} | ${l.p99_ms} | ${l.max_ms} | ${l.searches_per_second} | ${l.wrong_answers} | ${l.queries_with_hits} |`,
      ),
      '',
      'Where the time goes inside the service (its Server-Timing header; the full-text list, the embedding and the index catching up (sync, a read from PostgreSQL) run side by side from the start, each timed from there; then the in-memory scan (index); embed includes waiting for the model thread):',
      '',
      '| clients | ' + PHASES.map((p) => `${p} p50 / p95 ms`).join(' | ') + ' |',
      '|---:|' + PHASES.map(() => '---:|').join(''),
      ...levels.map(
        (l) =>
          `| ${l.clients} | ` + PHASES.map((p) => `${l.phases[p]!.p50_ms} / ${l.phases[p]!.p95_ms}`).join(' | ') + ' |',
      ),
      '',
      'CPU per search, by process (ms; the machine has 2 cores for all of them):',
      '',
      '| clients | API process (model thread included) | PostgreSQL backends | benchmark client |',
      '|---:|---:|---:|---:|',
      ...levels.map(
        (l) =>
          `| ${l.clients} | ${l.cpu_ms_per_search?.api} | ${l.cpu_ms_per_search?.database} | ${l.cpu_ms_per_search?.client} |`,
      ),
      '',
      `First search, sent as soon as the process answers /health (it waits for the index build and model load the process starts with, SEARCH_WARM_AT_START): ${firstSearchMs} ms.`,
      '',
      recall
        ? `Semantic side, recall@${K} against an exact scan (4-client query set, ${PER_LEVEL} queries): ` +
          `${recall.report_at_service_settings.mean} (min ${recall.report_at_service_settings.min}) at the service's pool ${SEMANTIC_POOL} / candidates ${SEMANTIC_CANDIDATES}; ` +
          `${recall.report_at_pick.mean} (min ${recall.report_at_pick.min}) at pool ${recall.picked_on_tuning.pool} / candidates ${recall.picked_on_tuning.candidates}, ` +
          `picked on the separate tuning set (${recall.picked_on_tuning.rule}).`
        : 'Latency only (BENCH_LATENCY_ONLY=1): recall and the keyword comparison were not run; see search-e2e.md.',
      '',
      keyword
        ? `Keyword side against an uncapped ranking: mean overlap@${K} ${keyword.mean_overlap_at_10} over ${keyword.queries} queries, ` +
          `identical top ${K} for ${keyword.identical_top_10}; ${keyword.queries_over_the_cap} queries had more than ${keyword.cap} matches in a pass.`
        : '',
      '',
      `Target p95 ≤ 100 ms at 4 clients: ${at4.p95_ms} ms — ${at4.p95_ms <= 100 ? 'met' : 'NOT met'}.`,
      '',
    ].join('\n');
    writeBenchResults(LATENCY_ONLY ? 'search-e2e-latency' : 'search-e2e', report, md);
    process.stdout.write(md + '\n');
  } finally {
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
