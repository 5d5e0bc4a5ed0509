/**
 * Where people are looked for, end to end with the REAL models (BlazeFace, the face mesh,
 * faceres) and a real database.
 *
 * Someone on screen for a few seconds of a long shot, between the frames, is found: with
 * recognition on, each shot is looked at for faces at least every PEOPLE_FRAME_SECONDS.
 *
 * Faces in a document's pages: a PDF report whose pages carry photographs gives faces
 * with their pages, and the person on page 2 is the person of a photograph analysed on
 * its own; named, the person makes search find the document at that page, and the
 * answer without a provider says on which page they appear. The other tenant sees none.
 *
 * A Word document's pictures (word/media) are looked at the same way; a DOCX has no pages.
 *
 * The material: Debian's astronaut (python3-skimage) and Grace Hopper
 * (python-matplotlib-data) embedded as JPEGs in a generated PDF with a text layer.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createTestApp, analyseFile, auth, type TestApp } from './helpers/app.ts';
import { hasFfmpeg, makeDocx, makeIllustratedPdf } from './helpers/fixtures.ts';
import { photo } from './helpers/photos.ts';
import { hasChromium, launchBrowser, signIn } from './helpers/browser.ts';
import { consoleBuilt } from '../src/http/routes/console.routes.ts';
import { ModelHost } from '../src/media/vision/model-host.ts';
import { sharedEmbedder } from '../src/nlp/embedder.ts';

const ASTRONAUT = photo('astronaut.png');
const HOPPER = '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg';
const COFFEE = photo('coffee.png');
const skip =
  (!existsSync(ASTRONAUT) || !existsSync(HOPPER) || !existsSync('/usr/bin/pdfimages') || !hasFfmpeg()) &&
  'python3-skimage, python-matplotlib-data, poppler-utils or ffmpeg is not installed';

const browserMissing =
  (!hasChromium() && 'chromium is not installed (apt-get install chromium)') ||
  (!consoleBuilt() && 'the console is not built (npm run build)');

let t: TestApp;
let host: ModelHost;
let dir: string;
let pdf: string;
let docx: string;
let video: string;

/**
 * One 60-s shot of a still (coffee): the astronaut's portrait fades in over a corner at
 * 39.5 s, stays fully from 40.5 to 44.5 s and fades out (a fade, not a cut: one shot).
 */
function makeLongShot(file: string): void {
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-loop',
    '1',
    '-t',
    '60',
    '-i',
    COFFEE,
    '-loop',
    '1',
    '-t',
    '60',
    '-i',
    ASTRONAUT,
    '-filter_complex',
    "[0]scale=640:360,setsar=1,fps=10[bg];[1]scale=240:240,format=yuva420p,fade=in:st=39.5:d=1:alpha=1,fade=out:st=44.5:d=1:alpha=1[o];[bg][o]overlay=x=380:y=60:enable='between(t,39.5,45.5)',format=yuv420p[v]",
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    file,
  ]);
}

