/**
 * Media understanding end to end through the API: real ffmpeg, sharp, tesseract.js and
 * pdf.js on generated fixtures; the numbers in `results` are checked.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { fixtures, hasEspeak, hasFfmpeg } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';
import { contractProblems } from './helpers/contract.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp({ MAX_IMAGE_PIXELS: '10000000', CONTACT_SHEET_WIDTH: '960', CONTACT_SHEET_HEIGHT: '540' });
  await t.startWorker({ concurrency: 2 });
});
after(async () => {
  await t.close();
});

async function analyse(file: string, fields: Record<string, string> = {}) {
  const mp = multipart(
    { prompt: 'Describe it', ...fields },
    { name: file.split('/').pop()!, data: await fs.readFile(file) },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
  assert.equal(res.statusCode, 202, res.body);
  const id = res.json().analysis_id as string;
  const s = await waitFor(async () => {
    const s = (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json();
    return ['completed', 'failed'].includes(s.status) ? s : null;
  }, 60_000);
  if (s.status === 'completed') {
    // What the stages wrote is exactly the results contract, and the status answers it as stored.
    assert.deepEqual(contractProblems(s.results), [], `${file}: results depart from the contract`);
    const row = await t.db.db
      .selectFrom('media_analysis_requests')
      .select('results')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(s.results, row.results);
  }
  return s;
}

async function artifacts(id: string) {
  const res = await t.app.inject({ url: `/api/media/${id}/artifacts`, headers: auth(t.tenantA.key) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().data as Array<{
    id: string;
    area: string;
    name: string;
    mime_type: string;
    size_bytes: number;
    url: string;
  }>;
}

describe('video', { skip: !hasFfmpeg() && 'ffmpeg is not installed' }, () => {
  test('frames, a 2x3 contact sheet with its row, the audio track, caption OCR de-duplicated, outputs', async () => {
    const s = await analyse(await fixtures.captionedVideo(), { options: JSON.stringify({ ocr: true }) });
    assert.equal(s.status, 'completed', s.error_message);
    const r = s.results;
    assert.equal(r.frames.count, 6);
    assert.deepEqual(
      r.frames.items.map((f: { seconds: number }) => f.seconds),
      [0.333, 1, 1.667, 2.333, 3, 3.667],
    );
    assert.equal(r.contact_sheet.grid, '2x3');
    assert.equal(r.contact_sheet.resolution, '960x540');
    const sheetRow = await t.db.db
      .selectFrom('contact_sheets')
      .selectAll()
      .where('analysis_id', '=', s.analysis_id)
      .executeTakeFirstOrThrow();
    assert.equal(sheetRow.frames_count, 6);
    assert.match(sheetRow.path, new RegExp(`^contact-sheets/\\d{4}-\\d{2}-\\d{2}/${s.analysis_id}/contact-sheet.jpg$`));
    const meta = await sharp(`${t.storageRoot}/${sheetRow.path}`).metadata();
    assert.equal(meta.width, 960);
    assert.equal(meta.height, 540);
    assert.ok(Math.abs(r.audio.loudness.true_peak_dbfs - -18.1) < 1.5, `peak ${r.audio.loudness.true_peak_dbfs}`);
    assert.equal(r.audio.prepared_for_transcription.sample_rate, 16000);
    assert.match(r.ocr.text, /HELLO CAPTION/);
    assert.equal(r.ocr.lines.length, 1, JSON.stringify(r.ocr.lines));
    assert.equal(r.ocr.lines[0].seconds.length, 6);
    assert.ok(r.stages.every((x: { ms: number }) => x.ms >= 0));
    const list = await artifacts(s.analysis_id);
    const areas = new Set(list.map((a) => a.area));
    for (const area of ['uploads', 'frames', 'contact-sheets', 'outputs', 'temp']) assert.ok(areas.has(area), area);
    assert.ok(list.some((a) => a.name === 'result.json'));
    assert.ok(list.some((a) => a.name === 'summary.txt'));
  });

  test('extract_frames and generate_contact_sheet can be switched off', async () => {
    const s = await analyse(await fixtures.video(), {
      options: JSON.stringify({ extract_frames: false, generate_contact_sheet: false }),
    });
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(s.results.frames, undefined);
    assert.equal(s.results.contact_sheet, undefined);
    assert.ok(s.results.audio);
  });
});

describe('audio', { skip: (!hasFfmpeg() || !hasEspeak()) && 'ffmpeg or espeak-ng is not installed' }, () => {
  test('speech between silences: loudness, silence and speech segments, waveform, 16 kHz mono', async () => {
    const s = await analyse(await fixtures.speech());
    assert.equal(s.status, 'completed', s.error_message);
    const a = s.results.audio;
    assert.ok(a.loudness.integrated_lufs < -10 && a.loudness.integrated_lufs > -40, String(a.loudness.integrated_lufs));
    assert.ok(a.silences.length >= 2, JSON.stringify(a.silences));
    assert.ok(a.silences[0].start < 0.1 && a.silences[0].end > 0.8, JSON.stringify(a.silences[0]));
    assert.ok(a.speech_segments.length >= 1);
    assert.ok(a.speech_segments[0].start > 0.8 && a.speech_segments[0].start < 1.3, JSON.stringify(a.speech_segments));
    const wave = await sharp(`${t.storageRoot}/${a.waveform}`).metadata();
    assert.equal(wave.width, 1200);
    const wav = await fs.readFile(`${t.storageRoot}/${a.prepared_for_transcription.path}`);
    assert.equal(wav.readUInt16LE(22), 1, 'mono');
    assert.equal(wav.readUInt32LE(24), 16000, '16 kHz');
  });
});

describe('images', () => {
  test('OCR finds the rendered text; colours, thumbnail', async () => {
    const s = await analyse(await fixtures.textImage());
    assert.equal(s.status, 'completed', s.error_message);
    assert.match(s.results.image.ocr.text, /INVOICE 2026/);
    assert.ok(s.results.image.ocr.confidence > 0.6);
    assert.equal(s.results.image.dominant_colours[0].hex, '#ffffff');
    const thumb = await sharp(`${t.storageRoot}/${s.results.image.thumbnail}`).metadata();
    assert.ok(thumb.width! <= 320);
    assert.equal(thumb.exif, undefined, 'the thumbnail carries no metadata');
  });

  test('EXIF camera is kept, GPS is removed unless asked', async () => {
    const plain = await analyse(await fixtures.exifImage(), { options: JSON.stringify({ ocr: false }) });
    assert.equal(plain.results.image.exif.make, 'FixtureCam');
    assert.equal(plain.results.image.exif.has_gps, true);
    assert.equal(plain.results.image.exif.gps, undefined);
    const withGps = await analyse(await fixtures.exifImage(), {
      options: JSON.stringify({ ocr: false, keep_gps: true }),
    });
    assert.equal(withGps.results.image.exif.gps.latitude, 52.5);
    assert.equal(withGps.results.image.exif.gps.longitude, 13.4);
  });

  test('an image bomb fails with IMAGE_TOO_LARGE and the worker carries on', async () => {
    const s = await analyse(await fixtures.imageBomb());
    assert.equal(s.status, 'failed');
    assert.equal(s.error_code, 'IMAGE_TOO_LARGE');
  });
});

describe('documents', () => {
  test('PDF: text per page, title, language, stored text', async () => {
    const s = await analyse(await fixtures.pdf());
    assert.equal(s.status, 'completed', s.error_message);
    const d = s.results.document;
    assert.equal(d.pages, 3);
    assert.equal(d.title, 'Fixture Document');
    assert.deepEqual(
      d.page_texts.map((p: { source: string }) => p.source),
      ['text', 'text', 'text'],
    );
    assert.match(d.text_preview, /Page one text[\s\S]*Page two text[\s\S]*Page three text/);
    const stored = await fs.readFile(`${t.storageRoot}/${d.text_path}`, 'utf8');
    assert.equal(stored.split('\f').length, 3, 'page boundaries are kept');
  });

  test('a PDF that throws fails with MEDIA_CORRUPT and the worker carries on', async () => {
    const broken = `${t.storageRoot}/broken.pdf`;
    await fs.writeFile(
      broken,
      '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    );
    const s = await analyse(broken);
    assert.equal(s.status, 'failed');
    assert.equal(s.error_code, 'MEDIA_CORRUPT', s.error_message);
  });

  test('scanned PDF falls back to OCR', async () => {
    const s = await analyse(await fixtures.scannedPdf());
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(s.results.document.ocr_pages, 1);
    assert.match(s.results.document.text_preview, /SCANNED PAGE/);
  });

  test('DOCX and HTML text, with language', async () => {
    const docx = await analyse(await fixtures.docx());
    assert.equal(docx.status, 'completed', docx.error_message);
    assert.equal(docx.results.document.format, 'docx');
    assert.equal(docx.results.document.title, 'Quarterly Report');
    assert.equal(docx.results.document.language, 'en');
    const html = await analyse(await fixtures.html());
    assert.equal(html.results.document.format, 'html');
    assert.equal(html.results.document.title, 'Fixture Page');
    assert.match(html.results.document.text_preview, /The cat sat on the mat & it was happy\./);
    assert.doesNotMatch(html.results.document.text_preview, /alert/);
  });
});

describe('artifacts endpoint', () => {
  test('lists and serves files with content types and byte ranges; tenant-checked', async () => {
    const s = await analyse(await fixtures.text());
    const list = await artifacts(s.analysis_id);
    const summary = list.find((a) => a.name === 'summary.txt')!;
    const full = await t.app.inject({ url: summary.url, headers: auth(t.tenantA.key) });
    assert.equal(full.statusCode, 200);
    assert.match(String(full.headers['content-type']), /text\/plain/);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    const source = list.find((a) => a.area === 'uploads')!;
    const part = await t.app.inject({ url: source.url, headers: { ...auth(t.tenantA.key), range: 'bytes=0-6' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.body, 'Meeting');
    assert.equal(part.headers['content-range'], `bytes 0-6/${source.size_bytes}`);
    const bad = await t.app.inject({ url: source.url, headers: { ...auth(t.tenantA.key), range: 'bytes=999999-' } });
    assert.equal(bad.statusCode, 416);
    assert.equal((await t.app.inject({ url: source.url, headers: auth(t.tenantB.key) })).statusCode, 404);
    assert.equal(
      (await t.app.inject({ url: `/api/media/${s.analysis_id}/artifacts`, headers: auth(t.tenantB.key) })).statusCode,
      404,
    );
    assert.equal(
      (
        await t.app.inject({
          url: `/api/media/${s.analysis_id}/artifacts/00000000-0000-4000-8000-000000000000`,
          headers: auth(t.tenantA.key),
        })
      ).statusCode,
      404,
    );
  });
});
