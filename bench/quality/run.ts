/**
 * `npm run eval [capability …]`: runs the quality evaluations of the local findings and
 * merges them into bench/results/quality.json and quality.md. With no argument every
 * capability runs; with names only those (the others' results are kept as they were).
 */
import { machineFacts } from '../helpers/machine.ts';
import { provenance } from '../helpers/provenance.ts';
import { readResults, writeResults, type CapabilityReport } from './report.ts';

type Evaluator = () => Promise<CapabilityReport>;

/** Each capability's evaluator, loaded only when it runs. */
const EVALUATORS: Record<string, () => Promise<Evaluator>> = {
  search: async () => (await import('./search.eval.ts')).evaluate,
  vision: async () => (await import('./vision.eval.ts')).evaluate,
  shots: async () => (await import('./shots.eval.ts')).evaluate,
  text: async () => (await import('./text.eval.ts')).evaluate,
  speech: async () => (await import('./speech.eval.ts')).evaluate,
  people: async () => (await import('./people.eval.ts')).evaluate,
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(a in EVALUATORS));
  if (unknown.length)
    throw new Error(`unknown capability: ${unknown.join(', ')} (known: ${Object.keys(EVALUATORS).join(', ')})`);
  const names = asked.length ? asked : Object.keys(EVALUATORS);
  const machine = machineFacts();
  const results = readResults();
  for (const name of names) {
    process.stdout.write(`evaluating ${name}…\n`);
    const evaluate = await EVALUATORS[name]!();
    const report = await evaluate();
    results.capabilities[name] = { ...report, provenance: provenance() };
    const missed = report.metrics.filter((m) => m.met === false);
    process.stdout.write(
      `${name}: ${report.metrics.length} measures, ${missed.length} targets missed${missed.length ? ` (${missed.map((m) => `${m.split} ${m.name}`).join(', ')})` : ''}\n`,
    );
    results.machine = machine.finish();
    results.provenance = provenance();
    writeResults(results);
  }
}

await main();
