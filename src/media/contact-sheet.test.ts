import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { composeContactSheet, formatTimestamp, gridLayout, parseGrid } from './contact-sheet.ts';

test('grids are rows x columns', () => {
  assert.deepEqual(parseGrid('2x3'), { rows: 2, cols: 3 });
  assert.throws(() => parseGrid('0x3'));
  assert.throws(() => parseGrid('3'));
});

test('layout fills the sheet with equal tiles and gaps', () => {
  const tiles = gridLayout(3, 2, 1920, 1080, 8);
  assert.equal(tiles.length, 6);
  assert.deepEqual(tiles[0], { left: 8, top: 8, width: 629, height: 528 });
  assert.deepEqual(tiles[5], { left: 8 + 2 * 637, top: 8 + 536, width: 629, height: 528 });
  for (const t of tiles) assert.ok(t.left + t.width <= 1920 && t.top + t.height <= 1080);
  assert.throws(() => gridLayout(50, 50, 320, 240));
});

const stamps: Array<[number, string]> = [
  [0, '00:00:00.0'],
  [75.5, '00:01:15.5'],
  [3723.25, '01:02:03.3'],
];
for (const [s, out] of stamps) test(`formatTimestamp(${s})`, () => assert.equal(formatTimestamp(s), out));

test('composition yields a JPEG of the requested size', async () => {
  const frame = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#f00' } })
    .png()
    .toBuffer();
  const sheet = await composeContactSheet(
    [
      { image: frame, seconds: 1 },
      { image: frame, seconds: 2 },
    ],
    { cols: 3, rows: 2, width: 640, height: 360 },
  );
  const m = await sharp(sheet).metadata();
  assert.equal(m.format, 'jpeg');
  assert.equal(m.width, 640);
  assert.equal(m.height, 360);
});
