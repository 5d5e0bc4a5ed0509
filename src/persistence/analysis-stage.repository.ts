/**
 * analysis_stages: each stage's status within an analysis, written as it happens, and
 * the past runs that stall detection learns expected durations from.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.ts';
import type { AnalysisStage, MediaUnit, StageStatus } from '../contract/analysis-stage.types.ts';

type Db = Kysely<Database>;

/** Finished runs a learned duration is based on (the latest ones). */
export const LEARNING_WINDOW_RUNS = 200;
/** Fewer finished runs than this and nothing is learned yet. */
export const LEARNING_MIN_RUNS = 3;

const MAX_MESSAGE = 2000;
const MAX_REASON = 500;

export interface LearnedRate {
  /** Median milliseconds per unit over the latest finished runs. */
  msPerUnit: number;
  runs: number;
}

/** The stage columns the domain sees (`list`, and the status read's stages as JSON). */
interface StageColumns<T> {
  stage: string;
  status: string;
  reason: string | null;
  error_code: string | null;
  error_message: string | null;
  attempt: number;
  started_at: T | null;
  stalled_at: T | null;
  finished_at: T | null;
  duration_ms: number | null;
}

function toStage(r: StageColumns<Date>): AnalysisStage {
  return {
    stage: r.stage,
    status: r.status as StageStatus,
    reason: r.reason,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    attempt: r.attempt,
    startedAt: r.started_at,
    stalledAt: r.stalled_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  };
}

const jsonDate = (t: string | null) => (t === null ? null : new Date(t));

/**
 * Stages read as a JSON array of rows (`json_agg(s ORDER BY s.position)`, timestamps as
 * ISO text), mapped as `list` maps them: the status read takes them in the same round trip.
 */
export function stagesFromJson(rows: StageColumns<string>[]): AnalysisStage[] {
  return rows.map((r) =>
    toStage({
      ...r,
      started_at: jsonDate(r.started_at),
      stalled_at: jsonDate(r.stalled_at),
      finished_at: jsonDate(r.finished_at),
    }),
  );
}

/** SQL for the stages of analysis `id` as a JSON array in pipeline order ('[]' when none). */
export const stagesJsonSql = (id: RawBuilder<unknown>) =>
  sql<StageColumns<string>[]>`(SELECT coalesce(json_agg(s ORDER BY s.position), '[]'::json)
     FROM analysis_stages s WHERE s.analysis_id = ${id})`;

export const analysisStageRepository = {
  /** A new attempt: every planned stage back to pending (rows of an earlier attempt are reset). */
  async plan(db: Db, analysisId: string, tenantId: string, stages: readonly string[], attempt: number): Promise<void> {
    if (stages.length === 0) return;
    await db
      .insertInto('analysis_stages')
      .values(
        stages.map((stage, position) => ({
          analysis_id: analysisId,
          tenant_id: tenantId,
          stage,
          position,
          status: 'pending',
          attempt,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['analysis_id', 'stage']).doUpdateSet({
          position: (eb) => eb.ref('excluded.position'),
          status: 'pending',
          attempt: (eb) => eb.ref('excluded.attempt'),
          reason: null,
          error_code: null,
          error_message: null,
          units: null,
          unit: null,
          started_at: null,
          stalled_at: null,
          finished_at: null,
          duration_ms: null,
          updated_at: sql`now()`,
        }),
      )
      .execute();
  },

  async start(db: Db, analysisId: string, stage: string, work: { units: number; unit: MediaUnit } | null) {
    await db
      .updateTable('analysis_stages')
      .set({
        status: 'running',
        started_at: sql`now()`,
        units: work?.units ?? null,
        unit: work?.unit ?? null,
        updated_at: sql`now()`,
      })
      .where('analysis_id', '=', analysisId)
      .where('stage', '=', stage)
      .execute();
  },

  async done(db: Db, analysisId: string, stage: string, durationMs: number) {
    await finish(db, analysisId, stage, { status: 'done', duration_ms: durationMs });
  },

  async skipped(db: Db, analysisId: string, stage: string, reason: string) {
    await finish(db, analysisId, stage, { status: 'skipped', reason: reason.slice(0, MAX_REASON) });
  },

  async failed(db: Db, analysisId: string, stage: string, code: string, message: string, durationMs: number | null) {
    await finish(db, analysisId, stage, {
      status: 'failed',
      error_code: code,
      error_message: message.slice(0, MAX_MESSAGE),
      duration_ms: durationMs,
    });
  },

  /** Flag a running stage as stalled; false when it had already moved on. */
  async stalled(db: Db, analysisId: string, stage: string): Promise<boolean> {
    const r = await db
      .updateTable('analysis_stages')
      .set({ status: 'stalled', stalled_at: sql`now()`, updated_at: sql`now()` })
      .where('analysis_id', '=', analysisId)
      .where('stage', '=', stage)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  async list(db: Db, analysisId: string): Promise<AnalysisStage[]> {
    const rows = await db
      .selectFrom('analysis_stages')
      .selectAll()
      .where('analysis_id', '=', analysisId)
      .orderBy('position')
      .execute();
    return rows.map(toStage);
  },

  /** Median time per unit of the stage's latest finished runs, or null before enough runs. */
  async learnedRate(db: Db, stage: string, unit: MediaUnit): Promise<LearnedRate | null> {
    const r = await sql<{ ms_per_unit: number | null; runs: number }>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms / units) AS ms_per_unit,
             count(*)::int AS runs
      FROM (
        SELECT duration_ms, units FROM analysis_stages
        WHERE stage = ${stage} AND unit = ${unit} AND status = 'done' AND units > 0
        ORDER BY finished_at DESC
        LIMIT ${LEARNING_WINDOW_RUNS}
      ) latest`.execute(db);
    const row = r.rows[0];
    if (!row || row.ms_per_unit === null || row.runs < LEARNING_MIN_RUNS) return null;
    return { msPerUnit: Number(row.ms_per_unit), runs: row.runs };
  },
};

async function finish(
  db: Db,
  analysisId: string,
  stage: string,
  patch: {
    status: StageStatus;
    reason?: string;
    error_code?: string;
    error_message?: string;
    duration_ms?: number | null;
  },
): Promise<void> {
  await db
    .updateTable('analysis_stages')
    .set({ ...patch, finished_at: sql`now()`, updated_at: sql`now()` })
    .where('analysis_id', '=', analysisId)
    .where('stage', '=', stage)
    .execute();
}

export type AnalysisStageRepository = typeof analysisStageRepository;
