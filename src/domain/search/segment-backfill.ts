/**
 * Fills in the magnitude bits of segments stored before migration 0012 (or by a worker
 * of the previous release during a rolling upgrade), a batch at a time: the bits are
 * computed here from the stored int8 embedding, exactly as the indexer computes them for
 * new rows. Until a row is done, the semantic index computes its bits itself at every
 * load, which costs a process start seconds per hundred thousand such rows
 * (docs/decisions/0006-semantic-index.md); once every row is done this finds nothing,
 * through a partial index that holds only rows without bits.
 */
import { magnitudeCode } from '../../nlp/vector-codec.ts';
import { markWords, sureText } from './segment-drafts.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import type { Db } from '../../persistence/database.ts';

/** Rows per read and update. */
export const BACKFILL_BATCH = 1000;
/**
 * Pause between batches. Each updated row is a new row version with new entries in every
 * index of the table, both full-text indexes included (their pending lists fill, which
 * searches then read), so the backfill goes slowly: about 3,000 rows a second at most
 * while it runs, 20 s a minute, so a million old rows take about 17 minutes.
 */
export const BACKFILL_PAUSE_MS = 200;
/** One run stops after this long (the next cron tick goes on); each batch is its own statement. */
export const BACKFILL_BUDGET_MS = 20_000;

/**
 * Transcript windows stored before every window carried its sure words (migration 0015):
 * each gets the text a new window is stored with (its unsure words marked "[words?]") and
 * `sure_tsv` from its sure words, read from its analysis's transcript; a window whose
 * words cannot be found (a provider transcript, a transcript changed since) keeps its
 * text and is matched by all of it, as before. Its embedding is left as it was (from all
 * of its words). Returns the rows updated; budget and pauses as backfillMagnitudes.
 */
export async function backfillSureWords(
  db: Db,
  repos: Pick<Repositories, 'segments' | 'analyses'>,
  opts: { batch?: number; budgetMs?: number; pauseMs?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batch = opts.batch ?? BACKFILL_BATCH;
  const deadline = Date.now() + (opts.budgetMs ?? BACKFILL_BUDGET_MS);
  let afterId = 0;
  let updated = 0;
  while (Date.now() < deadline && !opts.signal?.aborted) {
    const rows = await repos.segments.transcriptWindowsWithoutSure(db, afterId, batch);
    if (rows.length === 0) break;
    const words = await repos.analyses.transcriptWords(db, [...new Set(rows.map((r) => r.analysisId))]);
    updated += await repos.segments.setSureWords(
      db,
      rows.map((r) => {
        const inside =
          r.start === null || r.end === null
            ? []
            : (words.get(r.analysisId) ?? []).filter((w) => w.start >= r.start! - 0.01 && w.end <= r.end! + 0.01);
        return inside.length > 0 && inside.map((w) => w.word).join(' ') === r.text
          ? { id: r.id, text: markWords(inside), sure: sureText(inside) }
          : { id: r.id, text: r.text, sure: r.text };
      }),
    );
    afterId = rows[rows.length - 1]!.id;
    if (rows.length < batch) break;
    await new Promise((resolve) => setTimeout(resolve, opts.pauseMs ?? BACKFILL_PAUSE_MS));
  }
  return updated;
}

/** Backfills until no row is left or the time budget is spent; returns the rows updated. */
export async function backfillMagnitudes(
  db: Db,
  repos: Pick<Repositories, 'segments'>,
  opts: { batch?: number; budgetMs?: number; pauseMs?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batch = opts.batch ?? BACKFILL_BATCH;
  const deadline = Date.now() + (opts.budgetMs ?? BACKFILL_BUDGET_MS);
  let afterId = 0;
  let updated = 0;
  while (Date.now() < deadline && !opts.signal?.aborted) {
    const rows = await repos.segments.withoutMagnitude(db, afterId, batch);
    if (rows.length === 0) break;
    updated += await repos.segments.setMagnitudes(
      db,
      rows.map((r) => r.id),
      rows.map((r) => magnitudeCode(r.embedding)),
    );
    afterId = rows[rows.length - 1]!.id;
    if (rows.length < batch) break;
    await new Promise((resolve) => setTimeout(resolve, opts.pauseMs ?? BACKFILL_PAUSE_MS));
  }
  return updated;
}
