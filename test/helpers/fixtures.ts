/**
 * Test media generated on demand (never downloaded): ffmpeg test sources, a sharp
 * image, a hand-written multi-page PDF, text. Cached under test/fixtures/generated.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import zlib from 'node:zlib';

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
    objects[pageId] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageId + 1} 0 R >>`;
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

/**
 * Binary-safe PDF objects written in order with their offsets: `obj(id, body)` for ids
 * 1 … count-1, then `end(count)` writes the cross-reference table and the trailer (root 1).
 */
function pdfWriter() {
  const chunks: Buffer[] = [];
  const offsets: number[] = [];
  let size = 0;
  const push = (b: Buffer | string) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    chunks.push(buf);
    size += buf.length;
  };
  push('%PDF-1.4\n');
  const obj = (id: number, body: (Buffer | string)[]) => {
    offsets[id] = size;
    push(`${id} 0 obj\n`);
    for (const b of body) push(b);
    push('\nendobj\n');
  };
  const end = (count: number): Buffer => {
    const xref = size;
    push(`xref\n0 ${count}\n0000000000 65535 f \n`);
    for (let id = 1; id < count; id++) push(`${String(offsets[id]).padStart(10, '0')} 00000 n \n`);
    push(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
    return Buffer.concat(chunks);
  };
  return { obj, end };
}

/** A PDF whose only page is a JPEG (a scan): no text layer. */
export function makeScannedPdf(jpeg: Buffer, width: number, height: number): Buffer {
  return makeScannedPdfPages([{ jpeg, width, height }]);
}

/** A PDF of scanned pages, one JPEG each, fitted to the width of a Letter page: no text layer. */
export function makeScannedPdfPages(pages: ReadonlyArray<{ jpeg: Buffer; width: number; height: number }>): Buffer {
  const { obj, end } = pdfWriter();
  // Objects 1 and 2 are the catalog and the page tree; page i has its page, image and content at 3 + 3i.
  const pageId = (i: number) => 3 + i * 3;
  obj(1, ['<< /Type /Catalog /Pages 2 0 R >>']);
  obj(2, [`<< /Type /Pages /Kids [${pages.map((_, i) => `${pageId(i)} 0 R`).join(' ')}] /Count ${pages.length} >>`]);
  pages.forEach(({ jpeg, width, height }, i) => {
    const id = pageId(i);
    const content = `q 612 0 0 ${Math.round((612 * height) / width)} 0 100 cm /Im1 Do Q`;
    obj(id, [
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 ${id + 1} 0 R >> >> /Contents ${id + 2} 0 R >>`,
    ]);
    obj(id + 1, [
      `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpeg.length} >>\nstream\n`,
      jpeg,
      '\nendstream',
    ]);
    obj(id + 2, [`<< /Length ${content.length} >>\nstream\n${content}\nendstream`]);
  });
  return end(3 + pages.length * 3);
}

/**
 * A PDF of pages with a line of text each and, on some, a photograph (a JPEG image
 * XObject placed below the text), like a report or a brochure: a text layer on every page.
 */
export function makeIllustratedPdf(
  pages: ReadonlyArray<{ text: string; picture?: { jpeg: Buffer; width: number; height: number } }>,
): Buffer {
  const { obj, end } = pdfWriter();
  // 1 catalog, 2 page tree, 3 font; page i has its page, image and content at 4 + 3i.
  const pageId = (i: number) => 4 + i * 3;
  obj(1, ['<< /Type /Catalog /Pages 2 0 R >>']);
  obj(2, [`<< /Type /Pages /Kids [${pages.map((_, i) => `${pageId(i)} 0 R`).join(' ')}] /Count ${pages.length} >>`]);
  obj(3, ['<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>']);
  pages.forEach(({ text, picture }, i) => {
    const id = pageId(i);
    const words = `BT /F1 18 Tf 72 740 Td (${text.replace(/[()\\]/g, '\\$&')}) Tj ET`;
    const h = picture ? Math.round((400 * picture.height) / picture.width) : 0;
    const content = picture ? `${words} q 400 0 0 ${h} 106 ${700 - h} cm /Im1 Do Q` : words;
    const xobject = picture ? ` /XObject << /Im1 ${id + 1} 0 R >>` : '';
    obj(id, [
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >>${xobject} >> /Contents ${id + 2} 0 R >>`,
    ]);
    obj(
      id + 1,
      picture
        ? [
            `<< /Type /XObject /Subtype /Image /Width ${picture.width} /Height ${picture.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${picture.jpeg.length} >>\nstream\n`,
            picture.jpeg,
            '\nendstream',
          ]
        : ['null'],
    );
    obj(id + 2, [`<< /Length ${content.length} >>\nstream\n${content}\nendstream`]);
  });
  return end(4 + pages.length * 3);
}

