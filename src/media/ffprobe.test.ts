import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProbeArgs, parseProbeOutput, parseRate, probeFile } from './ffprobe.ts';
import { AppError } from '../domain/errors.ts';

test('probe arguments: JSON output, file protocol only, input last', () => {
  const args = buildProbeArgs('/data/x.mp4');
  assert.deepEqual(args.slice(-2), ['-i', '/data/x.mp4']);
  assert.equal(args[args.indexOf('-protocol_whitelist') + 1], 'file');
  assert.equal(args[args.indexOf('-print_format') + 1], 'json');
});

const rates: Array<[unknown, number | null]> = [
  ['30000/1001', 29.97],
  ['25/1', 25],
  ['0/0', null],
  ['1/0', null],
  [undefined, null],
  ['abc', null],
];
for (const [input, expected] of rates) {
  test(`parseRate(${String(input)}) = ${expected}`, () => assert.equal(parseRate(input), expected));
}

test('parseProbeOutput maps streams and format, tolerating N/A', () => {
  const r = parseProbeOutput(
    JSON.stringify({
      format: { format_name: 'mov,mp4', duration: '12.5', bit_rate: 'N/A', size: '1000' },
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'h264',
          width: 1920,
          height: 1080,
          avg_frame_rate: '0/0',
          r_frame_rate: '25/1',
          duration: '12.5',
        },
        { index: 1, codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 },
        { index: 2, codec_type: 'weird' },
      ],
    }),
  );
  assert.equal(r.formatName, 'mov,mp4');
  assert.equal(r.durationSeconds, 12.5);
  assert.equal(r.bitRate, null);
  assert.deepEqual(r.streams[0], {
    index: 0,
    type: 'video',
    codec: 'h264',
    width: 1920,
    height: 1080,
    fps: 25,
    durationSeconds: 12.5,
  });
  assert.deepEqual(r.streams[1], { index: 1, type: 'audio', codec: 'aac', sampleRate: 48000, channels: 2 });
  assert.equal(r.streams[2]!.type, 'unknown');
  assert.throws(
    () => parseProbeOutput('not json'),
    (e: unknown) => e instanceof AppError && e.code === 'MEDIA_CORRUPT',
  );
  assert.deepEqual(parseProbeOutput('{}').streams, []);
});

test('a missing ffprobe binary is a transient PROBE_FAILED', async () => {
  await assert.rejects(
    probeFile('/nonexistent/ffprobe', '/tmp/x', { timeoutMs: 1000 }),
    (e: unknown) => e instanceof AppError && e.code === 'PROBE_FAILED' && !e.permanent,
  );
});
