/**
 * SQL for people and their face appearances (migration 0013). Every read and write is
 * scoped by tenant; inputs are bound parameters. Grouping new appearances runs in one
 * transaction under a per-tenant advisory lock (`lockTenant`), so two analyses of one
 * tenant finishing together cannot both start the same new person.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { NewSegment } from '../contract/segment.types.ts';
import type { Appearance, NewAppearance, Person, SketchPage } from '../contract/people.types.ts';

type Executor = Kysely<Database> | Transaction<Database>;

interface PersonRow {
  id: string;
  tenant_id: string;
  name: string | null;
  face_count: string | number;
  analysis_ids: string[] | null;
  thumb_analysis_id: string | null;
  thumb_file_id: string | null;
  created_at: Date;
  updated_at: Date;
}

function toPerson(r: PersonRow): Person {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    faceCount: Number(r.face_count),
    analysisIds: r.analysis_ids ?? [],
    thumbnail:
      r.thumb_analysis_id && r.thumb_file_id ? { analysisId: r.thumb_analysis_id, fileId: r.thumb_file_id } : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** People with their counts, analyses and best thumbnail; `where` narrows to one tenant (and person). */
function personQuery(tenantId: string, personId: string | null, limit: number, offset: number) {
  return sql<PersonRow>`
    SELECT p.id, p.tenant_id, p.name, p.created_at, p.updated_at,
      (SELECT count(*) FROM face_appearances f WHERE f.person_id = p.id) AS face_count,
      (SELECT array_agg(DISTINCT f.analysis_id::text) FROM face_appearances f WHERE f.person_id = p.id) AS analysis_ids,
      best.analysis_id AS thumb_analysis_id, best.thumbnail_file_id AS thumb_file_id
    FROM people p
    LEFT JOIN LATERAL (
      SELECT f.analysis_id, f.thumbnail_file_id FROM face_appearances f
      WHERE f.person_id = p.id AND f.thumbnail_file_id IS NOT NULL
      ORDER BY f.quality DESC, f.id LIMIT 1
    ) best ON true
    WHERE p.tenant_id = ${tenantId} ${personId ? sql`AND p.id = ${personId}` : sql``}
      -- An archived analysis (hard-deleted) leaves its people without appearances: not shown.
      AND EXISTS (SELECT 1 FROM face_appearances f WHERE f.person_id = p.id)
    ORDER BY p.name IS NULL, p.name, p.created_at, p.id
    LIMIT ${limit} OFFSET ${offset}`;
}

