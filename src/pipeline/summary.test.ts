import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from './summary.ts';
import type { IntakeSection } from './results.types.ts';

const intake = (mime: string, size_bytes: number): IntakeSection => ({
  kind: 'upload',
  mime,
  size_bytes,
  sha256: null,
  detected_type: 'video',
});

test('summaries per media kind', () => {
  assert.equal(
    summarize({
      intake: intake('video/mp4', 10),
      probe: {
        kind: 'video',
        format: 'mp4',
        bit_rate: null,
        duration_seconds: 2,
        streams: [
          { index: 0, type: 'video', codec: 'h264', width: 160, height: 120, fps: 10 },
          { index: 1, type: 'audio', codec: 'aac', sampleRate: 44100, channels: 1 },
        ],
      },
    }),
    'video/mp4 · 2.0 s · video h264 160x120 @ 10 fps · audio aac 44100 Hz 1 ch · 10 bytes',
  );
  assert.equal(
    summarize({
      intake: intake('image/png', 7),
      probe: {
        kind: 'image',
        width: 4,
        height: 3,
        format: 'png',
        channels: 3,
        hasAlpha: false,
        orientation: null,
        pages: null,
      },
    }),
    'image/png · 4x3 png · 7 bytes',
  );
  assert.equal(summarize({ probe: { kind: 'document', format: 'pdf', pages: 1, title: 'T' } }), '1 page · "T"');
  assert.equal(
    summarize({ probe: { kind: 'document', format: 'text/plain', pages: null, title: null, characters: 5 } }),
    '5 characters',
  );
  assert.equal(summarize({}), '');
});
