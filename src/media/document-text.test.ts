import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlToText } from './html-text.ts';
import { detectLanguage } from './language-guess.ts';
import { dedupeFrameText, normaliseLine } from '../pipeline/stages/frame-ocr.stage.ts';

const langs: Array<[string, string | null]> = [
  ['The cat and the dog are in the garden with the children.', 'en'],
  ['Der Hund und die Katze sind nicht in dem Garten, das ist gut.', 'de'],
  ['Le chat et le chien sont dans le jardin pour la journée.', 'fr'],
  ['El perro y el gato están en la casa con los niños para el día.', 'es'],
  ['hi', null],
];
for (const [text, lang] of langs)
  test(`language of "${text.slice(0, 20)}…" is ${lang}`, () => assert.equal(detectLanguage(text), lang));

test('HTML to text drops scripts and tags, keeps blocks and entities', () => {
  const r = htmlToText(
    '<html><head><title> T </title><style>x{}</style></head><body><h1>A</h1><p>b &amp; c&#33; &#x41;</p><script>evil()</script></body></html>',
  );
  assert.equal(r.title, 'T');
  assert.equal(r.text, 'A\nb & c! A');
});

test('frame OCR lines are de-duplicated across frames', () => {
  const lines = dedupeFrameText([
    {
      seconds: 1,
      lines: [
        { text: 'HELLO CAPTION', confidence: 0.9 },
        { text: 'x', confidence: 0.9 },
      ],
    },
    { seconds: 2, lines: [{ text: 'Hello, caption!', confidence: 0.95 }] },
    { seconds: 3, lines: [{ text: 'Other line', confidence: 0.8 }] },
  ]);
  assert.deepEqual(lines, [
    { text: 'HELLO CAPTION', seconds: [1, 2], confidence: 0.95 },
    { text: 'Other line', seconds: [3], confidence: 0.8 },
  ]);
  assert.equal(normaliseLine('  A--b  '), 'a b');
});