export const peopleRepository = {
  /** Serialises grouping per tenant until the transaction ends. */
  async lockTenant(trx: Transaction<Database>, tenantId: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${'people:' + tenantId}, 0))`.execute(trx);
  },

  async createPerson(db: Executor, tenantId: string, name: string | null = null): Promise<string> {
    const row = await db
      .insertInto('people')
      .values({ tenant_id: tenantId, name })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  async insertAppearances(db: Executor, rows: readonly NewAppearance[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const inserted = await db
      .insertInto('face_appearances')
      .values(
        rows.map((r) => ({
          tenant_id: r.tenantId,
          person_id: r.personId,
          analysis_id: r.analysisId,
          start_seconds: r.startSeconds,
          end_seconds: r.endSeconds,
          page: r.page,
          shot: r.shot,
          frames: r.frames,
          box: r.box,
          quality: r.quality,
          vector: r.vector,
          sketch: r.sketch,
          thumbnail_file_id: r.thumbnailFileId,
        })),
      )
      .returning('id')
      .execute();
    return inserted.map((r) => String(r.id));
  },

  /**
   * A tenant's sketches stored after `afterId`, in id order, end to end, with their ids.
   * Plain rows on the (tenant_id, id) index: aggregating 100,000 sketches into one bytea
   * in PostgreSQL (string_agg) took several times longer than reading them as rows.
   */
  async sketchesAfter(db: Executor, tenantId: string, afterId: string): Promise<SketchPage> {
    const { rows } = await sql<{ id: string; sketch: Buffer }>`
      SELECT id::text AS id, sketch FROM face_appearances
      WHERE tenant_id = ${tenantId} AND id > ${afterId}::bigint ORDER BY id`.execute(db);
    return { ids: rows.map((r) => r.id), sketches: Buffer.concat(rows.map((r) => r.sketch)) };
  },

  /** The full vectors of some appearances of a tenant (the exact comparison after the fast path). */
  async vectors(
    db: Executor,
    tenantId: string,
    ids: readonly string[],
  ): Promise<Array<{ id: string; personId: string; vector: Buffer }>> {
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('face_appearances')
      .select(['id', 'person_id', 'vector'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', [...ids])
      .execute();
    return rows.map((r) => ({ id: String(r.id), personId: r.person_id, vector: r.vector }));
  },

  async list(
    db: Executor,
    tenantId: string,
    limit: number,
    offset: number,
  ): Promise<{ people: Person[]; total: number }> {
    const { rows } = await personQuery(tenantId, null, limit, offset).execute(db);
    const total = await db
      .selectFrom('people')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where((eb) =>
        eb.exists(eb.selectFrom('face_appearances as f').select('f.id').whereRef('f.person_id', '=', 'people.id')),
      )
      .executeTakeFirstOrThrow();
    return { people: rows.map(toPerson), total: Number(total.n) };
  },

  async get(db: Executor, tenantId: string, personId: string): Promise<Person | null> {
    const { rows } = await personQuery(tenantId, personId, 1, 0).execute(db);
    return rows[0] ? toPerson(rows[0]) : null;
  },

  async appearances(db: Executor, tenantId: string, personId: string): Promise<Appearance[]> {
    const rows = await db
      .selectFrom('face_appearances')
      .select([
        'id',
        'person_id',
        'analysis_id',
        'start_seconds',
        'end_seconds',
        'page',
        'shot',
        'frames',
        'box',
        'quality',
        'thumbnail_file_id',
        'created_at',
      ])
      .where('tenant_id', '=', tenantId)
      .where('person_id', '=', personId)
      .orderBy('created_at')
      .orderBy('start_seconds')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: String(r.id),
      personId: r.person_id,
      analysisId: r.analysis_id,
      startSeconds: r.start_seconds,
      endSeconds: r.end_seconds,
      page: r.page,
      shot: r.shot,
      frames: r.frames,
      box: r.box,
      quality: r.quality,
      thumbnailFileId: r.thumbnail_file_id,
      createdAt: r.created_at,
    }));
  },

  /** Named people appearing in one analysis, with their appearances (for the answer). */
  async namedInAnalysis(
    db: Executor,
    tenantId: string,
    analysisId: string,
  ): Promise<Array<{ personId: string; name: string; startSeconds: number | null; endSeconds: number | null }>> {
    const rows = await db
      .selectFrom('face_appearances as f')
      .innerJoin('people as p', 'p.id', 'f.person_id')
      .select(['p.id as person_id', 'p.name', 'f.start_seconds', 'f.end_seconds'])
      .where('f.tenant_id', '=', tenantId)
      .where('f.analysis_id', '=', analysisId)
      .where('p.name', 'is not', null)
      .orderBy('f.start_seconds')
      .execute();
    return rows.map((r) => ({
      personId: r.person_id,
      name: r.name!,
      startSeconds: r.start_seconds,
      endSeconds: r.end_seconds,
    }));
  },

  async rename(db: Executor, tenantId: string, personId: string, name: string | null): Promise<boolean> {
    const r = await db
      .updateTable('people')
      .set({ name, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', personId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** Moves every appearance of `fromId` to `intoId` and forgets `fromId` (one tenant). */
  async merge(db: Executor, tenantId: string, intoId: string, fromId: string): Promise<void> {
    await db
      .updateTable('face_appearances')
      .set({ person_id: intoId })
      .where('tenant_id', '=', tenantId)
      .where('person_id', '=', fromId)
      .execute();
    await db.deleteFrom('people').where('tenant_id', '=', tenantId).where('id', '=', fromId).execute();
    await db.updateTable('people').set({ updated_at: new Date() }).where('id', '=', intoId).execute();
  },

  /** Moves one appearance to another person of the tenant; false when it is not this person's. */
  async moveAppearance(
    db: Executor,
    tenantId: string,
    fromPersonId: string,
    appearanceId: string,
    toPersonId: string,
  ): Promise<boolean> {
    const r = await db
      .updateTable('face_appearances')
      .set({ person_id: toPersonId })
      .where('tenant_id', '=', tenantId)
      .where('person_id', '=', fromPersonId)
      .where('id', '=', appearanceId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** Forgets a person: their appearances (descriptions) and segments go with them (ON DELETE CASCADE). */
  async delete(db: Executor, tenantId: string, personId: string): Promise<boolean> {
    const r = await db
      .deleteFrom('people')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', personId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  /** Forgets a person left without appearances. */
  async deleteIfEmpty(db: Executor, tenantId: string, personId: string): Promise<void> {
    await sql`
      DELETE FROM people p WHERE p.tenant_id = ${tenantId} AND p.id = ${personId}
        AND NOT EXISTS (SELECT 1 FROM face_appearances f WHERE f.person_id = p.id)`.execute(db);
  },

  /** Replaces a person's search segments (kind `person`) with `rows`. */
  async replaceSegments(db: Executor, personId: string, rows: readonly NewSegment[]): Promise<void> {
    await db.deleteFrom('media_segments').where('person_id', '=', personId).execute();
    if (rows.length === 0) return;
    await db
      .insertInto('media_segments')
      .values(
        rows.map((r) => ({
          analysis_id: r.analysisId,
          tenant_id: r.tenantId,
          kind: r.kind,
          start_seconds: r.startSeconds,
          end_seconds: r.endSeconds,
          page: r.page,
          text: r.text,
          embedding: r.embedding,
          code: r.code,
          magnitude: r.magnitude,
          keyframe: r.keyframe,
          person_id: personId,
        })),
      )
      .execute();
  },
};

export type PeopleRepository = typeof peopleRepository;
