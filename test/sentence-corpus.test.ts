/**
 * The end-to-end search benchmark's corpus tools (bench/helpers/): the prose taken from
 * each kind of shipped document, and the embedding cache that never embeds a sentence
 * twice (with the service's real embedder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { proseOf, type Kind } from '../bench/helpers/sentence-sources.ts';
import { sentencesOf } from '../bench/helpers/sentence-corpus.ts';
import { embedCached } from '../bench/helpers/embedding-cache.ts';
import { createEmbedder, EMBEDDING_DIMS } from '../src/nlp/embedder.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentence-corpus-'));
const sentences = (name: string, kind: Kind, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, name.endsWith('.gz') || name.endsWith('.dz') ? zlib.gzipSync(text) : text);
  return sentencesOf(proseOf({ file, kind }));
};

test('a manual page gives its prose: requests dropped, font macros and escapes turned into their words', () => {
  const got = sentences(
    'ls.1.gz',
    'roff',
    [
      '.\\" a comment line that is never text',
      '.TH LS 1',
      '.SH DESCRIPTION',
      'List information about the files in the current directory by default.',
      '.PP',
      'Sort entries alphabetically if none of the options is given, see',
      '.BR sort (1)',
      'for the \\fBordering\\fR rules \\(em the locale decides it.',
    ].join('\n'),
  );
  assert.deepEqual(got, [
    'List information about the files in the current directory by default.',
    'Sort entries alphabetically if none of the options is given, see sort(1) for the ordering rules - the locale decides it.',
  ]);
});

test('HTML, POD and dictionary entries give their sentences without markup', () => {
  assert.deepEqual(
    sentences(
      'page.html',
      'html',
      '<html><head><title>Not a sentence here at all, none</title></head><body><p>The server keeps its write-ahead log &amp; its data files apart.</p><pre>Code that looks like a sentence is dropped here.</pre></body></html>',
    ),
    ['The server keeps its write-ahead log & its data files apart.'],
  );
  assert.deepEqual(
    sentences(
      'perlfunc.pod',
      'pod',
      '=head1 NAME\n\nThe function C<print> writes a list of strings to the L<filehandle|perlfunc/open> given.\n\n    print "Verbatim code that is never read as prose.";\n',
    ),
    ['The function print writes a list of strings to the filehandle given.'],
  );
  assert.deepEqual(
    sentences(
      'gcide.dict.dz',
      'dict',
      'Abdication \\Ab`di*ca"tion\\, n. [L. abdicatio.]\n   The act of abdicating; the renunciation of a high {office}, dignity, or trust.\n   [1913 Webster]\n',
    ),
    ['The act of abdicating; the renunciation of a high office, dignity, or trust.'],
  );
});

test('the embedding cache embeds each sentence once, whatever corpus it is in later', async () => {
  const cache = path.join(dir, 'cache');
  const a = ['The first sentence of the corpus is here.', 'A second sentence follows the first one.'];
  const quiet = () => {};
  const first = await embedCached(a, cache, createEmbedder, quiet);
  assert.equal(first.embedded, 2);
  assert.ok(first.complete);
  const again = await embedCached([...a].reverse(), cache, createEmbedder, quiet);
  assert.equal(again.embedded, 0, 'every sentence came from the cache');
  assert.deepEqual(again.vectors.subarray(0, EMBEDDING_DIMS), first.vectors.subarray(EMBEDDING_DIMS));
  const grown = await embedCached([a[0]!, 'A third sentence that nobody embedded yet.'], cache, createEmbedder, quiet);
  assert.equal(grown.embedded, 1, 'only the new sentence is embedded');
  assert.ok(Math.abs(grown.vectors.subarray(EMBEDDING_DIMS).reduce((s, x) => s + x * x, 0) - 1) < 1e-3);
  // A block whose vectors are cut short (a run stopped while writing) is not trusted.
  const txt = fs
    .readdirSync(cache)
    .find((n) => n.endsWith('.txt') && fs.readFileSync(path.join(cache, n), 'utf8') === a.join('\n'))!;
  fs.truncateSync(path.join(cache, txt.replace(/\.txt$/, '.f32')), 100);
  const stopped = await embedCached(a, cache, createEmbedder, quiet, { stop: () => true });
  assert.equal(stopped.complete, false, 'a run past its stop time starts no block');
  assert.equal(stopped.embedded, 0);
  assert.equal(stopped.cached_prefix, 0);
  const redone = await embedCached(a, cache, createEmbedder, quiet);
  assert.equal(redone.embedded, 2, 'the cut block is embedded again');
  assert.deepEqual(redone.vectors, first.vectors);
});
