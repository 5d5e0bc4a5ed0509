import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickSheetFrames } from './contact-sheet.stage.ts';
import type { ExtractedFrame } from '../stage.ts';
import type { Shot } from '../../media/shots.ts';

const frame = (seconds: number, shot: number): ExtractedFrame => ({
  seconds,
  shot,
  absolutePath: `/f/${seconds}.jpg`,
  relativePath: `${seconds}.jpg`,
});

test('the sheet shows every scene before a second frame of any', () => {
  // Six shots of 10 s: scenes A B C A B C; two frames in each of A's shots.
  const shots: Shot[] = [0, 1, 2, 0, 1, 2].map((scene, i) => ({
    index: i,
    start: i * 10,
    end: (i + 1) * 10,
    cut_score: i === 0 ? 100 : 40 - i,
    keyframe_seconds: i * 10 + 5,
    scene,
  }));
  const frames = [frame(2, 0), frame(7, 0), frame(32, 3), frame(37, 3), frame(15, 1), frame(25, 2)];
  const sceneOf = (f: ExtractedFrame) => shots[f.shot!]!.scene;
  const three = pickSheetFrames(frames, 3, shots);
  assert.deepEqual(new Set(three.map(sceneOf)), new Set([0, 1, 2]));
  assert.deepEqual(
    three.map((f) => f.seconds),
    [2, 15, 25],
    'in time order',
  );
  assert.equal(pickSheetFrames(frames, 4, shots).length, 4);
  assert.equal(pickSheetFrames(frames, 10, shots).length, 6, 'fewer frames than tiles: all of them');
});
