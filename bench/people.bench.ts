/**
 * `npm run bench:people`: matching a new face against a tenant's people at 100,000 stored
 * faces (appearances) in a real PostgreSQL database, through the PeopleService the
 * pipeline uses — the fast path (face-index.ts: the sign bits of every sketch of the tenant
 * scanned in memory, the PREFILTER closest re-ranked on their int8 sketches, the
 * MATCH_CANDIDATES best compared exactly on their float vectors read back from
 * PostgreSQL) — and its recall against an exact comparison with every stored vector.
 * `candidates_ms` times the in-memory part alone; `match_ms` the whole match with its
 * database work (lock, catch-up, candidates' vectors, insert).
 *
 * The stored faces are synthetic but shaped like faceres's: 20,000 people, each a random
 * mix of the 40 real descriptions in @vladmandic/human's faces.json plus non-negative
 * noise, and five faces per person around it. Queries are new faces of stored people
 * (the match must be found) and of people never stored (nothing may be joined). Writes
 * bench/results/people.json (with its provenance: date, commit, load, command).
 */
import { writeBenchResults } from './helpers/provenance.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { createDatabase } from '../src/persistence/database.ts';
import { migrateToLatest } from '../src/persistence/migrator.ts';
import { loadConfig } from '../src/config/config.ts';
import { peopleRepository } from '../src/persistence/people.repository.ts';
import { PeopleService, MATCH_CANDIDATES } from '../src/domain/people/people.service.ts';
import { cosine, sketch, unitVector, vectorBytes } from '../src/domain/people/face-vector.ts';
import { FaceIndex, PREFILTER } from '../src/domain/people/face-index.ts';
import { PEOPLE_CALIBRATION } from '../src/domain/analysis/calibration.ts';
import type { DescribedFace } from '../src/domain/people/appearances.ts';
import { machineFacts } from './helpers/machine.ts';

const FACES = Number(process.env.PEOPLE_BENCH_FACES ?? 100_000);
const FACES_PER_PERSON = 5;
/** Spread of a person's faces around them (per component, before the length is normalised). */
const FACE_NOISE = 0.15;
const QUERIES = Number(process.env.PEOPLE_BENCH_QUERIES ?? 100);
/** Times every sketch of the tenant is read (what a process's first match pays), for its median. */
const FULL_READS = 3;
/** Prefixes of the candidate list whose recall is reported too (could fewer candidates do?). */
const CANDIDATE_PREFIXES = [4, 16];
const TENANT = 'bench-people';
const DB_NAME = 'ma_people_bench';
const BASE = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/postgres';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const real = (
  JSON.parse(readFileSync(path.resolve('node_modules/@vladmandic/human/demo/facematch/faces.json'), 'utf8')) as Array<{
    embedding: number[];
  }>
).map((d) => d.embedding);
const rand = prng(23);

function personCentre(): Float32Array {
  const out = new Float32Array(1024);
  const picks = [0, 1, 2].map(() => real[Math.floor(rand() * real.length)]!);
  const w = [rand(), rand(), rand()];
  for (let i = 0; i < 1024; i++) out[i] = picks.reduce((s, p, k) => s + p[i]! * w[k]!, 0) + rand() ** 4 * 3;
  return out;
}

function faceOf(centre: Float32Array, noise: number): Float32Array {
  const out = new Float32Array(1024);
  for (let i = 0; i < 1024; i++) out[i] = Math.max(0, centre[i]! + (rand() - 0.5) * noise);
  return unitVector(out);
}

