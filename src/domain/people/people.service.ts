/**
 * People: groups a tenant's face appearances into people as analyses complete, and the
 * tenant's operations on them (list, show, rename, merge, remove a face, forget).
 *
 * Grouping is conservative — a wrong merge is worse than a split: a new appearance joins
 * a person only when its description is at least `sameAt` (the calibrated same-person
 * similarity, PEOPLE_CALIBRATION) from one of that person's appearances, when exactly one
 * person is that close, and never a person already on screen at the same time in the same
 * analysis (two faces in one frame are two people). Otherwise it starts a new person.
 *
 * The candidates come from a fast path (every appearance of the tenant held in memory as
 * sign bits and int8 sketches, scanned in that order; face-index.ts), then are compared
 * exactly on their full vectors read back from PostgreSQL. A named person's appearances are indexed for search as segments of kind
 * `person` ("<name> appears"), re-written whenever the name or the appearances change.
 */
import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.ts';
import type { Db } from '../../persistence/database.ts';
import type { PeopleRepository } from '../../persistence/people.repository.ts';
import type { NewSegment } from '../../contract/segment.types.ts';
import type { Embedder } from '../../nlp/embedder.ts';
import { magnitudeCode, quantizeInt8, signCode } from '../../nlp/vector-codec.ts';
import { overlaps, type AppearanceDraft } from './appearances.ts';
import { cosine, sketch, unitVector, vectorBytes, vectorFromBytes } from './face-vector.ts';
import { FaceIndex, PREFILTER } from './face-index.ts';
import type { Appearance, Person } from '../../contract/people.types.ts';

/** Candidates the fast path hands to the exact comparison (bench/people.bench.ts measures its recall). */
export const MATCH_CANDIDATES = 64;

export interface PeopleServiceDeps {
  db: Db;
  people: PeopleRepository;
  /** Embeds a named person's segments (called on first use); without one, names are not indexed for search. */
  embedder?: (() => Embedder) | undefined;
  /** Same-person cosine similarity (PEOPLE_CALIBRATION.samePerson). */
  sameAt: number;
  /** Floor of a suggestion, "possibly the same person" (PEOPLE_CALIBRATION.suggestAt; default: sameAt). */
  suggestAt?: number | undefined;
}

/** Another person who may be the same human, for someone to confirm with a merge. */
export interface Suggestion {
  person: Person;
  /** The closest pair of faces, one of each (cosine similarity of their descriptions). */
  similarity: number;
}

/** A person's faces a suggestion compares (their largest first): enough for a person seen in many analyses. */
const SUGGESTION_FACES = 24;

/** An appearance the pipeline found, ready to be grouped. */
export interface AppearanceToGroup extends AppearanceDraft {
  page: number | null;
  thumbnailFileId: string | null;
  /** A photograph (no time): its appearance has no start and end. */
  still: boolean;
}

export interface GroupedAppearance {
  appearanceId: string;
  personId: string;
  /** A new person was started for it. */
  created: boolean;
  /** Best similarity to an existing person (null when there was none to compare). */
  similarity: number | null;
  startSeconds: number | null;
  endSeconds: number | null;
}

/** Bytes of face indexes kept in memory across tenants (a tenant's 100,000 faces take about 30 MB). */
const INDEX_CACHE_BYTES = 256 * 1024 * 1024;

export class PeopleService {
  private readonly deps: PeopleServiceDeps;
  /** The fast path's index per tenant (face-index.ts), caught up with the database before each use. */
  private readonly indexes = new LRUCache<string, FaceIndex>({
    maxSize: INDEX_CACHE_BYTES,
    sizeCalculation: (index) => Math.max(1, index.bytes),
  });

  constructor(deps: PeopleServiceDeps) {
    this.deps = deps;
  }

  /** The tenant's index, caught up with what was stored since the last call (one indexed query). */
  private async tenantIndex(db: Parameters<PeopleRepository['sketchesAfter']>[0], tenantId: string) {
    const index = this.indexes.get(tenantId) ?? new FaceIndex();
    const page = await this.deps.people.sketchesAfter(db, tenantId, index.lastId);
    index.append(page.ids, page.sketches);
    // (Re-)set: a new index is kept, and a grown one is weighed again.
    if (page.ids.length > 0 || !this.indexes.has(tenantId)) this.indexes.set(tenantId, index);
    return index;
  }