/** A minimal DOCX (a stored, uncompressed zip) with one paragraph per line. */
/**
 * A minimal DOCX: the paragraphs, and `media` parts under word/media/ (pictures, related
 * to the document as images the way Word relates them), stored uncompressed.
 */
export function makeDocx(paragraphs: string[], media: Array<[name: string, data: Buffer]> = []): Buffer {
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const imageRels = media
    .map(
      ([name], i) =>
        `<Relationship Id="rIdImg${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/${name}"/>`,
    )
    .join('');
  const files: Array<[string, Buffer | string]> = [
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="jpeg" ContentType="image/jpeg"/><Default Extension="emf" ContentType="image/x-emf"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ],
    [
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ],
    [
      'word/document.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${esc(p)}</w:t></w:r></w:p>`).join('')}</w:body></w:document>`,
    ],
    ...(media.length > 0
      ? ([
          [
            'word/_rels/document.xml.rels',
            `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${imageRels}</Relationships>`,
          ],
        ] as Array<[string, string]>)
      : []),
    ...media.map(([name, data]): [string, Buffer] => [`word/media/${name}`, data]),
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    locals.push(local, nameBuf, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + data.length;
  }
  const centralSize = centrals.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

export function textImageSvg(text: string, width = 900, height = 200): Buffer {
  return Buffer.from(
    `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" fill="white"/><text x="30" y="${Math.round(height * 0.62)}" font-family="DejaVu Sans" font-size="64" font-weight="bold" fill="black">${text}</text></svg>`,
  );
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG with a real IHDR for `width`×`height` and a tiny compressed body. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export function hasEspeak(): boolean {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
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
  video: () =>
    cached('clip.mp4', (f) =>
      ff([
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x120:rate=10:duration=2',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=2',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-shortest',
        '-f',
        'mp4',
        f,
      ]),
    ),
  /** 1 s, 440 Hz sine, 16-bit WAV. */
  audio: () => cached('tone.wav', (f) => ff(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-f', 'wav', f])),
  image: () =>
    cached('image.png', async (f) => {
      await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } })
        .png()
        .toFile(f);
    }),
  pdf: () =>
    cached('doc.pdf', (f) =>
      fs.writeFile(f, makePdf(['Page one text', 'Page two text', 'Page three text'], 'Fixture Document')),
    ),
  text: () => cached('notes.txt', (f) => fs.writeFile(f, 'Meeting notes\nThe quick brown fox.\n')),
  /** Text bytes in a file named like a video. */
  fakeVideo: () => cached('not-really.mp4', (f) => fs.writeFile(f, 'this is plain text, not an mp4\n')),
  /** Random bytes that match no signature and are not UTF-8. */
  garbage: () =>
    cached('garbage.bin', (f) =>
      fs.writeFile(f, Buffer.from([0xff, 0x00, 0xfe, 0x01, 0x80, 0x81, 0x00, 0x9f, 0x00, 0xc3])),
    ),
  /** 4 s, 320x240 at 10 fps (a keyframe every second), a burned-in caption and a 440 Hz tone. */
  captionedVideo: () =>
    cached('captioned.mp4', (f) =>
      ff([
        '-f',
        'lavfi',
        '-i',
        'color=c=black:size=320x240:rate=10:duration=4',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=4',
        '-vf',
        "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='HELLO CAPTION':fontcolor=white:fontsize=36:x=(w-text_w)/2:y=(h-text_h)/2",
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '10',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-shortest',
        '-f',
        'mp4',
        f,
      ]),
    ),
  /** 4 s video: a burned-in caption over black, with espeak-ng speech as its sound. */
  speechVideo: async () => {
    const speech = await fixtures.speech();
    return cached('speech-video.mp4', (f) =>
      ff([
        '-f',
        'lavfi',
        '-i',
        'color=c=black:size=320x240:rate=10:duration=4',
        '-i',
        speech,
        '-vf',
        "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='HELLO CAPTION':fontcolor=white:fontsize=36:x=(w-text_w)/2:y=(h-text_h)/2",
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '10',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-shortest',
        '-f',
        'mp4',
        f,
      ]),
    );
  },
  /** espeak-ng speech between 1 s of silence on each side, 16-bit WAV. */
  speech: () =>
    cached('speech.wav', (f) => {
      const raw = `${f}.raw.wav`;
      execFileSync('espeak-ng', ['-w', raw, 'The quick brown fox jumps over the lazy dog.'], { stdio: 'ignore' });
      ff(['-i', raw, '-af', 'adelay=1000,apad=pad_dur=1', '-f', 'wav', f]);
      execFileSync('rm', ['-f', raw]);
    }),
  /** Black text on white: OCR must read INVOICE 2026. */
  textImage: () =>
    cached('text-image.png', async (f) => {
      await sharp(textImageSvg('INVOICE 2026')).png().toFile(f);
    }),
  /** A JPEG with camera EXIF and GPS. */
  exifImage: () =>
    cached('exif.jpg', async (f) => {
      await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 20, g: 120, b: 220 } } })
        .withExif({
          IFD0: { Make: 'FixtureCam', Model: 'Model 7' },
          IFD3: {
            GPSLatitudeRef: 'N',
            GPSLatitude: '52/1 30/1 0/1',
            GPSLongitudeRef: 'E',
            GPSLongitude: '13/1 24/1 0/1',
          },
        })
        .jpeg()
        .toFile(f);
    }),
  /** A one-page PDF that is only a scanned image of text. */
  scannedPdf: () =>
    cached('scanned.pdf', async (f) => {
      const jpeg = await sharp(textImageSvg('SCANNED PAGE', 900, 200))
        .flatten({ background: '#fff' })
        .jpeg({ quality: 92 })
        .toBuffer();
      await fs.writeFile(f, makeScannedPdf(jpeg, 900, 200));
    }),
  docx: () =>
    cached('doc.docx', (f) =>
      fs.writeFile(
        f,
        makeDocx(['Quarterly Report', 'The results of the quarter are in and the team is pleased with the outcome.']),
      ),
    ),
  html: () =>
    cached('page.html', (f) =>
      fs.writeFile(
        f,
        '<!DOCTYPE html><html><head><title>Fixture Page</title><style>p{}</style></head><body><h1>Heading</h1><p>The cat sat on the mat &amp; it was happy.</p><script>alert(1)</script></body></html>',
      ),
    ),
  /** A 100-byte PNG whose header claims 30000x30000 pixels (an image bomb). */
  imageBomb: () => cached('bomb.png', (f) => fs.writeFile(f, pngHeaderOnly(30_000, 30_000))),
  /** The first 3 KB of the video: an MP4 signature with a cut-off body. */
  truncatedVideo: async () => {
    const src = await fixtures.video();
    return cached('truncated.mp4', async (f) => fs.writeFile(f, (await fs.readFile(src)).subarray(0, 3000)));
  },
};
