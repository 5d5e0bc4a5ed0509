/**
 * Test media generated on demand (never downloaded): ffmpeg test sources, a sharp
 * image, a hand-written multi-page PDF, text. Cached under test/fixtures/generated.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';

export const FIXTURE_DIR = path.resolve('test/fixtures/generated');

/** A minimal valid PDF with one line of text per page and correct xref offsets. */
export function makePdf(pages: string[], title = 'Fixture'): Buffer {
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = `<< /Type /Catalog /Pages 2 0 R >>`;
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>`;
  pages.forEach((text, i) => {
    const pageId = pageIds[i]!;
    const stream = `BT /F1 24 Tf 72 720 Td (${text.replace(/[()\\]/g, '\\$&')}) Tj ET`;
    objects[pageId] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageId + 1} 0 R >>`;
    objects[pageId + 1] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  });
  const infoId = objects.length;
  objects[infoId] = `<< /Title (${title}) >>`;
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(out);
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info ${infoId} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export function hasFfmpeg(): boolean {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function cached(name: string, make: (file: string) => Promise<void> | void): Promise<string> {
  const file = path.join(FIXTURE_DIR, name);
  try {
    await fs.access(file);
    return file;
  } catch {
    await fs.mkdir(FIXTURE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp${path.extname(name)}`;
    await make(tmp);
    await fs.rename(tmp, file);
    return file;
  }
}

const ff = (args: string[]): void => {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'inherit' });
};

export const fixtures = {
  /** 2 s, 160x120 testsrc with a 440 Hz tone, H.264/AAC in MP4. */
  video: () => cached('clip.mp4', (f) => ff(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-f', 'mp4', f])),
  /** 1 s, 440 Hz sine, 16-bit WAV. */
  audio: () => cached('tone.wav', (f) => ff(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-f', 'wav', f])),
  image: () => cached('image.png', async (f) => {
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toFile(f);
  }),
  pdf: () => cached('doc.pdf', (f) => fs.writeFile(f, makePdf(['Page one text', 'Page two text', 'Page three text'], 'Fixture Document'))),
  text: () => cached('notes.txt', (f) => fs.writeFile(f, 'Meeting notes\nThe quick brown fox.\n')),
  /** Text bytes in a file named like a video. */
  fakeVideo: () => cached('not-really.mp4', (f) => fs.writeFile(f, 'this is plain text, not an mp4\n')),
  /** Random bytes that match no signature and are not UTF-8. */
  garbage: () => cached('garbage.bin', (f) => fs.writeFile(f, Buffer.from([0xff, 0x00, 0xfe, 0x01, 0x80, 0x81, 0x00, 0x9f, 0x00, 0xc3]))),
  /** The first 3 KB of the video: an MP4 signature with a cut-off body. */
  truncatedVideo: async () => {
    const src = await fixtures.video();
    return cached('truncated.mp4', async (f) => fs.writeFile(f, (await fs.readFile(src)).subarray(0, 3000)));
  },
};
