import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSkin, skinShare } from './skin-share.ts';

/** A width×height RGB picture filled with `fill(x, y)`. */
function picture(width: number, height: number, fill: (x: number, y: number) => [number, number, number]) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(fill(x, y), (y * width + x) * 3);
  return data;
}

const SKIN: [number, number, number] = [224, 172, 140];
const SHIRT: [number, number, number] = [30, 60, 160];

test('the skin colour rule', () => {
  assert.equal(isSkin(...SKIN), true);
  assert.equal(isSkin(...SHIRT), false);
  assert.equal(isSkin(128, 128, 128), false, 'grey is not skin');
});

test('skin share inside the person boxes, else over the whole picture', () => {
  // Left half skin, right half shirt.
  const data = picture(20, 20, (x) => (x < 10 ? SKIN : SHIRT));
  assert.deepEqual(skinShare(data, 20, 20, []), { share: 0.5, region: 'picture' });
  assert.deepEqual(skinShare(data, 20, 20, [[0, 0, 0.5, 1]]), { share: 1, region: 'people' });
  assert.deepEqual(skinShare(data, 20, 20, [[0.5, 0, 0.5, 1]]), { share: 0, region: 'people' });
  // Two overlapping boxes count each pixel once.
  assert.deepEqual(
    skinShare(data, 20, 20, [
      [0, 0, 1, 1],
      [0, 0, 0.5, 1],
    ]),
    { share: 0.5, region: 'people' },
  );
});

test('a grey picture has no measurable skin (null), not "no skin"', () => {
  const grey = picture(8, 8, (x) => [x * 30, x * 30, x * 30]);
  assert.equal(skinShare(grey, 8, 8, []), null);
});
