/**
 * Hostile files, generated small at test time: PDFs that lie or nest, zips that explode,
 * polyglots. Each builder returns bytes; nothing is downloaded or checked in.
 */
import zlib from 'node:zlib';
import { Readable } from 'node:stream';

/** A PDF from its objects (1-based ids in order), with a correct xref table. */
export function makePdf(objects: string[]): Buffer {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Pages without any text (so OCR would run), each `widthPt` × `heightPt`. */
export function blankPdf(pages: number, widthPt = 612, heightPt = 792): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 4} 0 R`).join(' ');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`,
    '<< /Length 0 >>\nstream\n\nendstream',
  ];
  for (let i = 0; i < pages; i++)
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${widthPt} ${heightPt}] /Contents 3 0 R >>`);
  return makePdf(objects);
}

/** A one-page PDF whose resources are a dictionary nested `depth` deep (pdf.js overflows its stack). */
export function deeplyNestedPdf(depth = 100_000): Buffer {
  return makePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources 5 0 R >>',
    '<< /Length 6 >>\nstream\nBT ET\nendstream',
    '<< /A '.repeat(depth) + '>> '.repeat(depth),
  ]);
}

/** A PDF whose page tree claims `claimed` pages but holds one. */
export function lyingPagesPdf(claimed: number): Buffer {
  return makePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [3 0 R] /Count ${claimed} >>`,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    '<< /Length 0 >>\nstream\n\nendstream',
  ]);
}

export interface ZipPart {
  name: string;
  /** The part's bytes, or a generator of chunks for large ones (deflated as they come). */
  data: Buffer | (() => Iterable<Buffer>);
  /** Write this uncompressed size into the headers instead of the real one (a lying zip). */
  declaredSize?: number;
}

async function deflate(chunks: Iterable<Buffer>): Promise<{ raw: Buffer; size: number; crc: number }> {
  let size = 0;
  let crc = 0;
  const counted = (function* () {
    for (const c of chunks) {
      size += c.length;
      crc = zlib.crc32(c, crc);
      yield c;
    }
  })();
  const out: Buffer[] = [];
  const stream = Readable.from(counted).pipe(zlib.createDeflateRaw({ level: 9 }));
  for await (const c of stream) out.push(c as Buffer);
  return { raw: Buffer.concat(out), size, crc };
}

/** A deflate zip of `parts`. */
export async function makeZip(parts: ZipPart[]): Promise<Buffer> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const { raw, size, crc } =
      typeof part.data === 'function'
        ? await deflate(part.data())
        : { raw: zlib.deflateRawSync(part.data), size: part.data.length, crc: zlib.crc32(part.data) };
    const declared = part.declaredSize ?? size;
    const name = Buffer.from(part.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(raw.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, raw);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(raw.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + raw.length;
  }
  const dir = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(parts.length, 0xffff), 8);
  eocd.writeUInt16LE(Math.min(parts.length, 0xffff), 10);
  eocd.writeUInt32LE(dir.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, eocd]);
}

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';

/** A DOCX with `paragraphs` tiny paragraphs, built as a stream (the 262 MB of XML is 7.5 M of them). */
export async function docxBomb(paragraphs: number, opts: { declaredSize?: number } = {}): Promise<Buffer> {
  const PER_CHUNK = 10_000;
  const para = '<w:p><w:r><w:t>a</w:t></w:r></w:p>';
  const chunk = Buffer.from(para.repeat(PER_CHUNK));
  const body = function* () {
    yield Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>`);
    for (let n = 0; n < paragraphs; n += PER_CHUNK)
      yield n + PER_CHUNK <= paragraphs ? chunk : Buffer.from(para.repeat(paragraphs - n));
    yield Buffer.from('</w:body></w:document>');
  };
  return makeZip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: '_rels/.rels', data: Buffer.from(RELS) },
    { name: 'word/document.xml', data: body, ...(opts.declaredSize ? { declaredSize: opts.declaredSize } : {}) },
  ]);
}

/** A zip with `count` empty parts (an entry-count bomb). */
export async function manyEntriesZip(count: number): Promise<Buffer> {
  const parts: ZipPart[] = [
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: 'word/document.xml', data: Buffer.from(`<w:document ${W}/>`) },
  ];
  for (let i = 0; i < count; i++) parts.push({ name: `x/${i}.bin`, data: Buffer.alloc(0) });
  return makeZip(parts);
}
