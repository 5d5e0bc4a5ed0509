import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { allThresholds } from './calibration.ts';

interface Chosen {
  key: string;
  chosen: number;
  figure: string;
}

function chosenByEvaluation(): Map<string, Chosen> {
  const file = path.resolve(import.meta.dirname, '../../../bench/results/quality.json');
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    capabilities: Record<string, { thresholds: Chosen[] }>;
  };
  return new Map(Object.values(results.capabilities).flatMap((c) => c.thresholds.map((t) => [t.key, t])));
}

test('every threshold in the product is the one the last evaluation chose, with its figure', () => {
  const chosen = chosenByEvaluation();
  const product = allThresholds();
  assert.ok(Object.keys(product).length > 0, 'no calibrated threshold at all');
  for (const [key, t] of Object.entries(product)) {
    const c = chosen.get(key);
    assert.ok(c, `${key} is not in bench/results/quality.json: run npm run eval`);
    assert.equal(t.value, c.chosen, `${key}: product ${t.value}, evaluation chose ${c.chosen}`);
    assert.equal(t.chosenOn, c.figure, `${key}: the figure beside it is not the evaluation's`);
  }
  for (const key of chosen.keys()) assert.ok(key in product, `${key} was chosen by the evaluation but is not used`);
});
