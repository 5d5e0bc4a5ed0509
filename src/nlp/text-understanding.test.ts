import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLanguage } from './text-understanding.ts';

test('detectLanguage(): a language is named only when the text says which (a clear lead over the next)', () => {
  assert.equal(detectLanguage('our revenue grew twelve percent this quarter thanks to new customers'), 'en');
  assert.equal(detectLanguage('Guten Tag, wie geht es Ihnen heute? Das Wetter ist schön.'), 'de');
  assert.equal(detectLanguage("Bonjour, comment allez-vous aujourd'hui ? Il fait beau."), 'fr');
  // Two brand names read from a photograph: eld leans Italian by a hair; no language is claimed.
  assert.equal(detectLanguage('unicef\nWEEKmedia'), null);
  // Too few letters to say.
  assert.equal(detectLanguage('OK 42'), null);
});
