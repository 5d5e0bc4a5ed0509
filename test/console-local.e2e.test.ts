/**
 * Every panel of the viewer on a REAL local analysis, as a new user makes one: no
 * provider configured, a clip with recorded speech (PocketSphinx transcribes it), four
 * real photographs as shots (the vision models see a person, a cup, a cat, a motorcycle)
 * and a burned-in caption (OCR), uploaded through the console in Debian's Chromium. What
 * each panel must show is read from the analysis's own results (checked against the
 * contract first), never from hand-written shapes.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';
import { queryTerms } from '../src/domain/search/search.service.ts';
import { MAX_UNSURE_WORD_SHARE, transcriptWindows, UNSURE_MARK } from '../src/domain/search/segment-drafts.ts';
import { hasFfmpeg } from './helpers/fixtures.ts';
import { hasChromium, launchBrowser, seriousAxeViolations, type Browser } from './helpers/browser.ts';
import { hasPhotos } from './helpers/photos.ts';
import { CLIP_CAPTION, hasLocalClipMaterial, makeLocalClip } from './helpers/local-clip.ts';
import { contractProblems } from './helpers/contract.ts';
import { consoleBuilt } from '../src/http/routes/console.routes.ts';
import { ModelHost } from '../src/media/vision/model-host.ts';
import { sharedEmbedder } from '../src/nlp/embedder.ts';
import type { AnalysisResults } from '../src/contract/results.schema.ts';

const SCREENSHOTS = path.resolve('docs/screenshots');

const missing =
  (!hasChromium() && 'chromium is not installed (apt-get install chromium)') ||
  (!hasFfmpeg() && 'ffmpeg is not installed') ||
  ((!hasPhotos() || !hasLocalClipMaterial()) && 'python3-skimage or pocketsphinx-testdata is not installed') ||
  (!consoleBuilt() && 'the console is not built (npm run build)') ||
  false;

/** The page's document as the evaluated callbacks see it (the test's tsconfig has no DOM types). */
type Doc = { querySelectorAll(s: string): ArrayLike<{ complete?: boolean; naturalWidth?: number }> };
/** The player as a waitForFunction callback sees it: the console's CSP forbids string predicates (eval). */
type PlayerDoc = { querySelector(s: 'video'): { currentTime: number; readyState: number } | null };

