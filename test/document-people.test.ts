/**
 * Faces in a document's pages, end to end with the REAL models (BlazeFace, the face mesh,
 * faceres) and a real database: a PDF report whose pages carry photographs gives faces
 * with their pages, and the person on page 2 is the person of a photograph analysed on
 * its own; named, the person makes search find the document at that page, and the
 * answer without a provider says on which page they appear. The other tenant sees none.
 *
 * The material: Debian's astronaut (python3-skimage) and Grace Hopper
 * (python-matplotlib-data) embedded as JPEGs in a generated PDF with a text layer.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { makeIllustratedPdf } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';
import { photo } from './helpers/photos.ts';
import { ModelHost } from '../src/media/vision/model-host.ts';
import { sharedEmbedder } from '../src/nlp/embedder.ts';

const ASTRONAUT = photo('astronaut.png');
const HOPPER = '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg';
const skip =
  (!existsSync(ASTRONAUT) || !existsSync(HOPPER) || !existsSync('/usr/bin/pdfimages')) &&
  'python3-skimage, python-matplotlib-data or poppler-utils is not installed';

let t: TestApp;
let host: ModelHost;
let dir: string;
let pdf: string;

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
  pdf = path.join(dir, 'crew-report.pdf');
  await fs.writeFile(
    pdf,
    makeIllustratedPdf([
      { text: 'Crew report: the mission and its people' },
      { text: 'The commander of the mission', picture: await jpeg(ASTRONAUT) },
      { text: 'A pioneer of programming', picture: await jpeg(HOPPER) },
    ]),
  );
});
after(async () => {
  if (skip) return;
  await t.close();
  await host.close();
  await sharedEmbedder().close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function analyse(file: string, key: string) {
  const mp = multipart(
    { prompt: 'Who appears, and where?' },
    { name: path.basename(file), data: await fs.readFile(file) },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(key), ...mp.headers },
    payload: mp.payload,
  });
  assert.equal(res.statusCode, 202, res.body);
  const id = res.json().analysis_id as string;
  return waitFor(async () => {
    const s = (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(key) })).json();
    return ['completed', 'failed'].includes(s.status) ? s : null;
  }, 300_000);
}

const get = (url: string, key: string) => t.app.inject({ url, headers: auth(key) });

describe('faces in a document’s pages', { skip }, () => {
  test('a PDF’s photographs: faces with their pages, joined to the tenant’s people, found by name at the page', async () => {
    const still = await analyse(ASTRONAUT, t.tenantA.key);
    assert.equal(still.status, 'completed', still.error_message);
    const doc = await analyse(pdf, t.tenantA.key);
    assert.equal(doc.status, 'completed', doc.error_message);
    assert.equal(doc.results.partial ?? false, false, JSON.stringify(doc.results.stages));

    // Faces: one on page 2, one on page 3, none elsewhere; objects and moderation are not run on documents.
    const faces = doc.results.faces;
    assert.ok(faces, JSON.stringify(doc.results.stages));
    assert.deepEqual(
      faces.frames.map((f: { page: number; count: number }) => [f.page, f.count]),
      [
        [2, 1],
        [3, 1],
      ],
    );
    assert.equal(doc.results.objects, undefined);
    assert.equal(doc.results.moderation, undefined);
    assert.match(doc.result_summary, /2 faces on pages 2, 3/);
    // The document's text is read as before.
    assert.match(doc.results.document.text_preview ?? doc.results.document.text ?? '', /commander/i);

    type Appearance = { page: number; start_seconds: number | null; person_id: string };
    const appearances = [...(doc.results.people.appearances as Appearance[])].sort((a, b) => a.page - b.page);
    assert.deepEqual(
      appearances.map((a) => [a.page, a.start_seconds]),
      [
        [2, null],
        [3, null],
      ],
    );
    const commanderId = appearances[0]!.person_id;
    const detail = (await get(`/api/people/${commanderId}`, t.tenantA.key)).json();
    // The photograph analysed on its own and page 2 of the report are one person.
    assert.deepEqual([...detail.analysis_ids].sort(), [still.analysis_id, doc.analysis_id].sort());
    const onPage = detail.appearances.find((a: { analysis_id: string }) => a.analysis_id === doc.analysis_id);
    assert.equal(onPage.page, 2);
    assert.equal(onPage.start_seconds, null);
    assert.notEqual(appearances[1]!.person_id, commanderId, 'Grace Hopper is another person');

    // Named, the person makes search find the report, at page 2.
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
    const personSegment = hit.segments.find((s: { kind: string }) => s.kind === 'person');
    assert.equal(personSegment?.page, 2, JSON.stringify(hit));

    // A later analysis of the report: the answer (no provider) says on which page she appears.
    const again = await analyse(pdf, t.tenantA.key);
    assert.equal(again.status, 'completed', again.error_message);
    const onScreen = again.results.answer.facts.people_on_screen;
    assert.deepEqual(
      onScreen?.named.find((n: { name: string }) => n.name === 'Eileen Collins')?.when,
      ['on page 2'],
      JSON.stringify(onScreen),
    );

    // The other tenant sees none of it.
    assert.deepEqual((await get('/api/people', t.tenantB.key)).json().data, []);
    assert.deepEqual((await get('/api/media/search?q=Eileen%20Collins', t.tenantB.key)).json().data, []);
  });
});
