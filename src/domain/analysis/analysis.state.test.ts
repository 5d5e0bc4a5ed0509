import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSITIONS, canTransition, isTerminal, type TransitionName } from './analysis.state.ts';
import { ANALYSIS_STATUSES, type AnalysisStatus } from '../../contract/analysis.types.ts';

const allowed: Record<TransitionName, AnalysisStatus[]> = {
  start: ['pending'],
  requeue: ['processing'],
  complete: ['processing'],
  fail: ['pending', 'processing'],
  cancel: ['pending', 'processing'],
  retry: ['failed', 'cancelled'],
  retry_partial: ['completed'],
  delete: ['pending', 'processing', 'completed', 'failed', 'cancelled'],
};

for (const name of Object.keys(TRANSITIONS) as TransitionName[]) {
  test(`transition ${name}: allowed exactly from ${allowed[name].join('|')}`, () => {
    for (const s of ANALYSIS_STATUSES)
      assert.equal(canTransition(s, name), allowed[name].includes(s), `${s} --${name}-->`);
  });
}

test('nothing leaves deleted; terminal statuses', () => {
  for (const name of Object.keys(TRANSITIONS) as TransitionName[]) assert.equal(canTransition('deleted', name), false);
  assert.deepEqual(ANALYSIS_STATUSES.filter(isTerminal), ['completed', 'failed', 'cancelled', 'deleted']);
});
