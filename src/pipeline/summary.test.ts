import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from './summary.ts';

test('summaries per media kind', () => {
  assert.equal(
    summarize({
      intake: { mime: 'video/mp4', size_bytes: 10 },
      probe: {
        kind: 'video',
        duration_seconds: 2,
        streams: [
          { type: 'video', codec: 'h264', width: 160, height: 120, fps: 10 },
          { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 1 },
        ],
      },
    }),
    'video/mp4 · 2.0 s · video h264 160x120 @ 10 fps · audio aac 44100 Hz 1 ch · 10 bytes',
  );
  assert.equal(
    summarize({ intake: { mime: 'image/png' }, probe: { kind: 'image', width: 4, height: 3, format: 'png' } }),
    'image/png · 4x3 png',
  );
  assert.equal(summarize({ probe: { kind: 'document', pages: 1, title: 'T' } }), '1 page · "T"');
  assert.equal(summarize({ probe: { kind: 'document', pages: null, characters: 5 } }), '5 characters');
  assert.equal(summarize({}), '');
});
