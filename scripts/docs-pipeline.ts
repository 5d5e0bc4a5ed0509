/**
 * docs/pipeline.md's diagram and stage table, generated from the stage list the worker runs
 * (src/pipeline/pipeline.ts) through the same graph builder (src/pipeline/stage-graph.ts),
 * so the picture cannot disagree with the declaration. Written and checked by scripts/docs.ts.
 */
import { DEFAULT_STAGES } from '../src/pipeline/pipeline.ts';
import { buildStageGraph, stageLevels, type StageGraph } from '../src/pipeline/stage-graph.ts';
import type { StageName } from '../src/contract/analysis-stage.types.ts';

/** Everything `name` waits for, directly or through another stage. */
function ancestors(graph: StageGraph, name: StageName, seen = new Set<StageName>()): Set<StageName> {
  for (const w of graph.waitsFor.get(name) ?? []) {
    if (seen.has(w)) continue;
    seen.add(w);
    ancestors(graph, w, seen);
  }
  return seen;
}

/**
 * The waits worth drawing: a wait implied by another (outputs waits for answer, which
 * waits for probe) is left out. Solid: the stage needs a section of the other; dotted: it
 * only uses it when present (or, for a final stage, runs after everything).
 */
export function diagramEdges(graph: StageGraph): { from: string; to: string; kind: 'needs' | 'uses' }[] {
  const edges: { from: string; to: string; kind: 'needs' | 'uses' }[] = [];
  for (const stage of graph.stages) {
    const waits = graph.waitsFor.get(stage.name) ?? [];
    for (const w of waits) {
      const implied = waits.some((other) => other !== w && ancestors(graph, other).has(w));
      if (implied) continue;
      const needed = stage.needs.some((section) => graph.producerOf.get(section) === w);
      edges.push({ from: w, to: stage.name, kind: needed ? 'needs' : 'uses' });
    }
  }
  return edges;
}

/** The generated part of docs/pipeline.md: a Mermaid flowchart and a table of the declaration. */
export function renderPipeline(stages = DEFAULT_STAGES): string {
  const graph = buildStageGraph(stages);
  const out = ['```mermaid', 'flowchart LR'];
  for (const e of diagramEdges(graph)) out.push(`  ${e.from} ${e.kind === 'needs' ? '-->' : '-.->'} ${e.to}`);
  out.push('```', '');
  out.push(
    'Solid arrow: the stage needs a section the other produces (it is skipped when that stage ' +
      'failed or was skipped); dotted: it uses the section when there is one. Waits implied by ' +
      'another arrow are not drawn.',
    '',
    `Stages that can run side by side (same depth): ${stageLevels(graph)
      .map((level) => level.map((n) => `\`${n}\``).join(', '))
      .join(' → ')}.`,
    '',
    '| stage | needs | uses when present | produces | a failure |',
    '|---|---|---|---|---|',
  );
  const list = (xs: readonly string[] | undefined) =>
    xs && xs.length > 0 ? xs.map((x) => `\`${x}\``).join(', ') : '–';
  for (const s of graph.stages) {
    const failure = s.final
      ? 'fails the analysis (runs last)'
      : s.optional
        ? 'leaves it `partial`'
        : 'fails the analysis';
    out.push(`| \`${s.name}\` | ${list(s.needs)} | ${list(s.uses)} | ${list(s.produces)} | ${failure} |`);
  }
  return out.join('\n');
}
