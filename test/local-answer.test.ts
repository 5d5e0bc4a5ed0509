/**
 * Words the local engine was unsure of, through the real pipeline (PocketSphinx, the
 * embedder, PostgreSQL): a recording of two LibriVox sentences analysed with no provider.
 * The transcript keeps every word; the answer quotes the stretch with its unsure words
 * marked "[words?]"; they are no key term, and search does not match the recording by them
 * (docs/decisions/0013-unsure-words-and-steady-voices.md).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, auth, analyseFile, type TestApp } from './helpers/app.ts';
import { hasFfmpeg } from './helpers/fixtures.ts';
import { sharedEmbedder } from '../src/nlp/embedder.ts';
import { queryTerms } from '../src/domain/search/search.service.ts';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
const skip =
  (!hasFfmpeg() && 'ffmpeg is not installed') ||
  (!existsSync(LIBRIVOX) && 'pocketsphinx-testdata is not installed') ||
  (!existsSync('/usr/share/pocketsphinx/model/en-us') && 'pocketsphinx-en-us is not installed') ||
  false;

let t: TestApp;
let dir: string;

before(async () => {
  t = await createTestApp();
  await t.startWorker({ concurrency: 1 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'local-answer-'));
});

after(async () => {
  await t.close();
  await sharedEmbedder().close();
  await fs.rm(dir, { recursive: true, force: true });
});

test(
  'unsure words: kept in the transcript, marked where quoted, no key term, not matched by search',
  { skip },
  async () => {
    const wav = path.join(dir, 'two-sentences.wav');
    execFileSync('ffmpeg', [
    '-loglevel', 'error',
    '-i', `${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-0870.wav`,
    '-i', `${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-0880.wav`,
    '-filter_complex', '[0:a][1:a]concat=n=2:v=0:a=1',
    '-ar', '16000', '-ac', '1', '-y', wav,
  ]); // prettier-ignore
    const s = await analyseFile(t, t.tenantA.key, wav, 'What is said?', {}, 180_000);
    const id = s.analysis_id as string;
    assert.equal(s.status, 'completed', s.error_message);
    const words = s.results.transcript.words as Array<{ word: string; low_confidence?: true }>;
    const unsureOnly = [
      ...new Set(
        words
          .filter((w) => w.low_confidence && !words.some((o) => o.word === w.word && !o.low_confidence))
          .map((w) => w.word),
      ),
    ];
    assert.ok(
      unsureOnly.length > 0,
      `the draft has words heard only as unsure (else this proves nothing): ${s.results.transcript.text}`,
    );
    // The transcript keeps every word.
    assert.equal(s.results.transcript.text.split(' ').length, words.length);
    // Every window is stored with its sure words (a window without is one for the backfill).
    const stored = await t.db.pool.query<{ bare: number; all: number }>(
      `SELECT count(*) FILTER (WHERE sure_tsv IS NULL)::int AS bare, count(*)::int AS all
       FROM media_segments WHERE analysis_id = $1 AND kind = 'transcript'`,
      [id],
    );
    assert.ok(stored.rows[0]!.all > 0 && stored.rows[0]!.bare === 0, JSON.stringify(stored.rows[0]));

    // The answer quotes the recording with the unsure words marked, and says what the marks mean.
    const answer = s.results.answer;
    assert.ok(
      answer.quotes.some((q: { kind: string }) => q.kind === 'transcript'),
      answer.text,
    );
    assert.match(answer.text, /\[[a-z' ]+\?\]/, answer.text);
    // The quote itself carries the marks too, so a client showing quotes shows them as unsure.
    const quoted = (answer.quotes as Array<{ kind: string; text: string }>).filter((q) => q.kind === 'transcript');
    assert.ok(
      quoted.some((q) => /\[[a-z' ]+\?\]/.test(q.text)),
      JSON.stringify(quoted),
    );
    assert.match(answer.text, /heard with low confidence/);
    // Its extractive sentences keep every word (marked); its terms hold no unsure-only word.
    const sentences = (answer.extractive.sentences as string[]).join(' ');
    assert.equal(
      sentences
        .replace(/[[\]?]/g, '')
        .split(/\s+/)
        .filter(Boolean).length,
      words.length,
      sentences,
    );
    for (const term of answer.extractive.terms as string[]) assert.ok(!unsureOnly.includes(term), `term "${term}"`);
    for (const k of s.results.understanding.keywords as string[])
      for (const w of k.split(' ')) assert.ok(!unsureOnly.includes(w), `keyword "${k}"`);

    // Search: a sure word finds it by text; an unsure-only word does not.
    const sure = words.find((w) => !w.low_confidence && w.word.length >= 5 && queryTerms(w.word).length > 0)!;
    const hit = async (q: string) =>
      (
        (
          await t.app.inject({ url: `/api/media/search?q=${encodeURIComponent(q)}`, headers: auth(t.tenantA.key) })
        ).json().data as Array<{ analysis_id: string; segments: Array<{ matched_by: string[] }> }>
      ).find((h) => h.analysis_id === id);
    assert.ok(
      (await hit(sure.word))?.segments.some((x) => x.matched_by.includes('text')),
      `"${sure.word}" finds it by text`,
    );
    // A hit shows its window as the answer quotes it: every word, the unsure ones marked.
    const near = words.find(
      (w, i) =>
        !w.low_confidence &&
        w.word.length >= 4 &&
        queryTerms(w.word).length > 0 &&
        [words[i - 1], words[i + 1]].some((o) => o?.low_confidence),
    );
    assert.ok(near, 'a sure word beside an unsure one');
    const shown = (
      (await hit(near.word)) as unknown as { segments: Array<{ kind: string; text: string }> } | undefined
    )?.segments.filter((x) => x.kind === 'transcript');
    assert.ok(shown?.length, `"${near.word}" finds a transcript window`);
    assert.ok(
      shown.some((x) => /\[[a-z' ]+\?\]/.test(x.text)),
      `a window beside an unsure word shows the mark: ${JSON.stringify(shown)}`,
    );
    const probes = unsureOnly.filter((w) => w.length >= 4 && queryTerms(w).length > 0);
    assert.ok(probes.length > 0, `an unsure-only word to search for: ${unsureOnly.join(' ')}`);
    for (const probe of probes) {
      const found = await hit(probe);
      for (const seg of found?.segments ?? [])
        assert.ok(!seg.matched_by.includes('text'), `"${probe}" matched by text`);
    }
  },
);
