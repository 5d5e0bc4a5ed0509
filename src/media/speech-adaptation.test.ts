import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ADAPTATION,
  accumulateAdaptation,
  adaptationModel,
  adaptationSegments,
  adaptChunk,
  sendumpToMixtureWeights,
  solveMllr,
} from './speech-adaptation.ts';
import { pocketsphinxArgs } from './local-speech.ts';
import { runProcess } from '../platform/process-runner.ts';

const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';

/** A sendump as the engine reads it: length-prefixed header strings, 0, densities, senones, then bytes per stream, density, senone. */
function sendump(features: number, densities: number, senones: number, bytes: number[], header: string[] = []): Buffer {
  const parts: Buffer[] = [];
  for (const h of ['BEGIN FILE FORMAT DESCRIPTION', ...header, `feature_count ${features}`]) {
    const b = Buffer.alloc(4 + h.length + 1);
    b.writeInt32LE(h.length + 1, 0);
    b.write(h, 4, 'latin1');
    parts.push(b);
  }
  const sizes = Buffer.alloc(12);
  sizes.writeInt32LE(0, 0);
  sizes.writeInt32LE(densities, 4);
  sizes.writeInt32LE(senones, 8);
  return Buffer.concat([...parts, sizes, Buffer.from(bytes)]);
}

/** An s3 file's header fields, its 3-d sizes and float data. */
function readS3(buf: Buffer): { header: string; sizes: number[]; data: Float32Array } {
  const end = buf.indexOf('endhdr\n') + 'endhdr\n'.length;
  assert.equal(end % 4, 0, 'data on a 4-byte boundary');
  assert.equal(buf.readUInt32LE(end), 0x11223344);
  const sizes = [0, 1, 2, 3].map((i) => buf.readUInt32LE(end + 4 + 4 * i));
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + end + 20, buf.byteOffset + buf.length));
  return { header: buf.toString('latin1', 0, end), sizes, data };
}

test('sendumpToMixtureWeights: the quantised weights as an s3 mixture_weights file, senone by stream by density', () => {
  // 2 streams, 2 densities, 3 senones; stored per stream, density, senone.
  const bytes = [
    // stream 0: density 0 for senones 0..2, then density 1
    0, 0, 255, 0, 9, 0,
    // stream 1
    0, 0, 0, 0, 0, 0,
  ];
  const { header, sizes, data } = readS3(sendumpToMixtureWeights(sendump(2, 2, 3, bytes, ['cluster_count 0'])));
  assert.match(header, /^s3\nversion 1\.0\n/);
  assert.deepEqual(sizes, [3, 2, 2, 12]);
  const w = (s: number, f: number, d: number) => data[(s * 2 + f) * 2 + d]!;
  assert.ok(Math.abs(w(0, 0, 0) - 0.5) < 1e-6 && Math.abs(w(0, 0, 1) - 0.5) < 1e-6, 'equal bytes, equal weights');
  const ratio = Math.exp(-9 * 1024 * Math.log(1.0001)); // 9 steps of 1024 × log 1.0001 below
  assert.ok(Math.abs(w(1, 0, 1) / w(1, 0, 0) - ratio) < 1e-4);
  assert.ok(w(2, 0, 0) < 1e-9 && w(2, 0, 1) > 0.999999);
  for (let i = 0; i < 6; i++)
    assert.ok(Math.abs(data[2 * i]! + data[2 * i + 1]! - 1) < 1e-6, 'each senone and stream sums to 1');
  assert.throws(() => sendumpToMixtureWeights(sendump(2, 2, 3, bytes, ['cluster_count 16'])), /clustered/);
  assert.throws(() => sendumpToMixtureWeights(sendump(2, 2, 3, bytes.slice(0, 8))), /sizes/);
});

test("sendumpToMixtureWeights: the en-us model's weights, every senone and stream summing to 1", () => {
  const { sizes, data } = readS3(sendumpToMixtureWeights(fs.readFileSync(path.join(MODEL_DIR, 'en-us', 'sendump'))));
  assert.deepEqual(sizes, [5126, 3, 128, 5126 * 3 * 128]);
  for (let i = 0; i < 5126 * 3; i += 97) {
    const sum = data.subarray(i * 128, (i + 1) * 128).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `senone-stream ${i}: ${sum}`);
  }
});