describe('the viewer on a real local analysis (no provider)', { skip: missing }, () => {
  let t: TestApp;
  let host: ModelHost;
  let browser: Browser;
  let page: Page;
  let base: string;
  let dir: string;
  let r: AnalysisResults;
  let stageCount = 0;

  before(async () => {
    host = new ModelHost({ callTimeoutMs: 120_000, maxHeapMb: 1024 });
    t = await createTestApp({ LOG_LEVEL: 'warn' }, { vision: host });
    await t.startWorker({ concurrency: 1 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    page = browser.page;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-local-clip-'));
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    await host?.close();
    await sharedEmbedder().close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** The player's position after `click`, once it has moved. */
  async function seekBy(click: () => Promise<void>): Promise<number> {
    await page.evaluate("document.querySelector('video').currentTime = 0");
    await click();
    await page.waitForFunction(
      () => ((globalThis as unknown as { document: PlayerDoc }).document.querySelector('video')?.currentTime ?? 0) > 0,
    );
    return (await page.evaluate("document.querySelector('video').currentTime")) as number;
  }

  test('upload through the console, no provider: the analysis completes with every section', async () => {
    const clip = path.join(dir, 'sense-and-sensibility.mp4');
    makeLocalClip(clip);
    await page.goto(`${base}/#/sign-in`);
    await page.getByLabel('API key').fill(t.tenantA.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('checkbox', { name: 'On-screen text (OCR) in video' }).check();
    await page.setInputFiles('#files', {
      name: path.basename(clip),
      mimeType: 'video/mp4',
      buffer: await fs.readFile(clip),
    });
    await page.getByRole('button', { name: 'Analyze', exact: true }).click();
    const card = page.getByTestId('submission').first();
    await card.getByTestId('live-status').filter({ hasText: 'completed' }).waitFor({ timeout: 600_000 });
    await card.getByRole('link', { name: 'Open result' }).click();
    await page.getByTestId('viewer-status').filter({ hasText: 'completed' }).waitFor();

    const id = /analyses\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const status = (await t.app.inject({ url: `/api/media/${id}`, headers: auth(t.tenantA.key) })).json();
    r = status.results;
    stageCount = status.stages.length;
    assert.deepEqual(contractProblems(r), []);
    // The material is real, so say plainly what it gave before judging the panels on it.
    assert.equal(r.transcript?.provider, 'local');
    assert.ok((r.transcript?.words?.length ?? 0) >= 10, `words: ${r.transcript?.text}`);
    assert.ok((r.shots?.count ?? 0) >= 3, `shots: ${r.shots?.count}`);
    assert.ok((r.objects?.labels.length ?? 0) >= 2, `objects: ${JSON.stringify(r.objects?.labels)}`);
    assert.ok(
      r.ocr?.lines.some((l) => l.text.includes('SENSIBILITY')),
      `ocr: ${r.ocr?.text}, not ${CLIP_CAPTION}`,
    );
    assert.ok((r.answer?.quotes?.length ?? 0) >= 1, 'the extracted answer quotes the media');
    assert.ok((r.understanding?.keywords?.length ?? 0) >= 1);
    // Keywords come from the words the engine was sure of (and the on-screen text): a word
    // heard only as low-confidence is no keyword.
    const words = r.transcript!.words!;
    const unsureOnly = new Set(
      words
        .filter((w) => w.low_confidence)
        .map((w) => w.word)
        .filter((w) => !words.some((o) => o.word === w && !o.low_confidence)),
    );
    assert.ok(unsureOnly.size > 0, 'the clip has words heard only as low-confidence (else this proves nothing)');
    const read = (r.ocr?.text ?? '').toLowerCase();
    const leaked = r
      .understanding!.keywords!.flatMap((k) => k.split(' '))
      .filter((k) => unsureOnly.has(k) && !read.includes(k));
    assert.deepEqual(leaked, [], `keywords ${r.understanding!.keywords!.join(', ')}`);
    // Nor does search match this clip by such a word (its text stays whole, its search words do not).
    const probe = [...unsureOnly].find((w) => w.length >= 4 && !read.includes(w) && queryTerms(w).length > 0);
    assert.ok(probe, `an unsure-only word to search for: ${[...unsureOnly].join(' ')}`);
    const found = await t.app.inject({ url: `/api/media/search?q=${probe}`, headers: auth(t.tenantA.key) });
    assert.equal(found.statusCode, 200, found.body);
    for (const h of found.json().data as Array<{ analysis_id: string; segments: Array<{ matched_by: string[] }> }>)
      if (h.analysis_id === id)
        for (const seg of h.segments) assert.ok(!seg.matched_by.includes('text'), `"${probe}": ${JSON.stringify(seg)}`);
  });

  test('transcript: every recognised word is its own word in the panel, unsure ones marked, and seeks', async () => {
    const words = r.transcript!.words!;
    const shown = page.getByTestId('transcript').locator('.w');
    assert.equal(await shown.count(), words.length);
    assert.deepEqual(
      (await shown.allTextContents()).map((w) => w.trim()),
      words.map((w) => w.word),
    );
    assert.equal(
      await page.getByTestId('transcript').locator('.w.unsure').count(),
      words.filter((w) => w.low_confidence).length,
    );
    await page.waitForFunction(
      () => ((globalThis as unknown as { document: PlayerDoc }).document.querySelector('video')?.readyState ?? 0) >= 1,
      null,
      { timeout: 15_000 },
    );
    const word = words[Math.floor(words.length / 2)]!;
    const at = await seekBy(() => shown.nth(Math.floor(words.length / 2)).click());
    assert.ok(Math.abs(at - word.start) < 0.3, `player at ${at} s, the word starts at ${word.start} s`);
  });

  test('answer: the extracted answer, each quoted passage with a time that seeks, shown once', async () => {
    const answer = (await page.getByTestId('answer').textContent()) ?? '';
    assert.ok(answer.startsWith('Extracted, not generated.'), answer);
    const timed = r.answer!.quotes!.filter((q) => q.start_seconds !== null);
    const cites = page.getByTestId('answer').getByRole('button');
    assert.equal(await cites.count(), timed.length);
    // Words heard with low confidence are marked in the quotes as [words?] (with a legend).
    const unmarked = answer.replace(/\[([^\]\d:]+)\?\]/g, '$1');
    for (const q of timed) {
      const quoted = `"${q.text.slice(0, 40)}`;
      assert.equal(unmarked.split(quoted).length - 1, 1, `${quoted} shown once`);
    }
    const words = r.transcript!.words!;
    const unsureQuoted = timed.some(
      (q) =>
        q.kind === 'transcript' &&
        words.some((w) => w.low_confidence && w.start >= q.start_seconds! && w.end <= q.end_seconds!),
    );
    // This clip's answer may quote no such stretch (test/local-answer.test.ts always does).
    if (unsureQuoted) {
      assert.match(answer, /\[[^\]\d:]+\?\]/, 'an unsure word is marked');
      assert.match(answer, /heard with low confidence/);
    } else assert.doesNotMatch(answer, /heard with low confidence/);
    // The text lists the quotes itself: no second list repeats them.
    assert.equal(await page.getByRole('list', { name: 'Citations' }).count(), 0);
    // The marks are in the text's order, which is the quotes' order; one past 0 s shows the seek.
    const i = timed.findIndex((q) => q.start_seconds! >= 1);
    assert.ok(i >= 0, 'a quote after the first second');
    const at = await seekBy(() => cites.nth(i).click());
    assert.ok(Math.abs(at - Math.floor(timed[i]!.start_seconds!)) < 0.3, `player at ${at} s`);
  });

  test('shots on the timeline, each with its keyframe; the contact sheet', async () => {
    await page.getByRole('heading', { name: 'Shots' }).waitFor();
    const tiles = page.getByTestId('timeline').locator('button.shot');
    assert.equal(await tiles.count(), r.shots!.count);
    await page.waitForFunction(
      (n: number) => {
        const imgs = Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('img.thumb'));
        return imgs.length === n && imgs.every((i) => i.complete && (i.naturalWidth ?? 0) > 0);
      },
      r.shots!.count,
      { timeout: 30_000 },
    );
    await page.waitForFunction(() => {
      const [img] = Array.from(
        (globalThis as unknown as { document: Doc }).document.querySelectorAll('img.contact-sheet'),
      );
      return Boolean(img?.complete && (img.naturalWidth ?? 0) > 0);
    });
  });

  test('objects and faces drawn on their frames; the moderation verdict', async () => {
    const labels = (await page.getByTestId('object-labels').textContent()) ?? '';
    for (const l of r.objects!.labels) assert.match(labels, new RegExp(`\\b${escape(l.label)} \\(`), labels);
    const frames = new Set([
      ...r.objects!.frames.filter((f) => f.items.length > 0).map((f) => f.seconds),
      ...(r.faces?.frames ?? []).filter((f) => f.boxes.length > 0).map((f) => f.seconds),
    ]);
    assert.equal(await page.locator('.detection-card').count(), frames.size);
    const boxes =
      r.objects!.frames.reduce((n, f) => n + f.items.length, 0) +
      (r.faces?.frames ?? []).reduce((n, f) => n + f.boxes.length, 0);
    await page.waitForFunction((n: number) => {
      const doc = (globalThis as unknown as { document: Doc }).document;
      return doc.querySelectorAll('.detection-card .box').length === n;
    }, boxes);
    assert.match((await page.getByTestId('moderation').textContent()) ?? '', new RegExp(r.moderation!.verdict));
  });

  test('on-screen text with its times; keywords and entities from the understanding section', async () => {
    const lines = page.getByTestId('ocr').locator('li');
    assert.deepEqual(
      (await lines.allTextContents()).map((l) => l.replace(/^\s*\d+:\d{2}\s*/, '').trim()),
      r.ocr!.lines.map((l) => l.text),
    );
    const kw = (await page.getByTestId('keywords').textContent()) ?? '';
    assert.match(kw, new RegExp(`Keywords: ${escape(r.understanding!.keywords!.join(', '))}`));
    const entities = Object.values(r.understanding!.entities!).flat();
    if (entities.length) for (const e of entities) assert.match(kw, new RegExp(escape(e)));
  });

  test('technical facts, stage timings and downloads; no serious accessibility problem', async () => {
    await page.getByRole('heading', { name: 'Technical facts' }).waitFor();
    assert.equal(await page.locator('table.timings tbody tr').count(), stageCount);
    const download = async (name: string) => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name, exact: true }).click(),
      ]);
      return fs.readFile(await file.path(), 'utf8');
    };
    // The result export answers the stored results unchanged (nothing dropped by a serializer).
    assert.deepEqual(JSON.parse(await download('JSON')).results, r);
    const srt = await download('SRT subtitles');
    assert.equal(srt.match(/ --> /g)?.length, r.transcript!.segments.length);
    assert.match(await download('WebVTT subtitles'), /^WEBVTT/);
    assert.deepEqual(await seriousAxeViolations(page), []);
    await fs.mkdir(SCREENSHOTS, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'viewer-local-desktop.png') });
    await page.getByTestId('timeline').screenshot({ path: path.join(dir, 'timeline.png') });
    if (process.env.E2E_DEBUG) await fs.copyFile(path.join(dir, 'timeline.png'), '/tmp/viewer-local-timeline.png');
    await page.setViewportSize({ width: 360, height: 780 });
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 1, `the viewer scrolls sideways at 360 px by ${overflow} px`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'viewer-local-360.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('library search: a hit on the transcript shows its unsure words as the transcript panel does', async () => {
    // A word the engine was sure of, in one window only, and that window holds unsure words.
    const windows = transcriptWindows(r.transcript!.words!);
    const inOne = (word: string) => windows.filter((w) => w.plain.split(' ').includes(word)).length === 1;
    const probe = windows
      // Indexed windows only (mostly-unsure ones are not).
      .filter((w) => UNSURE_MARK.test(w.text) && w.unsure <= MAX_UNSURE_WORD_SHARE)
      .flatMap((w) => w.sure.split(/[\s.]+/))
      .find((word) => word.length >= 4 && queryTerms(word).length > 0 && inOne(word));
    assert.ok(probe, 'a sure word in a window with unsure words (else this proves nothing)');
    await page.goto(`${base}/#/library?q=${encodeURIComponent(probe)}`);
    const hit = page.getByTestId('search-hit').first();
    await hit.waitFor();
    const unsure = hit.locator('.snippet .w.unsure');
    assert.ok((await unsure.count()) > 0, await hit.innerText());
    // The marks are shown as styling, not as brackets.
    assert.doesNotMatch(await hit.locator('.snippet').first().innerText(), /\?\]/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
