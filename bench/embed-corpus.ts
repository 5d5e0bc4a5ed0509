/**
 * Fills the end-to-end search benchmark's embedding cache (data/bench-search-e2e/) ahead
 * of a run, without running it: the first EMBED_SENTENCES distinct sentences of the
 * corpus order (default: all but the held-out ones the queries come from), embedded by
 * the service's own embedder (its batch size, EMBED_BATCH) with EMBED_WORKERS model
 * threads (default 1; at most one per core), block by block, so it can stop at any block
 * and start again where it stopped. It stops starting blocks after EMBED_MINUTES, or on
 * SIGTERM/SIGINT (the blocks under way finish), and writes what it measured: the corpus's
 * distinct sentences, the embedding rate (per second and per CPU-second) and how much of
 * the corpus order is now cached, i.e. the largest BENCH_SEGMENTS a run can use (× 3 copies).
 *
 * Usage: nice -n 10 node bench/embed-corpus.ts   (EMBED_SENTENCES=334000 EMBED_WORKERS=1 EMBED_MINUTES=60)
 * Results: bench/results/embed-corpus.json and .md (embed-corpus-N-threads.* with N model threads).
 */
import os from 'node:os';
import { loadSentences } from './helpers/sentence-corpus.ts';
import { EMBED_BLOCK, embedCached } from './helpers/embedding-cache.ts';
import { E2E_CACHE_DIR, HELD_OUT } from './helpers/search-corpus.ts';
import { log, round } from './helpers/http-load.ts';
import { writeBenchResults } from './helpers/provenance.ts';
import { EMBED_BATCH, createEmbedder } from '../src/nlp/embedder.ts';

/** Distinct sentences a 1,000,000-segment corpus needs with each stored at most 3 times. */
const FOR_A_MILLION = 333_334;

const t = performance.now();
const { sentences, files } = loadSentences('node_modules', { cacheDir: E2E_CACHE_DIR });
const loadMs = Math.round(performance.now() - t);
const available = sentences.length - HELD_OUT;
const asked = Number(process.env.EMBED_SENTENCES ?? available);
if (!Number.isInteger(asked) || asked < 1) throw new Error('EMBED_SENTENCES must be a whole number of at least 1');
const wanted = Math.min(available, asked);
log(`${sentences.length} distinct sentences from ${files} files (${loadMs} ms); embedding the first ${wanted}`);
const minutes = process.env.EMBED_MINUTES;
let stopAt = minutes ? Date.now() + Number(minutes) * 60_000 : Infinity;
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    log(`${signal}: finishing the blocks under way`);
    stopAt = 0;
  });
const loadStart = os.loadavg()[0]!;
const r = await embedCached(sentences.slice(0, wanted), E2E_CACHE_DIR, createEmbedder, log, {
  workers: Math.max(1, Math.min(os.availableParallelism(), Math.floor(Number(process.env.EMBED_WORKERS ?? 1)) || 1)),
  stop: () => Date.now() >= stopAt,
});
const perSecond = r.embedded ? round(r.embedded / (r.embed_ms / 1000), 1) : null;
const perCpuSecond = r.embedded ? round(r.embedded / (r.embed_cpu_ms / 1000), 1) : null;
const report = {
  corpus: {
    files,
    distinct_sentences: sentences.length,
    held_out: HELD_OUT,
    load_ms: loadMs,
    wanted,
    cached_prefix: r.cached_prefix,
    largest_bench_segments: Math.min(3 * r.cached_prefix, 3 * available),
  },
  embedding: {
    batch: EMBED_BATCH,
    block: EMBED_BLOCK,
    workers: r.workers,
    complete: r.complete,
    embedded_this_run: r.embedded,
    wall_ms: r.embed_ms,
    cpu_ms: r.embed_cpu_ms,
    sentences_per_second: perSecond,
    sentences_per_cpu_second: perCpuSecond,
    load_average_1m_at_start: round(loadStart, 2),
    load_average_1m_at_end: round(os.loadavg()[0]!, 2),
  },
  // Arithmetic on the rate above (not measured): one busy core for the sentences a million segments need.
  projection: perCpuSecond
    ? {
        distinct_for_1_000_000_segments: FOR_A_MILLION,
        still_to_embed: Math.max(0, FOR_A_MILLION - r.cached_prefix),
        core_hours_for_all: round(FOR_A_MILLION / perCpuSecond / 3600, 2),
        core_hours_still: round(Math.max(0, FOR_A_MILLION - r.cached_prefix) / perCpuSecond / 3600, 2),
      }
    : null,
};
const md = [
  '# Embedding the end-to-end search corpus',
  '',
  `${sentences.length.toLocaleString()} distinct sentences from ${files.toLocaleString()} files (${HELD_OUT} held out for queries). ` +
    `This run embedded ${r.embedded.toLocaleString()} with ${r.workers} model thread(s) at batch ${EMBED_BATCH}: ` +
    `${perSecond ?? '-'} sentences/s, ${perCpuSecond ?? '-'} per CPU-second (1-minute load ${report.embedding.load_average_1m_at_start} → ${report.embedding.load_average_1m_at_end}).`,
  '',
  `Cached: the first ${r.cached_prefix.toLocaleString()} sentences of the corpus order, enough for BENCH_SEGMENTS up to ${report.corpus.largest_bench_segments.toLocaleString()} (each sentence at most 3 times).`,
  ...(report.projection
    ? [
        '',
        `Projection from this rate: ${FOR_A_MILLION.toLocaleString()} distinct sentences (1,000,000 segments) take ${report.projection.core_hours_for_all} core-hours; ` +
          `${report.projection.still_to_embed.toLocaleString()} are still to embed (${report.projection.core_hours_still} core-hours).`,
      ]
    : []),
  '',
].join('\n');
// A run with more model threads is a separate measurement: it does not replace the one-thread figure.
writeBenchResults(r.workers > 1 ? `embed-corpus-${r.workers}-threads` : 'embed-corpus', report, md);
process.stdout.write(md);
process.exit(0);