before(async () => {
  if (skip) return;
  host = new ModelHost({ callTimeoutMs: 120_000, maxHeapMb: 1024, describeFaces: true });
  t = await createTestApp({}, { vision: host });
  await t.startWorker({ concurrency: 1 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-doc-people-'));
  const jpeg = async (file: string) => {
    const { data, info } = await sharp(file).jpeg({ quality: 85 }).toBuffer({ resolveWithObject: true });
    return { jpeg: data, width: info.width, height: info.height };
  };
  video = path.join(dir, 'long-shot.mp4');
  makeLongShot(video);
  const closeCrop = path.join(dir, 'astronaut-close.png');
  await sharp(ASTRONAUT).extract({ left: 110, top: 10, width: 300, height: 300 }).toFile(closeCrop);
  pdf = path.join(dir, 'crew-report.pdf');
  await fs.writeFile(
    pdf,
    makeIllustratedPdf([
      { text: 'Crew report: the mission and its people' },
      { text: 'The commander of the mission', picture: await jpeg(ASTRONAUT) },
      { text: 'A pioneer of programming', picture: await jpeg(HOPPER) },
      // The commander again, closer (another picture of her, on another page).
      { text: 'The commander at the launch', picture: await jpeg(closeCrop) },
    ]),
  );
  // A Word document: the commander (JPEG), an icon too small for a face, a vector drawing, Grace Hopper (PNG).
  docx = path.join(dir, 'crew-notes.docx');
  await fs.writeFile(
    docx,
    makeDocx(
      ['Crew notes', 'The commander of the mission and a pioneer of programming.'],
      [
        ['image1.jpeg', (await jpeg(ASTRONAUT)).jpeg],
        ['image2.png', await sharp(COFFEE).resize(20, 20).png().toBuffer()],
        ['image3.emf', Buffer.from('not a raster picture')],
        ['image4.png', await sharp(HOPPER).png().toBuffer()],
      ],
    ),
  );
});
after(async () => {
  if (skip) return;
  await t.close();
  await host.close();
  await sharedEmbedder().close();
  await fs.rm(dir, { recursive: true, force: true });
});

const analyse = (file: string, key: string, options: Record<string, unknown> = {}) =>
  analyseFile(t, key, file, 'Who appears, and where?', options);

const get = (url: string, key: string) => t.app.inject({ url, headers: auth(key) });

describe('someone on screen for part of a long shot', { skip }, () => {
  test('is found between the frames, with the moment they are there', async () => {
    const clip = await analyse(video, t.tenantA.key, { frame_count: 3 });
    assert.equal(clip.status, 'completed', clip.error_message);
    assert.equal(clip.results.shots.count, 1, 'a fade, not a cut');
    // No frame falls while the portrait is there…
    const frameTimes = clip.results.frames.items.map((f: { seconds: number }) => f.seconds);
    assert.ok(!frameTimes.some((s: number) => s > 39 && s < 46), JSON.stringify(frameTimes));
    // …yet the person is found, at that moment, from a moment looked at for faces only.
    const appearances = clip.results.people?.appearances ?? [];
    assert.equal(
      appearances.length,
      1,
      JSON.stringify({
        people: clip.results.people,
        frames: clip.results.frames,
        faces: clip.results.faces.frames.map((f: { seconds: number; count: number }) => [f.seconds, f.count]),
        shots: clip.results.shots.shots,
      }),
    );
    const [a] = appearances;
    assert.ok(a.start_seconds >= 39.5 && a.end_seconds <= 45.5, JSON.stringify(a));
    assert.ok(
      clip.results.faces.frames.some((f: { seconds: number; count: number }) => f.count === 1 && f.seconds > 39.5),
    );
    assert.match(clip.results.frames.notes.join(' '), /moments looked at for faces only/);
    // Objects and moderation read the frames only.
    assert.equal(clip.results.objects.frames.length, frameTimes.length);
    assert.equal(clip.results.moderation.frames.length, frameTimes.length);
  });
});

describe('faces in a document’s pages', { skip }, () => {
  test('a PDF’s photographs: faces with their pages, joined to the tenant’s people, found by name at the page', async () => {
    const still = await analyse(ASTRONAUT, t.tenantA.key);
    assert.equal(still.status, 'completed', still.error_message);
    const doc = await analyse(pdf, t.tenantA.key);
    assert.equal(doc.status, 'completed', doc.error_message);
    assert.equal(doc.results.partial ?? false, false, JSON.stringify(doc.results.stages));

    // Faces: one on each of pages 2, 3 and 4, none on page 1; objects and moderation are not run on documents.
    const faces = doc.results.faces;
    assert.ok(faces, JSON.stringify(doc.results.stages));
    assert.deepEqual(
      faces.frames.map((f: { page: number; count: number }) => [f.page, f.count]),
      [
        [2, 1],
        [3, 1],
        [4, 1],
      ],
    );
    assert.equal(doc.results.objects, undefined);
    assert.equal(doc.results.moderation, undefined);
    assert.match(doc.result_summary, /3 faces on pages 2, 3, 4/);
    // The document's text is read as before.
    assert.match(doc.results.document.text_preview ?? doc.results.document.text ?? '', /commander/i);

    type Appearance = { page: number; start_seconds: number | null; person_id: string };
    const appearances = [...(doc.results.people.appearances as Appearance[])].sort((a, b) => a.page - b.page);
    assert.deepEqual(
      appearances.map((a) => [a.page, a.start_seconds]),
      [
        [2, null],
        [3, null],
        [4, null],
      ],
    );
    const commanderId = appearances[0]!.person_id;
    const detail = (await get(`/api/people/${commanderId}`, t.tenantA.key)).json();
    // The photograph analysed on its own and pages 2 and 4 of the report are one person
    // (two pages are not "at once": the same face on both is not two people).
    assert.deepEqual([...detail.analysis_ids].sort(), [still.analysis_id, doc.analysis_id].sort());
    const onPages = detail.appearances.filter((a: { analysis_id: string }) => a.analysis_id === doc.analysis_id);
    assert.deepEqual(
      onPages.map((a: { page: number }) => a.page).sort((a: number, b: number) => a - b),
      [2, 4],
    );
    assert.ok(onPages.every((a: { start_seconds: number | null }) => a.start_seconds === null));
    assert.equal(appearances[2]!.person_id, commanderId);
    assert.notEqual(appearances[1]!.person_id, commanderId, 'Grace Hopper is another person');

    // Named, the person makes search find the report, at pages 2 and 4.
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/api/people/${commanderId}`,
      headers: auth(t.tenantA.key),
      payload: { name: 'Eileen Collins' },
    });
    assert.equal(renamed.statusCode, 200, renamed.body);
    const found = (await get('/api/media/search?q=Eileen%20Collins', t.tenantA.key)).json();
    const hit = found.data.find((h: { analysis_id: string }) => h.analysis_id === doc.analysis_id);
    assert.ok(hit, JSON.stringify(found));
    const personPages = hit.segments
      .filter((s: { kind: string }) => s.kind === 'person')
      .map((s: { page: number }) => s.page)
      .sort();
    assert.deepEqual(personPages, [2, 4], JSON.stringify(hit));

    // A later analysis of the report: the answer (no provider) says on which page she appears.
    const again = await analyse(pdf, t.tenantA.key);
    assert.equal(again.status, 'completed', again.error_message);
    const onScreen = again.results.answer.facts.people_on_screen;
    assert.deepEqual(
      onScreen?.named.find((n: { name: string }) => n.name === 'Eileen Collins')?.when,
      ['on page 2', 'on page 4'],
      JSON.stringify(onScreen),
    );

    // The other tenant sees none of it.
    assert.deepEqual((await get('/api/people', t.tenantB.key)).json().data, []);
    assert.deepEqual((await get('/api/media/search?q=Eileen%20Collins', t.tenantB.key)).json().data, []);
  });
});

describe('faces in a Word document’s pictures', { skip }, () => {
  test('a DOCX’s photographs: faces without pages, joined to the tenant’s people; drawings and tiny pictures skipped', async () => {
    const still = await analyse(ASTRONAUT, t.tenantA.key);
    assert.equal(still.status, 'completed', still.error_message);
    const doc = await analyse(docx, t.tenantA.key);
    assert.equal(doc.status, 'completed', doc.error_message);
    assert.equal(doc.results.partial ?? false, false, JSON.stringify(doc.results.stages));
    assert.equal(doc.results.document.format, 'docx');
    assert.match(doc.results.document.text ?? doc.results.document.text_preview ?? '', /commander/i);

    // Two photographs with a face each; the icon (20 px) and the EMF drawing are not looked at.
    const faces = doc.results.faces;
    assert.ok(faces, JSON.stringify(doc.results.stages));
    assert.deepEqual(
      faces.frames.map((f: { page?: number | null; count: number }) => [f.page ?? null, f.count]),
      [
        [null, 1],
        [null, 1],
      ],
    );
    assert.equal(doc.results.objects, undefined);
    assert.equal(doc.results.moderation, undefined);
    const notes = faces.notes.join(' ');
    assert.match(notes, /1 embedded drawing\(s\) \(EMF, WMF, SVG\) not looked at/, notes);
    assert.match(notes, /1 embedded picture\(s\) smaller than 64 px not looked at/, notes);

    // The astronaut in the document is the person of the photograph; Grace Hopper is another.
    type Appearance = { page: number | null; start_seconds: number | null; person_id: string };
    const appearances = doc.results.people.appearances as Appearance[];
    assert.equal(appearances.length, 2, JSON.stringify(doc.results.people));
    assert.ok(
      appearances.every((a) => (a.page ?? null) === null && a.start_seconds === null),
      JSON.stringify(appearances),
    );
    const stillPerson = (still.results.people.appearances as Appearance[])[0]!.person_id;
    const persons = appearances.map((a) => a.person_id);
    assert.ok(persons.includes(stillPerson), JSON.stringify({ persons, stillPerson }));
    assert.equal(new Set(persons).size, 2, 'two people');
    const detail = (await get(`/api/people/${stillPerson}`, t.tenantA.key)).json();
    assert.ok(detail.analysis_ids.includes(doc.analysis_id), JSON.stringify(detail.analysis_ids));

    // The other tenant sees none of it.
    assert.deepEqual((await get(`/api/people/${stillPerson}`, t.tenantB.key)).statusCode, 404);
  });
});

describe('the viewer shows where people are in a document', { skip: skip || browserMissing }, () => {
  test('a PDF: each person with the pages they are on; the People page: their moments by page', async () => {
    const doc = await analyse(pdf, t.tenantA.key);
    assert.equal(doc.status, 'completed', doc.error_message);
    type Appearance = { page: number; person_id: string };
    const byPerson = new Map<string, number[]>();
    for (const a of doc.results.people.appearances as Appearance[])
      byPerson.set(
        a.person_id,
        [...(byPerson.get(a.person_id) ?? []), a.page].sort((x, y) => x - y),
      );
    assert.deepEqual([...byPerson.values()].sort(), [[2, 4], [3]]);

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      await signIn(page, base, t.tenantA.key);
      await page.goto(`${base}/#/analyses/${doc.analysis_id}`);
      await page.getByTestId('viewer-status').filter({ hasText: 'completed' }).waitFor();
      const line = page.getByTestId('people-line');
      await line.waitFor();
      const shown = (await line.getByTestId('person-pages').allTextContents()).sort();
      assert.deepEqual(shown, ['on page 3', 'on pages 2, 4']);
      // The document's pages are the bar: one mark a page the person is on.
      const twice = line.locator('li').filter({ has: page.getByText('on pages 2, 4') });
      assert.equal(await twice.locator('.timeline-bar .tick').count(), 2);

      // The People page: the moments of the person on two pages, by page.
      const personId = [...byPerson.entries()].find(([, pages]) => pages.length === 2)![0];
      await page.goto(`${base}/#/people/${personId}`);
      await page.getByRole('heading', { name: 'Appearances' }).waitFor();
      for (const n of [2, 4]) await page.getByText(`on page ${n}`, { exact: true }).first().waitFor();
    } finally {
      await browser.close();
    }
  });
});
