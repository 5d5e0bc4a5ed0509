/**
 * Document metadata: page count and title for PDF (pdf.js with eval disabled), and
 * size facts for text documents.
 */
import fs from 'node:fs/promises';
import { AppError } from '../domain/errors.ts';

export interface DocumentProbe {
  format: string;
  pages: number | null;
  title: string | null;
  characters?: number;
  lines?: number;
}

export async function probePdf(file: string): Promise<DocumentProbe> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const data = new Uint8Array(await fs.readFile(file));
  const task = pdfjs.getDocument({
    data,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  });
  try {
    const doc = await task.promise;
    const meta = await doc.getMetadata().catch(() => null);
    const info = (meta?.info ?? {}) as { Title?: unknown };
    return {
      format: 'pdf',
      pages: doc.numPages,
      title: typeof info.Title === 'string' && info.Title ? info.Title : null,
    };
  } catch (err) {
    throw new AppError('MEDIA_CORRUPT', `The PDF could not be read: ${(err as Error).message}`, { cause: err });
  } finally {
    await task.destroy();
  }
}

export async function probeText(file: string, mime: string): Promise<DocumentProbe> {
  const text = await fs.readFile(file, 'utf8');
  return { format: mime, pages: null, title: null, characters: text.length, lines: text.split(/\r?\n/).length };
}
