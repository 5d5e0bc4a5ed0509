/**
 * Face descriptions move from faceres (1024 float32, 4096 bytes) to face-api's port of
 * dlib's face recognition network (128 float32, 512 bytes): docs/decisions/0012. The two
 * models' vectors cannot be compared with each other, so the faceres descriptions stored
 * so far are deleted, and with them the people they made (their appearances and name
 * segments go by ON DELETE CASCADE). An analysis analysed again describes its faces with
 * the new model. `down` can only empty the table again: the old vectors are gone.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`DELETE FROM people`.execute(db);
  await sql`ALTER TABLE face_appearances DROP CONSTRAINT face_appearances_vector_check`.execute(db);
  await sql`ALTER TABLE face_appearances ADD CONSTRAINT face_appearances_vector_check CHECK (length(vector) = 512)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`DELETE FROM people`.execute(db);
  await sql`ALTER TABLE face_appearances DROP CONSTRAINT face_appearances_vector_check`.execute(db);
  await sql`ALTER TABLE face_appearances ADD CONSTRAINT face_appearances_vector_check CHECK (length(vector) = 4096)`.execute(
    db,
  );
}
