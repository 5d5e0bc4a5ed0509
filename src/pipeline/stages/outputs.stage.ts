/** Outputs: `result.json` (everything in `results`) and `summary.txt` under `outputs/{date}/{id}/`. */
import { resultSummary } from '../summary.ts';
import { storeArtifact } from '../artifacts.ts';
import type { Stage } from '../stage.ts';

export const outputsStage: Stage = {
  name: 'outputs',
  needs: ['intake'],
  produces: ['outputs', 'summary'],
  // result.json holds every section, so it is written last.
  final: true,
  optional: false,
  cost: 0,
  appliesTo: (ctx) => ctx.source !== null,
  async run(ctx) {
    const summary = resultSummary(ctx.results);
    ctx.results.summary = summary;
    const result = {
      analysis_id: ctx.analysis.id,
      prompt: ctx.analysis.prompt,
      media_type: ctx.analysis.mediaType,
      stages: ctx.timings ?? [],
      ...(ctx.failedStages?.length ? { partial: true, failed_stages: ctx.failedStages } : {}),
      ...ctx.results,
    };
    const json = await storeArtifact(
      ctx,
      'outputs',
      'result.json',
      JSON.stringify(result, null, 2),
      'application/json',
    );
    const txt = await storeArtifact(ctx, 'outputs', 'summary.txt', summary + '\n', 'text/plain; charset=utf-8');
    ctx.results.outputs = { result_json: json.relativePath, summary_txt: txt.relativePath };
  },
};
