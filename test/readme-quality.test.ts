/** docs/quality.md's table is the one generated from bench/results/quality.json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { currentBlock, renderQualityBlock } from '../scripts/readme-quality.ts';
import type { QualityResults } from '../bench/quality/report.ts';

test('the quality figures of docs/quality.md come from the results file (node scripts/readme-quality.ts)', () => {
  const root = path.resolve(import.meta.dirname, '..');
  const results = JSON.parse(fs.readFileSync(path.join(root, 'bench/results/quality.json'), 'utf8')) as QualityResults;
  const block = currentBlock(fs.readFileSync(path.join(root, 'docs/quality.md'), 'utf8'));
  assert.ok(block, 'docs/quality.md has the generated quality block');
  assert.ok(Object.keys(results.capabilities).length > 0, 'the results file holds measurements');
  assert.equal(block, renderQualityBlock(results));
});
