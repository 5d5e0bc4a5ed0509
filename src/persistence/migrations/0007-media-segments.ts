/**
 * Segments: everything an analysis heard, read or saw, as tenant-owned pieces of text
 * anchored in time (transcript windows, OCR lines, shot labels and objects) or on a page
 * (document paragraphs), each with a full-text vector and a sentence embedding.
 *
 * The embedding is stored int8-quantised (512 bytes) with its sign bits (64 bytes) beside
 * it: the search index in each process is rebuilt from these rows (PostgreSQL is the
 * source of truth; docs/decisions/0006-semantic-index.md). `id` only grows, so a process
 * catches up with `WHERE id > last seen`.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Lets one GIN index serve "this tenant's rows matching these words".
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gin`.execute(db);
  await sql`
    CREATE TABLE media_segments (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      analysis_id uuid NOT NULL REFERENCES media_analysis_requests (id) ON DELETE CASCADE,
      tenant_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('transcript', 'ocr', 'document', 'image_text', 'shot', 'object')),
      start_seconds double precision CHECK (start_seconds IS NULL OR start_seconds >= 0),
      end_seconds double precision CHECK (end_seconds IS NULL OR end_seconds >= start_seconds),
      page integer CHECK (page IS NULL OR page >= 1),
      text text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
      tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
      embedding bytea NOT NULL CHECK (length(embedding) = 512),
      code bytea NOT NULL CHECK (length(code) = 64),
      keyframe text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX media_segments_tenant_tsv_idx ON media_segments USING gin (tenant_id, tsv)`.execute(db);
  await sql`CREATE INDEX media_segments_analysis_idx ON media_segments (analysis_id)`.execute(db);
  await sql`CREATE INDEX media_segments_tenant_id_idx ON media_segments (tenant_id, id)`.execute(db);
  // A soft-deleted analysis takes its segments with it at once (the row stays for the audit trail).
  await sql`
    CREATE FUNCTION media_segments_drop_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM media_segments WHERE analysis_id = NEW.id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_drop_segments
    AFTER UPDATE OF deleted_at ON media_analysis_requests
    FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL)
    EXECUTE FUNCTION media_segments_drop_deleted()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_drop_segments ON media_analysis_requests`.execute(db);
  await sql`DROP FUNCTION IF EXISTS media_segments_drop_deleted()`.execute(db);
  await sql`DROP TABLE IF EXISTS media_segments`.execute(db);
  await sql`DROP EXTENSION IF EXISTS btree_gin`.execute(db);
}
