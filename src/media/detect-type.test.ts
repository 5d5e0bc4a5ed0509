import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectBuffer, mediaTypeForMime, sniffText } from './detect-type.ts';

const mimes: Array<[string, string]> = [
  ['video/mp4', 'video'],
  ['audio/mpeg', 'audio'],
  ['image/png', 'image'],
  ['application/pdf', 'document'],
  ['text/plain', 'document'],
  ['application/ogg', 'audio'],
  ['application/mxf', 'video'],
  ['application/zip', 'unknown'],
];
for (const [mime, type] of mimes) test(`${mime} → ${type}`, () => assert.equal(mediaTypeForMime(mime), type));

test('signatures win over names: PNG, PDF, WAV headers', async () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  assert.equal((await detectBuffer(png)).mime, 'image/png');
  assert.equal((await detectBuffer(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'))).mime, 'application/pdf');
});

test('text: plain, CSV, HTML; binary and empty are not text', () => {
  assert.equal(sniffText(Buffer.from('hello\nworld\n'))!.mime, 'text/plain');
  assert.equal(sniffText(Buffer.from('a,b,c\n1,2,3\n4,5,6\n'))!.mime, 'text/csv');
  assert.equal(sniffText(Buffer.from('  <!DOCTYPE html><html><body>x</body></html>'))!.mime, 'text/html');
  assert.equal(sniffText(Buffer.from('caf\u00e9 na\u00efve \u2603'))!.mime, 'text/plain');
  assert.equal(sniffText(Buffer.from([0x61, 0x00, 0x62])), null);
  assert.equal(sniffText(Buffer.from([0xff, 0xfe, 0xfd])), null);
  assert.equal(sniffText(Buffer.alloc(0)), null);
  // A multi-byte character cut by the sniff window is still text.
  assert.equal(sniffText(Buffer.from('abc\u2603', 'utf8').subarray(0, 5))!.mime, 'text/plain');
});
