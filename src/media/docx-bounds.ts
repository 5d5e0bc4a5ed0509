/**
 * Bounds on a DOCX before any decoder builds it in memory. The zip's directory is read
 * first (entry count, declared sizes); then each XML part is inflated as a stream and
 * scanned, counting element nodes and text bytes, without keeping it. Whatever the
 * directory claims, the inflated bytes are counted too. Any bound exceeded ends with
 * DOCUMENT_TOO_LARGE in milliseconds, instead of a decoder holding gigabytes.
 */
import { AppError } from '../domain/errors.ts';
import { readZipDirectory, streamZipEntry, type ZipEntry } from './zip-directory.ts';

export interface DocxLimits {
  /** Parts in the zip. Word writes a few dozen. */
  maxEntries: number;
  /** Sum of all parts' declared (and actual, for XML) uncompressed sizes. */
  maxUncompressedBytes: number;
  /** Element nodes across all XML parts (a page of text is a few hundred). */
  maxXmlNodes: number;
  /** Bytes of character data across all XML parts. */
  maxTextBytes: number;
}

export const DEFAULT_DOCX_LIMITS: DocxLimits = {
  maxEntries: 2_000,
  maxUncompressedBytes: 128 * 1024 * 1024,
  maxXmlNodes: 1_000_000,
  maxTextBytes: 32 * 1024 * 1024,
};

export interface DocxMeasure {
  entries: number;
  uncompressedBytes: number;
  xmlNodes: number;
  textBytes: number;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;

/** Counts element nodes and text bytes of an XML byte stream fed in chunks. */
export class XmlCounter {
  nodes = 0;
  textBytes = 0;
  private inTag = false;
  private afterLt = false;

  feed(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.afterLt) {
        this.afterLt = false;
        if (b !== SLASH && b !== QUESTION && b !== BANG) this.nodes++;
      }
      if (b === LT) {
        this.inTag = true;
        this.afterLt = true;
      } else if (b === GT) {
        this.inTag = false;
      } else if (!this.inTag) {
        this.textBytes++;
      }
    }
  }
}

function isXmlPart(e: ZipEntry): boolean {
  return /\.(xml|rels)$/i.test(e.name);
}

/** Throw DOCUMENT_TOO_LARGE (or MEDIA_CORRUPT) unless the DOCX fits in `limits`. */
export async function checkDocxBounds(file: string, limits: DocxLimits = DEFAULT_DOCX_LIMITS): Promise<DocxMeasure> {
  const entries = await readZipDirectory(file, limits.maxEntries);
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (declared > limits.maxUncompressedBytes)
    throw new AppError(
      'DOCUMENT_TOO_LARGE',
      `The document unpacks to ${declared} bytes; the limit is ${limits.maxUncompressedBytes}`,
    );
  if (!entries.some((e) => e.name === 'word/document.xml'))
    throw new AppError('MEDIA_CORRUPT', 'The DOCX has no word/document.xml');
  const counter = new XmlCounter();
  let inflated = 0;
  for (const entry of entries.filter(isXmlPart)) {
    await streamZipEntry(file, entry, limits.maxUncompressedBytes - inflated, (chunk) => {
      inflated += chunk.length;
      counter.feed(chunk);
      if (counter.nodes > limits.maxXmlNodes)
        throw new AppError('DOCUMENT_TOO_LARGE', `The document has more than ${limits.maxXmlNodes} XML nodes`);
      if (counter.textBytes > limits.maxTextBytes)
        throw new AppError('DOCUMENT_TOO_LARGE', `The document has more than ${limits.maxTextBytes} bytes of text`);
    });
  }
  return {
    entries: entries.length,
    uncompressedBytes: declared,
    xmlNodes: counter.nodes,
    textBytes: counter.textBytes,
  };
}