  /**
   * Stores an analysis' appearances, each joined to a person of the tenant or to a new
   * one, in one transaction under the tenant's lock; then re-indexes named people who
   * gained appearances.
   */
  async group(
    analysis: { id: string; tenantId: string },
    drafts: readonly AppearanceToGroup[],
  ): Promise<GroupedAppearance[]> {
    const { people, sameAt } = this.deps;
    const tenantId = analysis.tenantId;
    const out = await this.deps.db.transaction().execute(async (trx) => {
      await people.lockTenant(trx, tenantId);
      const known = await this.tenantIndex(trx, tenantId);
      const assigned: Array<GroupedAppearance & { vector: Float32Array; picture: number }> = [];
      for (const draft of drafts) {
        const unit = unitVector(draft.best.vector);
        const own = sketch(unit);
        // Fast path over what was stored before, exact over this analysis' own.
        const stored = await people.vectors(trx, tenantId, known.candidates(own, MATCH_CANDIDATES));
        const best = new Map<string, number>();
        const consider = (personId: string, similarity: number) =>
          best.set(personId, Math.max(best.get(personId) ?? -1, similarity));
        for (const s of stored) consider(s.personId, cosine(unit, vectorFromBytes(s.vector)));
        for (const a of assigned) consider(a.personId, cosine(unit, a.vector));
        const times = draft.still
          ? { startSeconds: null, endSeconds: null }
          : { startSeconds: draft.startSeconds, endSeconds: draft.endSeconds };
        // Two people on screen at once (or in one picture) are two people.
        const here = { ...times, picture: draft.best.picture };
        for (const a of assigned) if (overlaps(a, here)) best.delete(a.personId);
        const close = [...best].filter(([, s]) => s >= sameAt).sort((a, b) => b[1] - a[1]);
        const top = [...best.values()].reduce((m, s) => Math.max(m, s), -1);
        const created = close.length !== 1;
        const personId = created ? await people.createPerson(trx, tenantId) : close[0]![0];
        const [appearanceId] = await people.insertAppearances(trx, [
          {
            tenantId,
            personId,
            analysisId: analysis.id,
            ...times,
            page: draft.page,
            shot: draft.shot,
            frames: draft.frames,
            box: draft.best.box,
            quality: draft.best.px,
            vector: vectorBytes(unit),
            sketch: own,
            thumbnailFileId: draft.thumbnailFileId,
          },
        ]);
        assigned.push({
          appearanceId: appearanceId!,
          personId,
          created,
          similarity: best.size > 0 ? Math.round(top * 1000) / 1000 : null,
          ...times,
          vector: unit,
          picture: draft.best.picture,
        });
      }
      return assigned.map(({ vector: _vector, picture: _picture, ...rest }) => rest);
    });
    for (const personId of new Set(out.filter((a) => !a.created).map((a) => a.personId)))
      await this.reindex(tenantId, personId);
    return out;
  }

  list(tenantId: string, limit: number, offset: number): Promise<{ people: Person[]; total: number }> {
    return this.deps.people.list(this.deps.db, tenantId, limit, offset);
  }

  async get(tenantId: string, personId: string): Promise<{ person: Person; appearances: Appearance[] }> {
    const person = await this.deps.people.get(this.deps.db, tenantId, personId);
    if (!person) throw notFound(personId);
    return { person, appearances: await this.deps.people.appearances(this.deps.db, tenantId, personId) };
  }

  /** Names (or, with null, un-names) a person; their appearances become searchable by the name. */
  async rename(tenantId: string, personId: string, name: string | null): Promise<Person> {
    const clean = name === null ? null : name.trim().replace(/\s+/g, ' ');
    if (clean === '') throw new AppError('VALIDATION_FAILED', 'name: must hold a letter', { errors: [] });
    if (!(await this.deps.people.rename(this.deps.db, tenantId, personId, clean))) throw notFound(personId);
    await this.reindex(tenantId, personId);
    return (await this.deps.people.get(this.deps.db, tenantId, personId))!;
  }

  /** Moves every face of `otherId` to `personId`, and forgets `otherId`. */
  async merge(tenantId: string, personId: string, otherId: string): Promise<Person> {
    if (personId === otherId) throw new AppError('PERSON_MERGE_SELF', `Person ${personId} cannot absorb themselves`);
    const { people, db } = this.deps;
    await db.transaction().execute(async (trx) => {
      await people.lockTenant(trx, tenantId);
      const [into, from] = await Promise.all([people.get(trx, tenantId, personId), people.get(trx, tenantId, otherId)]);
      if (!into) throw notFound(personId);
      if (!from) throw notFound(otherId);
      // The survivor keeps its name; an unnamed survivor takes the other's.
      if (!into.name && from.name) await people.rename(trx, tenantId, personId, from.name);
      await people.merge(trx, tenantId, personId, otherId);
    });
    await this.reindex(tenantId, personId);
    return (await people.get(db, tenantId, personId))!;
  }

  /** Takes one face (appearance) away from a person (a wrong match): it becomes a person of its own. */
  async removeFace(
    tenantId: string,
    personId: string,
    faceId: string,
  ): Promise<{ person: Person | null; newPerson: Person }> {
    const { people, db } = this.deps;
    const newId = await db.transaction().execute(async (trx) => {
      await people.lockTenant(trx, tenantId);
      if (!(await people.get(trx, tenantId, personId))) throw notFound(personId);
      const created = await people.createPerson(trx, tenantId);
      if (!/^\d+$/.test(faceId) || !(await people.moveAppearance(trx, tenantId, personId, faceId, created)))
        throw new AppError('FACE_NOT_FOUND', `Person ${personId} has no face ${faceId}`);
      await people.deleteIfEmpty(trx, tenantId, personId);
      return created;
    });
    const person = await people.get(db, tenantId, personId);
    if (person) await this.reindex(tenantId, personId);
    return { person, newPerson: (await people.get(db, tenantId, newId))! };
  }