async function main(): Promise<void> {
  const machine = machineFacts();
  const admin = new pg.Client({ connectionString: BASE });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME}`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  const url = new URL(BASE);
  url.pathname = `/${DB_NAME}`;
  const handle = createDatabase(url.toString(), loadConfig({}).database);
  try {
    await migrateToLatest(handle.db as unknown as Kysely<unknown>, handle.pool);
    const { rows } = await handle.pool.query<{ id: string }>(
      `INSERT INTO media_analysis_requests (correlation_id, prompt, prompt_hash, source_url, media_type, status, tenant_id)
       VALUES ('bench', 'people', repeat('a', 64), 'https://media.example.com/x', 'video', 'processing', $1) RETURNING id`,
      [TENANT],
    );
    const analysisId = rows[0]!.id;

    process.stdout.write(`seeding ${FACES.toLocaleString()} faces…\n`);
    let t = performance.now();
    const centres: Float32Array[] = [];
    const stored: Float32Array[] = [];
    const storedPerson: number[] = [];
    const sketches: Buffer[] = [];
    const PEOPLE_PER_BATCH = 400;
    for (let first = 0; first * FACES_PER_PERSON < FACES; first += PEOPLE_PER_BATCH) {
      const ids: string[] = [];
      for (let p = first; p < first + PEOPLE_PER_BATCH && p * FACES_PER_PERSON < FACES; p++) ids.push(randomUUID());
      await handle.db
        .insertInto('people')
        .values(ids.map((id) => ({ id, tenant_id: TENANT })))
        .execute();
      const batch = [];
      for (const [k, personId] of ids.entries()) {
        const centre = personCentre();
        centres.push(centre);
        for (let f = 0; f < FACES_PER_PERSON; f++) {
          const v = faceOf(centre, FACE_NOISE);
          const code = sketch(v);
          stored.push(v);
          storedPerson.push(first + k);
          sketches.push(code);
          batch.push({
            tenantId: TENANT,
            personId,
            analysisId,
            startSeconds: f,
            endSeconds: f + 1,
            page: null,
            shot: f,
            frames: 1,
            box: [0.1, 0.1, 0.2, 0.2] as [number, number, number, number],
            quality: 100,
            vector: vectorBytes(v),
            sketch: code,
            thumbnailFileId: null,
          });
        }
      }
      await peopleRepository.insertAppearances(handle.db, batch);
      if (stored.length % 20_000 === 0) process.stdout.write(`  ${stored.length.toLocaleString()}\n`);
    }
    await sql`VACUUM ANALYZE face_appearances`.execute(handle.db);
    const seedSeconds = (performance.now() - t) / 1000;

    const service = new PeopleService({
      db: handle.db,
      people: peopleRepository,
      sameAt: PEOPLE_CALIBRATION.samePerson.value,
    });
    const times: number[] = [];
    const loadTimes: number[] = [];
    let exactBestFound = 0;
    let exactPersonFound = 0;
    // The same index the service holds (ids here are positions in `stored`).
    const index = new FaceIndex();
    index.append(
      stored.map((_, i) => String(i)),
      Buffer.concat(sketches),
    );
    const candidateTimes: number[] = [];
    const vectorReadTimes: number[] = [];
    /** Queries of stored people whose exact best face is among the first k candidates. */
    const bestAmongFirst = new Map<number, number>(CANDIDATE_PREFIXES.map((k) => [k, 0]));
    // Database ids in the order the faces were stored (one insert per batch keeps the order).
    const { rows: idRows } = await handle.pool.query<{ id: string }>(
      'SELECT id::text AS id FROM face_appearances WHERE tenant_id = $1 ORDER BY id',
      [TENANT],
    );
    let decisionsAgree = 0;
    let knownJoined = 0;
    let strangersJoined = 0;
    for (let q = 0; q < QUERIES; q++) {
      const known = q % 2 === 0;
      const person = Math.floor(rand() * centres.length);
      const v = known ? faceOf(centres[person]!, FACE_NOISE) : faceOf(personCentre(), FACE_NOISE);
      // Exact: every stored vector, each person's best, and the service's rule (exactly one person close enough).
      let bestIndex = -1;
      let best = -1;
      const perPerson = new Map<number, number>();
      for (let i = 0; i < stored.length; i++) {
        const s = cosine(v, stored[i]!);
        if (s > best) [best, bestIndex] = [s, i];
        perPerson.set(storedPerson[i]!, Math.max(perPerson.get(storedPerson[i]!) ?? -1, s));
      }
      // The fast path's candidates (the same scan the service runs): do they hold the exact best face, and its person?
      const c = performance.now();
      const picks = index.candidates(sketch(v), MATCH_CANDIDATES).map(Number);
      candidateTimes.push(performance.now() - c);
      if (known && picks.includes(bestIndex)) exactBestFound++;
      for (const k of CANDIDATE_PREFIXES)
        if (known && picks.slice(0, k).includes(bestIndex)) bestAmongFirst.set(k, bestAmongFirst.get(k)! + 1);
      // The exact check's read: the candidates' vectors from PostgreSQL.
      const r = performance.now();
      await peopleRepository.vectors(
        handle.db,
        TENANT,
        picks.map((i) => idRows[i]!.id),
      );
      vectorReadTimes.push(performance.now() - r);
      if (known && picks.some((i) => storedPerson[i] === storedPerson[bestIndex])) exactPersonFound++;
      const exactClose = [...perPerson.values()].filter((s) => s >= PEOPLE_CALIBRATION.samePerson.value).length;
      if (q < FULL_READS) {
        const l = performance.now();
        await peopleRepository.sketchesAfter(handle.db, TENANT, '0');
        loadTimes.push(performance.now() - l);
      }
      const draft: DescribedFace = {
        picture: 0,
        seconds: 0,
        shot: null,
        box: [0, 0, 0.2, 0.2],
        px: 100,
        score: 0.9,
        vector: v,
      };
      t = performance.now();
      const [grouped] = await service.group({ id: analysisId, tenantId: TENANT }, [
        {
          shot: null,
          startSeconds: 0,
          endSeconds: 0,
          frames: 1,
          best: draft,
          faces: [draft],
          page: null,
          thumbnailFileId: null,
          still: true,
        },
      ]);
      times.push(performance.now() - t);
      const exactJoins = exactClose === 1;
      if (exactJoins === !grouped!.created) decisionsAgree++;
      if (known && !grouped!.created) knownJoined++;
      if (!known && !grouped!.created) strangersJoined++;
      // Keep the stored set as it is for the next query.
      await handle.db.deleteFrom('face_appearances').where('id', '=', grouped!.appearanceId).execute();
      if (grouped!.created) await handle.db.deleteFrom('people').where('id', '=', grouped!.personId).execute();
    }
    // Nearest rank; the first match of the process (which reads every sketch) is reported apart.
    const pctOf = (list: number[]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return (p: number) =>
        Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! * 10) / 10;
    };
    const pct = pctOf(times.slice(1));
    const cpct = pctOf(candidateTimes);
    const vpct = pctOf(vectorReadTimes);
    const report = {
      what: 'match one new face against a tenant of stored faces through PeopleService.group (lock, catching up the in-memory index, bit scan, int8 re-rank, exact check of the candidates read from PostgreSQL, insert), real PostgreSQL; match_ms leaves out the first match of the process (first_match_ms), which reads every sketch of the tenant; candidates_ms is the in-memory fast path alone; candidate_vectors_read_ms the exact check’s read of the candidates’ vectors; full_sketch_read_ms is reading all the tenant sketches from PostgreSQL',
      faces: stored.length,
      people: centres.length,
      prefilter: PREFILTER,
      candidates: MATCH_CANDIDATES,
      same_person_similarity: PEOPLE_CALIBRATION.samePerson.value,
      queries: QUERIES,
      match_ms: { p50: pct(0.5), p95: pct(0.95), max: pct(1) },
      candidates_ms: { p50: cpct(0.5), p95: cpct(0.95), max: cpct(1) },
      candidate_vectors_read_ms: { p50: vpct(0.5), p95: vpct(0.95), max: vpct(1) },
      first_match_ms: Math.round(times[0]! * 10) / 10,
      full_sketch_read_ms_p50:
        Math.round([...loadTimes].sort((a, b) => a - b)[Math.floor(loadTimes.length / 2)]! * 10) / 10,
      recall_of_fast_path: {
        exact_best_face_among_candidates: exactBestFound / (QUERIES / 2),
        exact_best_person_among_candidates: exactPersonFound / (QUERIES / 2),
        over: 'the queries of stored people',
        exact_best_face_among_first: Object.fromEntries(
          [...bestAmongFirst].map(([k, n]) => [String(k), n / (QUERIES / 2)]),
        ),
        same_decision_as_exact: decisionsAgree / QUERIES,
        n: QUERIES,
      },
      known_people_joined: `${knownJoined}/${QUERIES / 2}`,
      strangers_joined: `${strangersJoined}/${QUERIES / 2}`,
      seed_seconds: Math.round(seedSeconds),
      data: `synthetic descriptors: each person a random mix of 3 of the 40 real faceres descriptions in faces.json plus sparse non-negative noise, 5 faces around it; queries: ${QUERIES / 2} new faces of stored people, ${QUERIES / 2} of people never stored`,
      machine: machine.finish(),
    };
    writeBenchResults('people', report);
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } finally {
    await handle.close();
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME}`);
    await admin.end();
  }
}

await main();