test('adaptationSegments: recognised utterances with their variants and fillers; cut around words below the confidence', () => {
  const out = [
    'he was not',
    '<s> 0.000 0.140 0.999400',
    'he 0.150 0.360 0.90',
    'was(2) 0.370 0.620 0.20',
    '<sil> 0.630 0.700 0.5',
    'not 0.710 0.900 0.95',
    '</s> 0.910 1.000 1.000000',
    'young man',
    '<s> 3.000 3.100 1.0',
    '[NOISE] 3.110 3.300 0.3',
    '</s> 3.310 3.400 1.0',
    '<s> 5.000 5.100 1.0',
    'man 5.110 5.500 0.7',
    '</s> 5.510 5.600 1.0',
  ].join('\n');
  assert.deepEqual(adaptationSegments(out), [
    { startFrame: 0, endFrame: 101, tokens: ['<s>', 'he', 'was(2)', '<sil>', 'not', '</s>'] },
    { startFrame: 500, endFrame: 561, tokens: ['<s>', 'man', '</s>'] },
  ]);
  assert.deepEqual(adaptationSegments(out, 0.5), [
    { startFrame: 0, endFrame: 37, tokens: ['<s>', 'he'] },
    { startFrame: 63, endFrame: 101, tokens: ['<sil>', 'not', '</s>'] },
    { startFrame: 500, endFrame: 561, tokens: ['<s>', 'man', '</s>'] },
  ]);
  assert.deepEqual(adaptationSegments(out, 0.99), []);
});

test("adaptChunk: a speaker transform estimated on the engine's own hypothesis, which the engine decodes with", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-mllr-'));
  const wav = path.join(dir, 'in.wav');
  fs.copyFileSync(path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0870.wav'), wav);
  const { stdout } = await runProcess('pocketsphinx_continuous', pocketsphinxArgs(wav, MODEL_DIR), {
    timeoutMs: 60_000,
  });
  const model = await adaptationModel(MODEL_DIR, path.join(dir, 'model'), ADAPTATION, 60_000);
  const mllr = await adaptChunk(wav, stdout.toString('utf8'), null, MODEL_DIR, model, ADAPTATION, {
    timeoutMs: 60_000,
  });
  assert.ok(mllr, 'a transform');
  const values = fs.readFileSync(mllr, 'utf8').trim().split(/\s+/).map(Number);
  assert.deepEqual(values.slice(0, 3), [1, 3, 13], 'one class, three streams, the first of 13');
  assert.equal(values.length, 2 + 3 * (1 + 13 * 13 + 13 + 13), 'per stream: its size, A, b and the variance scale');
  assert.ok(values.every(Number.isFinite));
  assert.notDeepEqual(values.slice(3, 16), [1, ...new Array<number>(12).fill(0)], 'not the identity');
  const log = path.join(dir, 'engine.log');
  await runProcess('pocketsphinx_continuous', [...pocketsphinxArgs(wav, MODEL_DIR, {}, log), '-mllr', mllr], {
    timeoutMs: 60_000,
  });
  assert.match(fs.readFileSync(log, 'utf8'), /Reading MLLR transformation file/);
  assert.equal(
    await adaptChunk(wav, 'nothing recognised\n', null, MODEL_DIR, model, ADAPTATION, { timeoutMs: 60_000 }),
    null,
  );
  // Counts add up over chunks: the same counts twice give the same transform as once.
  const acc = await accumulateAdaptation(wav, stdout.toString('utf8'), null, MODEL_DIR, model, ADAPTATION, {
    timeoutMs: 60_000,
  });
  assert.ok(acc);
  const twice = path.join(dir, 'twice');
  fs.cpSync(acc, twice, { recursive: true });
  const pooled = await solveMllr([acc, twice], MODEL_DIR, path.join(dir, 'pooled'), ADAPTATION, { timeoutMs: 60_000 });
  assert.ok(pooled, 'a transform from two folders of counts');
  const numbers = (f: string) => fs.readFileSync(f, 'utf8').trim().split(/\s+/).map(Number);
  const one = numbers(mllr);
  numbers(pooled).forEach((v, i) => assert.ok(Math.abs(v - one[i]!) < 1e-4, `value ${i}: ${v} vs ${one[i]}`));
  fs.rmSync(dir, { recursive: true, force: true });
});
