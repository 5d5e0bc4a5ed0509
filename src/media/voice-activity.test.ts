import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { detectVoiceActivity, pcm16ToFloat, wavData } from './voice-activity.ts';

const RATE = 16000;
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav';

function signal(seconds: number, f: (t: number) => number): Float32Array {
  const x = new Float32Array(seconds * RATE);
  for (let i = 0; i < x.length; i++) x[i] = f(i / RATE);
  return x;
}

let seed = 7;
const noise = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff - 0.5;
};

const NOTES = [262, 330, 392, 523, 392, 330, 294, 349, 440, 349];
const fixtures: Record<string, Float32Array> = {
  'pure 440 Hz tone': signal(20, (t) => 0.5 * Math.sin(2 * Math.PI * 440 * t)),
  'music-like (plucked notes with harmonics)': signal(10, (t) => {
    const n = NOTES[Math.floor(t * 4) % NOTES.length]!;
    const phase = (t * 4) % 1;
    const env = Math.min(1, phase * 20) * (1 - 0.5 * phase);
    return 0.3 * env * (Math.sin(2 * Math.PI * n * t) + 0.5 * Math.sin(4 * Math.PI * n * t));
  }),
  'held chord with tremolo': signal(
    10,
    (t) =>
      0.2 *
      (Math.sin(2 * Math.PI * 262 * t) + Math.sin(2 * Math.PI * 330 * t) + Math.sin(2 * Math.PI * 392 * t)) *
      (0.6 + 0.4 * Math.sin(2 * Math.PI * 2 * t)),
  ),
  'white noise': signal(10, () => 0.3 * noise()),
  silence: new Float32Array(10 * RATE),
  'a sung note with vibrato': signal(
    10,
    (t) => 0.4 * Math.sin(2 * Math.PI * 330 * t + 3 * Math.sin(2 * Math.PI * 5 * t)),
  ),
  'a rising sweep': signal(10, (t) => 0.4 * Math.sin(2 * Math.PI * (200 * t + 40 * t * t))),
};

for (const [name, samples] of Object.entries(fixtures)) {
  test(`voice activity: ${name} is not speech`, () => {
    const r = detectVoiceActivity(samples);
    assert.equal(r.speechSeconds, 0, JSON.stringify(r.speech));
    assert.ok(r.windows > 0);
  });
}

function readWav(file: string): Float32Array {
  const { pcm } = wavData(fs.readFileSync(file));
  return pcm16ToFloat(pcm);
}

test('voice activity: real recorded speech (LibriVox, pocketsphinx-testdata) is speech', () => {
  const x = readWav(LIBRIVOX);
  const r = detectVoiceActivity(x);
  const seconds = x.length / RATE;
  assert.ok(r.speechSeconds > 0.7 * seconds, `${r.speechSeconds} of ${seconds}`);
});

/** Asterisk's English prompts (asterisk-core-sounds-en-wav, 8 kHz), read to 16 kHz mono. */
const ASTERISK = '/usr/share/asterisk/sounds/en';
function asterisk(name: string): Float32Array {
  const raw = execFileSync(
    'ffmpeg',
    [
      '-loglevel',
      'error',
      '-i',
      path.join(ASTERISK, `${name}.wav`),
      '-ac',
      '1',
      '-ar',
      String(RATE),
      '-f',
      's16le',
      '-',
    ],
    { maxBuffer: 1 << 26 },
  );
  return pcm16ToFloat(raw);
}

test('voice activity: clean, steady studio prompts are speech (voiced in nearly every frame: a cap on voicing found none)', () => {
  // Each was 0 s of speech with the 92 % voicing cap (found by a review on real recordings).
  // Tuning-split or unlabelled prompts of the speech evaluation (none of its held-out ones).
  for (const name of ['conf-getconfno', 'agent-alreadyon', 'dir-nomore', 'vm-nobodyavail', 'feature-not-avail-line']) {
    const x = asterisk(name);
    const r = detectVoiceActivity(x);
    const seconds = x.length / RATE;
    assert.ok(r.speechSeconds > 0.3 * seconds, `${name}: ${r.speechSeconds} s of ${seconds} s`);
  }
});

test('voice activity: the beeps and tones among the same prompts are not speech', () => {
  for (const name of ['beep', 'beeperr', 'ascending-2tone', 'descending-2tone']) {
    const r = detectVoiceActivity(asterisk(name));
    assert.equal(r.speechSeconds, 0, `${name}: ${JSON.stringify(r.speech)}`);
  }
});

test('voice activity: synthesised speech between a tone and silence is found where it is', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vad-'));
  const wav = path.join(dir, 'speech.wav');
  execFileSync('espeak-ng', ['-w', wav, 'Our revenue grew by twelve percent this quarter, thanks to new customers.']);
  const raw = path.join(dir, 'speech16k.wav');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-ar', '16000', '-ac', '1', '-y', raw]);
  const speech = readWav(raw);
  fs.rmSync(dir, { recursive: true, force: true });
  const tone = fixtures['pure 440 Hz tone']!.subarray(0, 5 * RATE);
  const track = new Float32Array(tone.length + speech.length + 3 * RATE);
  track.set(tone, 0);
  track.set(speech, tone.length);
  const r = detectVoiceActivity(track);
  const speechStart = 5;
  const speechEnd = 5 + speech.length / RATE;
  assert.ok(r.speech.length > 0, 'speech found');
  for (const s of r.speech) assert.ok(s.start >= speechStart - 0.3 && s.end <= speechEnd + 0.3, JSON.stringify(s));
  assert.ok(r.speechSeconds > 0.6 * (speechEnd - speechStart), `${r.speechSeconds}`);
});

test('wavData refuses what is not a WAV file', () => {
  assert.throws(() => wavData(Buffer.from('not a wav file at all')), /not a WAV/);
});
