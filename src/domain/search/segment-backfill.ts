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
import { transcriptWindows } from './segment-drafts.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import type { Db } from '../../persistence/database.ts';

/** Rows per read and update. */
export const BACKFILL_BATCH = 1000;
/**
 * Pause between batches. Each updated row is a new row version with new entries in every
 * index of the table, both full-text indexes included (their pending lists fill, which
 * searches then read), so the backfill goes slowly: about 3,000 rows a second at most
 * while it runs, 20 s a minute (BACKFILL_BUDGET_MS, shared by the magnitude bits and the
 * sure words: the workers' task runs one after the other), so a million old rows take
 * about 17 minutes.
 */
export const BACKFILL_PAUSE_MS = 200;
/** One run stops after this long (the next cron tick goes on); each batch is its own statement. */
export const BACKFILL_BUDGET_MS = 20_000;

type BackfillOptions = { batch?: number; budgetMs?: number; pauseMs?: number; signal?: AbortSignal };

/**
 * The backfills' loop: reads rows after the last id in batches and writes each batch, until
 * none is left, the time budget is spent or the signal aborts, pausing between batches.
 * Returns the rows written.
 */
async function inBatches<R extends { id: number }>(
  opts: BackfillOptions,
  read: (afterId: number, limit: number) => Promise<R[]>,
  write: (rows: R[]) => Promise<number>,
): Promise<number> {
  const batch = opts.batch ?? BACKFILL_BATCH;
  const deadline = Date.now() + (opts.budgetMs ?? BACKFILL_BUDGET_MS);
  let afterId = 0;
  let updated = 0;
  while (Date.now() < deadline && !opts.signal?.aborted) {
    const rows = await read(afterId, batch);
    if (rows.length === 0) break;
    updated += await write(rows);
    afterId = rows[rows.length - 1]!.id;
    if (rows.length < batch) break;
    await new Promise((resolve) => setTimeout(resolve, opts.pauseMs ?? BACKFILL_PAUSE_MS));
  }
  return updated;
}

/**
 * Transcript windows stored before this release (migration 0015): without `sure_tsv`
 * (before 0014), or with it but their unsure words not marked in `text` (0014 to 0015).
 * Each is found among its analysis's windows as the indexer cuts them now (same start,
 * end and words) and gets the text a new window is stored with (unsure words marked
 * "[words?]") and `sure_tsv` from its sure words. A window not found (a provider
 * transcript, a transcript changed since) keeps its text and the words it was matched by
 * (all of them before 0014). Its embedding is left as it was. Returns the rows updated;
 * budget and pauses as backfillMagnitudes.
 */
export function backfillSureWords(
  db: Db,
  repos: Pick<Repositories, 'segments' | 'analyses'>,
  opts: BackfillOptions = {},
): Promise<number> {
  return inBatches(
    opts,
    (afterId, limit) => repos.segments.transcriptWindowsWithoutSure(db, afterId, limit),
    async (rows) => {
      const words = await repos.analyses.transcriptWords(db, [...new Set(rows.map((r) => r.analysisId))]);
      const windows = new Map(
        [...words].map(([id, ws]) => [
          id,
          new Map(transcriptWindows(ws).map((w) => [`${w.start}|${w.end}|${w.plain}`, w])),
        ]),
      );
      return repos.segments.setSureWords(
        db,
        rows.map((r) => {
          const w = windows.get(r.analysisId)?.get(`${r.start}|${r.end}|${r.text}`);
          return w ? { id: r.id, text: w.text, sure: w.sure } : { id: r.id, text: r.text, sure: null };
        }),
      );
    },
  );
}

/** Backfills until no row is left or the time budget is spent; returns the rows updated. */
export function backfillMagnitudes(
  db: Db,
  repos: Pick<Repositories, 'segments'>,
  opts: BackfillOptions = {},
): Promise<number> {
  return inBatches(
    opts,
    (afterId, limit) => repos.segments.withoutMagnitude(db, afterId, limit),
    (rows) =>
      repos.segments.setMagnitudes(
        db,
        rows.map((r) => r.id),
        rows.map((r) => magnitudeCode(r.embedding)),
      ),
  );
}
