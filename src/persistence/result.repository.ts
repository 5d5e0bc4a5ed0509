/** media_analysis_results: one row per model call (answer or transcription). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface NewResult {
  analysisId: string;
  provider: string;
  model: string;
  promptUsed: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
  confidence: number | null;
  finishReason: string | null;
  answer: string | null;
  metadata: Record<string, unknown>;
}

export const resultRepository = {
  async insert(db: Kysely<Database>, r: NewResult): Promise<string> {
    const row = await db
      .insertInto('media_analysis_results')
      .values({
        analysis_id: r.analysisId,
        provider: r.provider,
        model: r.model,
        prompt_used: r.promptUsed,
        input_tokens: r.inputTokens,
        output_tokens: r.outputTokens,
        cost_usd: r.costUsd.toFixed(6),
        latency_ms: r.latencyMs,
        confidence: r.confidence,
        finish_reason: r.finishReason,
        answer: r.answer,
        metadata: JSON.stringify(r.metadata),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  async forAnalysis(db: Kysely<Database>, analysisId: string) {
    return db
      .selectFrom('media_analysis_results')
      .selectAll()
      .where('analysis_id', '=', analysisId)
      .orderBy('created_at')
      .execute();
  },
};
