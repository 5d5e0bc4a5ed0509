/**
 * Does embedding texts in length order pay? The encoder pads each batch to its longest
 * text, so the embedder (src/nlp/embedder.ts) batches a call's texts shortest first. This
 * embeds BENCH_TEXTS real sentences of the search corpus (bench/helpers/sentence-corpus.ts)
 * both ways with the service's embedder, in interleaved rounds: in the order given (one
 * call per EMBED_BATCH texts, so each batch holds the texts as they come) and as one call
 * (length order). Reported: texts per CPU-second of this process (the model thread
 * included) each way, and — the check that the faster way gives the same answer — the
 * least cosine between a text's two vectors over every text.
 *
 * Usage: node bench/embed-order.bench.ts   (BENCH_TEXTS=1600 BENCH_ROUNDS=2)
 * Results: bench/results/embed-order.json and .md.
 */
import { loadSentences } from './helpers/sentence-corpus.ts';
import { E2E_CACHE_DIR, HELD_OUT } from './helpers/search-corpus.ts';
import { log, round } from './helpers/http-load.ts';
import { writeBenchResults } from './helpers/provenance.ts';
import { EMBED_BATCH, EMBEDDING_DIMS, createEmbedder, type Embedder } from '../src/nlp/embedder.ts';

const TEXTS = Number(process.env.BENCH_TEXTS ?? 1600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const { sentences, files } = loadSentences('node_modules', { cacheDir: E2E_CACHE_DIR });
// From the middle of the corpus order (not its start, which runs of similar documents fill), never the held-out queries.
const from = Math.max(0, Math.floor((sentences.length - HELD_OUT) / 2) - TEXTS);
const texts = sentences.slice(from, from + TEXTS);
if (texts.length < TEXTS) throw new Error(`only ${texts.length} sentences (from ${files} files)`);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function asGiven(e: Embedder): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += EMBED_BATCH) out.push(...(await e.embed(texts.slice(i, i + EMBED_BATCH))));
  return out;
}

const embedder = createEmbedder();
await embedder.embed(['the model loads before anything is timed']);
const ways = { as_given: { cpu_ms: 0, wall_ms: 0 }, length_order: { cpu_ms: 0, wall_ms: 0 } };
let given: Float32Array[] = [];
let sorted: Float32Array[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const way of ['as_given', 'length_order'] as const) {
    const c = cpuMs();
    const t = performance.now();
    const vectors = way === 'as_given' ? await asGiven(embedder) : await embedder.embed(texts);
    ways[way].cpu_ms += cpuMs() - c;
    ways[way].wall_ms += performance.now() - t;
    if (way === 'as_given') given = vectors;
    else sorted = vectors;
    log(`round ${r + 1} ${way}: ${Math.round(performance.now() - t)} ms`);
  }
}
await embedder.close();

let leastCosine = 1;
for (let i = 0; i < texts.length; i++) {
  let dot = 0;
  for (let j = 0; j < EMBEDDING_DIMS; j++) dot += given[i]![j]! * sorted[i]![j]!;
  leastCosine = Math.min(leastCosine, dot);
}
const rate = (w: { cpu_ms: number }) => round((texts.length * ROUNDS) / (w.cpu_ms / 1000), 1);
const lengths = texts.map((t) => t.length).sort((a, b) => a - b);
const report = {
  texts: texts.length,
  rounds: ROUNDS,
  batch: EMBED_BATCH,
  characters: { p10: lengths[Math.floor(TEXTS * 0.1)], p50: lengths[Math.floor(TEXTS / 2)], max: lengths.at(-1) },
  as_given: { ...ways.as_given, texts_per_cpu_second: rate(ways.as_given) },
  length_order: { ...ways.length_order, texts_per_cpu_second: rate(ways.length_order) },
  speedup: round(rate(ways.length_order) / rate(ways.as_given), 2),
  check: {
    texts_compared: texts.length,
    least_cosine_between_the_two_ways: round(leastCosine, 6),
    same: leastCosine > 0.9999,
  },
};
const md = [
  '# Embedding in length order',
  '',
  `${texts.length.toLocaleString()} real sentences of the search corpus (${report.characters.p10}–${report.characters.max} characters, median ${report.characters.p50}), ` +
    `embedded ${ROUNDS} times each way by the service's embedder (batch ${EMBED_BATCH}), the two ways interleaved:`,
  '',
  '| order | texts per CPU-second |',
  '|---|---:|',
  `| as given (each batch the next ${EMBED_BATCH} texts) | ${report.as_given.texts_per_cpu_second} |`,
  `| length order (what the embedder does) | ${report.length_order.texts_per_cpu_second} |`,
  '',
  `Length order: ${report.speedup}× the texts per CPU-second. The same vectors: the least cosine between a text's two vectors, over all ${texts.length.toLocaleString()}, is ${report.check.least_cosine_between_the_two_ways}.`,
  '',
].join('\n');
writeBenchResults('embed-order', report, md);
process.stdout.write(md);
if (!report.check.same) process.exit(1);
