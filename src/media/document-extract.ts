/**
 * The service's way into document decoders: every decoder that a hostile file can blow
 * up (pdf.js, mammoth, OCR, the HTML stripper) runs in the memory-capped sandbox,
 * so a file can cost at most the sandbox's ceiling and end with MEDIA_TOO_COMPLEX,
 * DOCUMENT_TOO_LARGE or MEDIA_CORRUPT; the worker itself never runs out of memory.
 */
import { DOCX_MIME } from '../contract/document-formats.ts';
import { AppError } from '../domain/errors.ts';
import { runSandboxed, SandboxError, type SandboxLimits } from './sandbox/sandbox.ts';
import { plainText, type DocumentText, type PdfTextOptions } from './document-text.ts';
import type { DocumentProbe } from './document-probe.ts';

const TEXT_MODULE = new URL('./document-text.ts', import.meta.url);
const PROBE_MODULE = new URL('./document-probe.ts', import.meta.url);

/** Options that cross into the sandbox: plain data only (no functions, no signal). */
export type SandboxedPdfOptions = Omit<PdfTextOptions, 'ocr' | 'signal'> & { ocr: boolean };

/** A decoder failure that is not one of our codes is the file's doing: MEDIA_CORRUPT, never retried. */
function classify(err: unknown, what: string): unknown {
  if (err instanceof SandboxError) {
    const why = err.errorName === 'RangeError' ? 'its structure is nested too deeply' : err.message;
    return new AppError('MEDIA_CORRUPT', `The ${what} could not be read: ${why}`, { cause: err });
  }
  return err;
}

export async function extractDocumentText(
  file: string,
  mime: string,
  pdf: SandboxedPdfOptions,
  limits: SandboxLimits,
): Promise<DocumentText> {
  // Plain text, Markdown and CSV are read as they are, bounded by size: no decoder to guard.
  if (mime.startsWith('text/') && mime !== 'text/html') return plainText(file, mime);
  const [fn, args, what] =
    mime === 'application/pdf'
      ? ['pdfText', [file, pdf], 'PDF']
      : mime === DOCX_MIME
        ? ['docxText', [file], 'DOCX']
        : mime.startsWith('text/')
          ? ['plainText', [file, mime], 'text document']
          : [null, [], ''];
  if (!fn) throw new AppError('UNSUPPORTED_MEDIA', `No text extractor for ${mime}`);
  return runSandboxed<DocumentText>({ module: TEXT_MODULE, fn, args }, limits).catch((err: unknown) => {
    throw classify(err, what);
  });
}

export async function probePdfSandboxed(file: string, limits: SandboxLimits): Promise<DocumentProbe> {
  return runSandboxed<DocumentProbe>({ module: PROBE_MODULE, fn: 'probePdf', args: [file] }, limits).catch(
    (err: unknown) => {
      throw classify(err, 'PDF');
    },
  );
}
