/**
 * People: faces described by faceres (the vision stage's face models), grouped per tenant
 * into people (docs/people.md).
 *
 * - people: one row per person a tenant's library shows; `name` is null until someone
 *   names them.
 * - face_appearances: one person on screen through consecutive frames of one shot (or
 *   once in an image or a document page): when, where (box of its best frame), the face
 *   thumbnail artifact, and the description vector of its best frame — float32 little
 *   endian in `vector` (4096 bytes), and a 256-number int8 sketch (a fixed random
 *   projection) that the matcher scans in memory before comparing vectors exactly.
 *
 * Face descriptions are biometric data: a soft-deleted analysis drops its appearances
 * at once (as its search segments do), and a person left without appearances goes with
 * them; deleting a person removes their appearances (ON DELETE CASCADE). A named
 * person's appearances are searchable as segments of kind `person` (media_segments
 * .person_id), which go with the person.
 */
import { sql, type Kysely } from 'kysely';
import type { OnlineStep } from '../online-steps.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  // media_segments and media_analysis_requests exist and are busy: waiting behind a long
  // transaction for their catalogue lock would queue every request behind this migration,
  // so it fails instead (run it again). The kind check is validated and the person index
  // built online, after the migration (`online` below).
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`
    CREATE TABLE people (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id text NOT NULL,
      name text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX people_tenant_idx ON people (tenant_id, created_at, id)`.execute(db);
  await sql`
    CREATE TABLE face_appearances (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      tenant_id text NOT NULL,
      person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      analysis_id uuid NOT NULL REFERENCES media_analysis_requests (id) ON DELETE CASCADE,
      start_seconds double precision CHECK (start_seconds IS NULL OR start_seconds >= 0),
      end_seconds double precision CHECK (end_seconds IS NULL OR end_seconds >= start_seconds),
      page integer CHECK (page IS NULL OR page >= 1),
      shot integer,
      frames integer NOT NULL CHECK (frames >= 1),
      box real[] NOT NULL CHECK (cardinality(box) = 4),
      quality real NOT NULL,
      vector bytea NOT NULL CHECK (length(vector) = 4096),
      sketch bytea NOT NULL CHECK (length(sketch) = 256),
      thumbnail_file_id uuid REFERENCES media_files (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX face_appearances_tenant_idx ON face_appearances (tenant_id, id)`.execute(db);
  await sql`CREATE INDEX face_appearances_person_idx ON face_appearances (person_id)`.execute(db);
  await sql`CREATE INDEX face_appearances_analysis_idx ON face_appearances (analysis_id)`.execute(db);

  // A named person's appearances as search segments; they go with the person.
  await sql`ALTER TABLE media_segments ADD COLUMN person_id uuid REFERENCES people (id) ON DELETE CASCADE`.execute(db);
  await sql`ALTER TABLE media_segments DROP CONSTRAINT media_segments_kind_check`.execute(db);
  await sql`
    ALTER TABLE media_segments ADD CONSTRAINT media_segments_kind_check
    CHECK (kind IN ('transcript', 'ocr', 'document', 'image_text', 'shot', 'object', 'person')) NOT VALID`.execute(db);

  // A soft-deleted analysis takes its face descriptions with it at once; a person left
  // with none is forgotten too (their name and segments with them).
  await sql`
    CREATE FUNCTION face_appearances_drop_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE touched uuid[];
    BEGIN
      WITH gone AS (DELETE FROM face_appearances WHERE analysis_id = NEW.id RETURNING person_id)
      SELECT array_agg(DISTINCT person_id) INTO touched FROM gone;
      IF touched IS NOT NULL THEN
        DELETE FROM people p WHERE p.id = ANY(touched)
          AND NOT EXISTS (SELECT 1 FROM face_appearances f WHERE f.person_id = p.id);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_drop_faces
    AFTER UPDATE OF deleted_at ON media_analysis_requests
    FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL)
    EXECUTE FUNCTION face_appearances_drop_deleted()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`DROP INDEX IF EXISTS media_segments_person_idx`.execute(db);
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_drop_faces ON media_analysis_requests`.execute(db);
  await sql`DROP FUNCTION IF EXISTS face_appearances_drop_deleted()`.execute(db);
  await sql`DELETE FROM media_segments WHERE kind = 'person'`.execute(db);
  await sql`ALTER TABLE media_segments DROP CONSTRAINT media_segments_kind_check`.execute(db);
  await sql`
    ALTER TABLE media_segments ADD CONSTRAINT media_segments_kind_check
    CHECK (kind IN ('transcript', 'ocr', 'document', 'image_text', 'shot', 'object'))`.execute(db);
  await sql`ALTER TABLE media_segments DROP COLUMN IF EXISTS person_id`.execute(db);
  await sql`DROP TABLE IF EXISTS face_appearances`.execute(db);
  await sql`DROP TABLE IF EXISTS people`.execute(db);
}

export const online: readonly OnlineStep[] = [
  { kind: 'validate', table: 'media_segments', constraint: 'media_segments_kind_check' },
  {
    kind: 'index',
    name: 'media_segments_person_idx',
    sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS media_segments_person_idx ON media_segments (person_id) WHERE person_id IS NOT NULL',
  },
];
