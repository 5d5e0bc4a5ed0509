/** visionMaterial's wording for shots and images where nothing was recognised (issue #22). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { visionMaterial } from './vision-summary.ts';
import type { VisionResults } from './vision.sections.ts';

const objects = (perShot: Array<{ shot: number; labels: Array<{ label: string; count: number }> }>) =>
  ({
    status: 'completed',
    model: 'test',
    min_score: 0.5,
    labels: [],
    per_shot: perShot.map((p) => ({ ...p, start: p.shot * 2, end: p.shot * 2 + 2 })),
    frames: [],
    notes: [],
  }) satisfies VisionResults['objects'];

test('visionMaterial(): a shot with nothing recognised gets no line that claims it', () => {
  const r: VisionResults = {
    shots: {
      status: 'completed',
      count: 2,
      items: [
        { index: 0, start: 0, end: 2, cut_score: 100, keyframe_seconds: 1 },
        { index: 1, start: 2, end: 4, cut_score: 40, keyframe_seconds: 3 },
      ],
      threshold: 0.3,
      pass_ms: 1,
    },
    objects: objects([
      { shot: 0, labels: [{ label: 'cup', count: 1 }] },
      { shot: 1, labels: [] },
    ]),
  };
  const text = visionMaterial(r);
  assert.match(text, /^Shot 1 \(0\.0-2\.0 s\): a cup$/m);
  assert.doesNotMatch(text, /nothing recognised/);
  assert.doesNotMatch(text, /Shot 2/);
});

test('visionMaterial(): an image where nothing was recognised has no "Seen" line', () => {
  assert.equal(visionMaterial({ objects: objects([]) }), '');
});
