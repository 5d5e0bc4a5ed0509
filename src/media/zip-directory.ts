/**
 * Reads a zip's central directory (names, methods, declared sizes) without
 * decompressing anything, and streams one entry's inflated bytes with a hard cap. Used
 * to bound OOXML documents (DOCX) before a decoder sees them: a 700 KB zip can declare,
 * or secretly hold, gigabytes of XML.
 */
import fs from 'node:fs/promises';
import zlib from 'node:zlib';
import { AppError } from '../domain/errors.ts';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_MIN_BYTES = 22;
/** The EOCD record ends the file, after a comment of at most 65,535 bytes. */
const EOCD_SEARCH_BYTES = EOCD_MIN_BYTES + 0xffff;
const CENTRAL_HEADER_BYTES = 46;
const LOCAL_HEADER_BYTES = 30;
/** Zip64 marks sizes and offsets it moved elsewhere with all ones. */
const ZIP64_MARK = 0xffffffff;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

function corrupt(detail: string): AppError {
  return new AppError('MEDIA_CORRUPT', `The document's zip container is damaged: ${detail}`);
}

/** List the entries of a zip, refusing more than `maxEntries` before reading them. */
export async function readZipDirectory(file: string, maxEntries: number): Promise<ZipEntry[]> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const tailLength = Math.min(size, EOCD_SEARCH_BYTES);
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, size - tailLength);
    let eocd = -1;
    for (let i = tailLength - EOCD_MIN_BYTES; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw corrupt('no end-of-directory record');
    const count = tail.readUInt16LE(eocd + 10);
    const dirSize = tail.readUInt32LE(eocd + 12);
    const dirOffset = tail.readUInt32LE(eocd + 16);
    if (count > maxEntries)
      throw new AppError('DOCUMENT_TOO_LARGE', `The document holds ${count} parts; the limit is ${maxEntries}`);
    if (dirOffset === ZIP64_MARK || dirSize === ZIP64_MARK)
      throw new AppError('DOCUMENT_TOO_LARGE', 'The document is a Zip64 archive (over 4 GiB declared)');
    if (dirOffset + dirSize > size) throw corrupt('the directory lies outside the file');
    const dir = Buffer.alloc(dirSize);
    await fh.read(dir, 0, dirSize, dirOffset);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let n = 0; n < count; n++) {
      if (at + CENTRAL_HEADER_BYTES > dir.length || dir.readUInt32LE(at) !== CENTRAL_SIGNATURE)
        throw corrupt('bad directory entry');
      const nameLength = dir.readUInt16LE(at + 28);
      const extraLength = dir.readUInt16LE(at + 30);
      const commentLength = dir.readUInt16LE(at + 32);
      entries.push({
        method: dir.readUInt16LE(at + 10),
        compressedSize: dir.readUInt32LE(at + 20),
        uncompressedSize: dir.readUInt32LE(at + 24),
        localHeaderOffset: dir.readUInt32LE(at + 42),
        name: dir.toString('utf8', at + CENTRAL_HEADER_BYTES, at + CENTRAL_HEADER_BYTES + nameLength),
      });
      at += CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/**
 * Call `onChunk` with the inflated bytes of `entry`, stopping with DOCUMENT_TOO_LARGE
 * once more than `maxBytes` come out, whatever the directory declared.
 */
export async function streamZipEntry(
  file: string,
  entry: ZipEntry,
  maxBytes: number,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE)
    throw corrupt(`unsupported compression method ${entry.method} for ${entry.name}`);
  const fh = await fs.open(file, 'r');
  try {
    const header = Buffer.alloc(LOCAL_HEADER_BYTES);
    await fh.read(header, 0, LOCAL_HEADER_BYTES, entry.localHeaderOffset);
    if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw corrupt(`bad local header for ${entry.name}`);
    const dataStart = entry.localHeaderOffset + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
    const raw = fh.createReadStream({
      autoClose: false,
      start: dataStart,
      end: dataStart + Math.max(0, entry.compressedSize - 1),
    });
    const source = entry.method === METHOD_DEFLATE ? raw.pipe(zlib.createInflateRaw()) : raw;
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      const stop = (err: unknown) => {
        raw.destroy();
        source.destroy();
        reject(err);
      };
      source.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) {
          stop(new AppError('DOCUMENT_TOO_LARGE', `${entry.name} inflates to more than ${maxBytes} bytes`));
          return;
        }
        try {
          onChunk(chunk);
        } catch (err) {
          stop(err);
        }
      });
      source.on('end', resolve);
      source.on('error', (err: Error) =>
        stop(err instanceof AppError ? err : corrupt(`${entry.name} does not inflate (${err.message})`)),
      );
      raw.on('error', stop);
    });
  } finally {
    await fh.close();
  }
}