  /** Forgets a person: their face descriptions, thumbnails' links and search segments. */
  async forget(tenantId: string, personId: string): Promise<void> {
    if (!(await this.deps.people.delete(this.deps.db, tenantId, personId))) throw notFound(personId);
  }

  /**
   * People who may be this person: grouping joins two faces only at `sameAt` (a wrong merge
   * is worse than a split), so the same human in two unrelated photographs usually stays two
   * people. Here every other person with a face at least `suggestAt` alike to one of this
   * person's faces (the SUGGESTION_FACES largest) is offered, closest first — except one on
   * screen together with this person (the same picture or page, or overlapping times in the
   * same analysis: two faces seen at once are two people). The pictures of one DOCX have
   * neither page nor time, so two people of one DOCX count as together and are not offered.
   */
  async suggestions(tenantId: string, personId: string, limit: number): Promise<Suggestion[]> {
    const { people, db } = this.deps;
    const floor = this.deps.suggestAt ?? this.deps.sameAt;
    if (!(await people.get(db, tenantId, personId))) throw notFound(personId);
    const own = await people.appearances(db, tenantId, personId);
    const ownIds = new Set(own.map((a) => a.id));
    const largest = [...own].sort((a, b) => b.quality - a.quality).slice(0, SUGGESTION_FACES);
    const mine = (
      await people.vectors(
        db,
        tenantId,
        largest.map((a) => a.id),
      )
    ).map((m) => vectorFromBytes(m.vector));
    const index = await this.tenantIndex(db, tenantId);
    // The person's own faces are the nearest to each other: ask for enough to see past them.
    const k = Math.min(PREFILTER, MATCH_CANDIDATES + own.length);
    const proposedBy = new Map<string, number[]>();
    mine.forEach((unit, m) => {
      for (const id of index.candidates(sketch(unit), k))
        if (!ownIds.has(id)) proposedBy.set(id, [...(proposedBy.get(id) ?? []), m]);
    });
    const best = new Map<string, number>();
    for (const other of await people.vectors(db, tenantId, [...proposedBy.keys()])) {
      if (other.personId === personId) continue;
      const theirs = vectorFromBytes(other.vector);
      for (const m of proposedBy.get(other.id) ?? []) {
        const similarity = cosine(mine[m]!, theirs);
        if (similarity >= floor) best.set(other.personId, Math.max(best.get(other.personId) ?? -1, similarity));
      }
    }
    const out: Suggestion[] = [];
    // People who turn out to be on screen with this one are skipped; a few more are looked at.
    for (const [otherId, similarity] of [...best].sort((a, b) => b[1] - a[1]).slice(0, 4 * limit)) {
      if (out.length >= limit) break;
      const [person, theirs] = await Promise.all([
        people.get(db, tenantId, otherId),
        people.appearances(db, tenantId, otherId),
      ]);
      if (!person || theirs.some((t) => own.some((o) => together(o, t)))) continue;
      out.push({ person, similarity: Math.round(similarity * 1000) / 1000 });
    }
    return out;
  }

  /** Named people on screen in one analysis, and when (for the answer without a provider). */
  namedInAnalysis(tenantId: string, analysisId: string) {
    return this.deps.people.namedInAnalysis(this.deps.db, tenantId, analysisId);
  }

  /** Re-writes a person's search segments: one per appearance, "<name> appears", when named. */
  private async reindex(tenantId: string, personId: string): Promise<void> {
    const { people, db, embedder } = this.deps;
    const person = await people.get(db, tenantId, personId);
    if (!person?.name || !embedder) {
      await people.replaceSegments(db, personId, []);
      return;
    }
    const appearances = await people.appearances(db, tenantId, personId);
    const text = `${person.name} appears`;
    const [vector] = await embedder().embed([text]);
    const embedding = quantizeInt8(vector!);
    const rows: NewSegment[] = appearances.map((a) => ({
      analysisId: a.analysisId,
      tenantId,
      kind: 'person',
      startSeconds: a.startSeconds,
      endSeconds: a.endSeconds,
      page: a.page,
      text,
      embedding,
      code: signCode(vector!),
      magnitude: magnitudeCode(embedding),
      keyframe: null,
    }));
    await people.replaceSegments(db, personId, rows);
  }
}

/**
 * Two appearances seen at once: the same analysis, and the same picture (or page) or times
 * that meet — a face seen on one frame only starts and ends at that frame's time (as
 * `overlaps` in appearances.ts, which grouping applies).
 */
function together(a: Appearance, b: Appearance): boolean {
  if (a.analysisId !== b.analysisId) return false;
  if (a.startSeconds === null || b.startSeconds === null || a.endSeconds === null || b.endSeconds === null)
    return a.startSeconds === b.startSeconds && a.page === b.page;
  return a.startSeconds <= b.endSeconds && b.startSeconds <= a.endSeconds;
}

function notFound(id: string): AppError {
  return new AppError('PERSON_NOT_FOUND', `No person with id ${id}`);
}
