/**
 * docs/capacity.md's figures on the size of the end-to-end search benchmark, generated from
 * bench/results/embed-corpus.json (the corpus and the embedding rate), the optional
 * embed-corpus-2-threads.json, and search-e2e.json (the size a run measured).
 * Written and checked by scripts/docs.ts.
 */
import fs from 'node:fs';
import path from 'node:path';

const RESULTS = path.resolve(import.meta.dirname, '../bench/results');

// The results files are written by the benchmarks, each in its own shape; read loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const read = (dir: string, name: string): Json | null => {
  const file = path.join(dir, `${name}.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
};
const n = (v: number) => v.toLocaleString('en-US');
const day = (j: Json) => String(j.provenance.date).slice(0, 10);
/** The 1-minute load at the start and the end, from the run's provenance (as docs/benchmarks.md shows it). */
const load = (j: Json) => `${j.provenance.load_average_start[0]} → ${j.provenance.load_average_end[0]}`;

export function renderSearchSize(dir = RESULTS): string {
  const e = read(dir, 'embed-corpus');
  const two = read(dir, 'embed-corpus-2-threads');
  const s = read(dir, 'search-e2e');
  const out: string[] = [];
  if (s) {
    const copies = s.settings.copies_at_most ?? 1;
    const distinct = s.settings.distinct_sentences_stored ?? s.settings.segments;
    out.push(
      `- **Size measured**: ${n(s.settings.segments)} segments (${n(distinct)} distinct sentences, each stored at most ` +
        `${copies} time${copies > 1 ? 's' : ''}), run ${day(s)}` +
        (s.settings.segments < 1_000_000 ? ', **not the 1,000,000 asked for**: the embedding below limits it.' : '.'),
    );
  }
  if (e) {
    const m = e.embedding;
    out.push(
      `- **Corpus**: ${n(e.corpus.distinct_sentences)} distinct sentences from ${n(e.corpus.files)} files ` +
        `(bench/results/embed-corpus.json, ${day(e)}), more than the 333,334 that 1,000,000 segments need with each stored at most 3 times.`,
      `- **Embedding rate**: the service's embedder (one model thread, batch ${m.batch}) embedded ${n(m.embedded_this_run)} sentences at ` +
        `${m.sentences_per_second}/s, ${m.sentences_per_cpu_second} per CPU-second, niced on this shared 2-core machine ` +
        `(load ${load(e)}).` +
        // Per CPU-second only: a run that shares the machine (or is paused) says little per wall second.
        (two
          ? ` Two model threads (EMBED_WORKERS=2, ${day(two)}): ${two.embedding.sentences_per_cpu_second} per CPU-second ` +
            `(load ${load(two)}).`
          : ''),
    );
    // The cache as the later of the two runs left it; the hours at the one-thread rate.
    const c = two && two.corpus.cached_prefix > e.corpus.cached_prefix ? two.corpus : e.corpus;
    const still = Math.max(0, 333_334 - c.cached_prefix);
    if (still === 0 && two && two.corpus.cached_prefix === c.cached_prefix) {
      const t = two.embedding;
      out.push(
        `- **Embedded for a million**: ${n(c.cached_prefix)} sentences are embedded and cached, enough for ` +
          `BENCH_SEGMENTS up to ${n(c.largest_bench_segments)}; the last run (${day(two)}, ${t.workers} model threads) embedded ` +
          `${n(t.embedded_this_run)} of them in ${(t.cpu_ms / 3_600_000).toFixed(2)} CPU-hours, ${t.sentences_per_cpu_second} per CPU-second.`,
      );
    } else if (e.projection)
      out.push(
        `- **Time to a million**: at ${m.sentences_per_cpu_second} sentences per CPU-second the 333,334 sentences take ` +
          `${e.projection.core_hours_for_all} hours of one otherwise idle core (a projection from the rate, not a run). ` +
          `${n(c.cached_prefix)} are embedded and cached (enough for BENCH_SEGMENTS up to ${n(c.largest_bench_segments)}); ` +
          `${n(still)} are still to embed, ${(still / m.sentences_per_cpu_second / 3600).toFixed(2)} core-hours. ` +
          'The cache keeps every sentence embedded, so `npm run bench:embed-corpus` goes on where it stopped.',
      );
  }
  return out.join('\n');
}
