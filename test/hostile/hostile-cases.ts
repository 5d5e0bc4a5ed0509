/**
 * The hostile files, shared by the end-to-end suite (test/hostile/pipeline.test.ts) and
 * the benchmark (bench/hostile.bench.ts): how to build each one and what must happen.
 */
import fs from 'node:fs/promises';
import { fixtures, pngHeaderOnly } from '../helpers/fixtures.ts';
import { blankPdf, deeplyNestedPdf, docxBomb, lyingPagesPdf, makeZip, manyEntriesZip } from './hostile-fixtures.ts';

/** The parts of a status document the checks read. */
interface StatusDocument {
  media_type: string;
  results: { document: { ocr_skipped_pages?: number } } & Record<string, unknown>;
}

export interface HostileCase {
  name: string;
  filename: string;
  build(): Promise<Buffer>;
  /** `refused`: answered at submit with 422 and `code`, nothing stored, no analysis. */
  expect: { status: 'completed' | 'failed' | 'refused'; code?: string };
  /** Time to a terminal state that counts as a failure of the test. */
  maxSeconds: number;
  needsFfmpeg?: boolean;
  check?(status: StatusDocument): void;
}

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(2048, 0x90)]);

export const hostileCases: HostileCase[] = [
  {
    name: 'DOCX bomb: 743 KB zip of 262 MB XML (7.5 M paragraphs)',
    filename: 'bomb.docx',
    build: () => docxBomb(7_500_000),
    expect: { status: 'failed', code: 'DOCUMENT_TOO_LARGE' },
    maxSeconds: 60,
  },
  {
    name: 'DOCX whose zip directory lies about sizes',
    filename: 'liar.docx',
    build: () => docxBomb(7_500_000, { declaredSize: 1_000 }),
    expect: { status: 'failed', code: 'DOCUMENT_TOO_LARGE' },
    maxSeconds: 60,
  },
  {
    name: 'zip bomb of 5,000 parts named .docx',
    filename: 'parts.docx',
    build: () => manyEntriesZip(5_000),
    expect: { status: 'failed', code: 'DOCUMENT_TOO_LARGE' },
    maxSeconds: 60,
  },
  {
    name: 'PDF nested 100,000 deep (pdf.js stack overflow)',
    filename: 'deep.pdf',
    build: async () => deeplyNestedPdf(),
    expect: { status: 'failed', code: 'MEDIA_CORRUPT' },
    maxSeconds: 60,
  },
  {
    name: 'PDF of 10,000 blank pages',
    filename: 'long.pdf',
    build: async () => blankPdf(10_000),
    expect: { status: 'failed', code: 'DOCUMENT_TOO_LONG' },
    maxSeconds: 60,
  },
  {
    name: 'PDF whose page tree claims 10,000 pages',
    filename: 'claims.pdf',
    build: async () => lyingPagesPdf(10_000),
    // pdf.js reads its one page; poppler believes the tree and refuses to render it (exit 99).
    expect: { status: 'failed', code: 'MEDIA_CORRUPT' },
    maxSeconds: 60,
  },
  {
    name: 'PDF with one 7200×7200 pt page (20,000 px at 200 dpi)',
    filename: 'huge-page.pdf',
    build: async () => blankPdf(1, 7200, 7200),
    expect: { status: 'completed' },
    maxSeconds: 60,
    check: (s) => {
      if (s.results.document.ocr_skipped_pages !== 1) throw new Error('the huge page was rendered');
    },
  },
  {
    name: '30000×30000 PNG (pixel bomb)',
    filename: 'bomb.png',
    build: async () => pngHeaderOnly(30_000, 30_000),
    expect: { status: 'failed', code: 'IMAGE_TOO_LARGE' },
    maxSeconds: 60,
  },
  {
    name: 'truncated MP4',
    filename: 'cut.mp4',
    build: async () => (await fs.readFile(await fixtures.video())).subarray(0, 3000),
    expect: { status: 'failed', code: 'MEDIA_CORRUPT' },
    maxSeconds: 60,
    needsFfmpeg: true,
  },
  {
    name: 'HLS playlist pointing at the metadata address',
    filename: 'list.m3u8',
    build: async () =>
      Buffer.from(
        '#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data/\n#EXT-X-ENDLIST\n',
      ),
    expect: { status: 'completed' },
    maxSeconds: 60,
    check: (s) => {
      if (s.media_type !== 'document') throw new Error(`a playlist was treated as ${s.media_type}`);
    },
  },
  {
    name: 'ffconcat playlist naming /etc/passwd',
    filename: 'list.ffconcat',
    build: async () => Buffer.from('ffconcat version 1.0\nfile /etc/passwd\nfile /etc/shadow\n'),
    expect: { status: 'completed' },
    maxSeconds: 60,
    check: (s) => {
      if (JSON.stringify(s.results).includes('root:')) throw new Error('a playlist entry was read');
    },
  },
  {
    name: 'SVG with external references',
    filename: 'refs.svg',
    build: async () =>
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="http://169.254.169.254/x.png" width="10" height="10"/><image href="file:///etc/passwd"/></svg>',
      ),
    expect: { status: 'completed' },
    maxSeconds: 60,
  },
  {
    name: 'PDF/ZIP polyglot',
    filename: 'poly.pdf',
    build: async () =>
      Buffer.concat([blankPdf(1), await makeZip([{ name: 'word/document.xml', data: Buffer.from('<x/>') }])]),
    expect: { status: 'completed' },
    maxSeconds: 60,
  },
  {
    name: 'ELF binary renamed .mp4',
    filename: 'movie.mp4',
    build: async () => ELF,
    expect: { status: 'refused', code: 'UNSUPPORTED_MEDIA' },
    maxSeconds: 60,
  },
  {
    name: 'Unicode file name',
    filename: 'résumé 📄 ‮txt.exe',
    build: async () => Buffer.from('A plain note.\n'),
    expect: { status: 'completed' },
    maxSeconds: 60,
  },
  {
    name: '../ in the file name',
    filename: '../../../../etc/passwd',
    build: async () => Buffer.from('A plain note.\n'),
    expect: { status: 'completed' },
    maxSeconds: 60,
  },
];
