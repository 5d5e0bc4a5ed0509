/**
 * Media type detection from the bytes, never from the name or the Content-Type.
 * Binary formats are recognised by their signatures (file-type); text (TXT, Markdown,
 * CSV, HTML) by being valid UTF-8 without NUL bytes.
 */
import fs from 'node:fs/promises';
import { fileTypeFromBuffer } from 'file-type';
import type { MediaType } from '../contract/analysis.types.ts';

/** file-type needs at most this many leading bytes. */
const SNIFF_BYTES = 4100;
const TEXT_SNIFF_BYTES = 64 * 1024;

export interface DetectedType {
  mediaType: MediaType;
  mime: string;
  ext: string | null;
}

const DOCUMENT_MIMES = new Set([
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.oasis.opendocument.text',
  'application/rtf',
  'application/epub+zip',
]);

export function mediaTypeForMime(mime: string): MediaType {
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('text/') || DOCUMENT_MIMES.has(mime)) return 'document';
  // Containers file-type reports under application/* that carry audio or video.
  if (mime === 'application/vnd.rn-realmedia' || mime === 'application/mxf') return 'video';
  if (mime === 'application/ogg') return 'audio';
  return 'unknown';
}

/** Classify text content: HTML, CSV-like or plain. Returns null if it is not text. */
export function sniffText(buf: Buffer): DetectedType | null {
  if (buf.length === 0 || buf.includes(0)) return null;
  // Cut at a character boundary: a multi-byte sequence split by the sniff window is fine.
  let end = buf.length;
  while (end > 0 && end > buf.length - 4 && (buf[end - 1]! & 0xc0) === 0x80) end--;
  if (end > 0 && buf[end - 1]! >= 0xc0) end--;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, end));
    const head = text.slice(0, 1024).trimStart().toLowerCase();
    if (head.startsWith('<!doctype html') || head.startsWith('<html'))
      return { mediaType: 'document', mime: 'text/html', ext: 'html' };
    const lines = text.split(/\r?\n/).filter(Boolean).slice(0, 5);
    const commas = lines.map((l) => l.split(',').length);
    if (lines.length >= 2 && commas[0]! > 1 && commas.every((c) => c === commas[0]))
      return { mediaType: 'document', mime: 'text/csv', ext: 'csv' };
    return { mediaType: 'document', mime: 'text/plain', ext: 'txt' };
  } catch {
    return null;
  }
}

export async function detectBuffer(buf: Buffer): Promise<DetectedType> {
  const ft = await fileTypeFromBuffer(buf.subarray(0, SNIFF_BYTES));
  if (ft) return { mediaType: mediaTypeForMime(ft.mime), mime: ft.mime, ext: ft.ext };
  return sniffText(buf) ?? { mediaType: 'unknown', mime: 'application/octet-stream', ext: null };
}

export async function detectFile(file: string): Promise<DetectedType> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(TEXT_SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, TEXT_SNIFF_BYTES, 0);
    return detectBuffer(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
