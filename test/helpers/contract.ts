/**
 * Holds real analysis results to the results contract (src/contract). The contract is
 * open on the wire (a client must not break on a field added later), so here every object
 * schema is closed first: a stage that writes a field the contract does not declare, or
 * leaves out or mistypes one it does, fails the test that produced the results.
 */
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { AnalysisResultsSchema } from '../../src/contract/results.schema.ts';

type Node = { [key: string]: unknown };

/** A copy of `schema` in which every object with declared properties allows no others. */
export function closed<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(closed) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Node = {};
  for (const [k, v] of Object.entries(schema as Node)) out[k] = closed(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out as T;
}

const strictResults = closed(AnalysisResultsSchema) as TSchema;

/** Where `results` departs from the contract, one line per problem (empty when it conforms). */
export function contractProblems(results: unknown): string[] {
  if (Value.Check(strictResults, results)) return [];
  return [...Value.Errors(strictResults, results)].map(
    (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
  );
}
