/**
 * The words full-text search may match in a segment, when they are fewer than its text's:
 * a local transcript window keeps every word it heard in `text` (what is shown and quoted,
 * whole), and its words under the calibrated confidence are left out of `sure_tsv`. A
 * search for a word the engine all but guessed ("fun" at 0.002, said "them") matched the
 * window by its text; with `sure_tsv` it does not. Null for every other segment (and for
 * rows written before this migration): search reads `tsv`, as before.
 *
 * The GIN indexes stay on `tsv` (a superset of `sure_tsv`): they find the candidates, and
 * `sure_tsv` is checked on the rows they return. A nullable column with no default does
 * not rewrite the table.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A catalogue change: waiting behind a long transaction for its lock would queue every
  // request behind it, so the migration fails instead (run it again).
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`ALTER TABLE media_segments ADD COLUMN sure_tsv tsvector`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`ALTER TABLE media_segments DROP COLUMN IF EXISTS sure_tsv`.execute(db);
}
