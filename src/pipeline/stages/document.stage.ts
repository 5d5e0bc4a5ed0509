/**
 * Document: text with page boundaries (PDF), DOCX, HTML, TXT/Markdown/CSV; page count,
 * title, language; OCR for scanned PDF pages. The full text is stored as
 * `outputs/{date}/{id}/document.txt`; `results` keeps a preview and per-page sizes.
 */
import { docxText, pdfText, plainText, type DocumentText } from '../../media/document-text.ts';
import { recognize } from '../../media/ocr.ts';
import { AppError } from '../../domain/errors.ts';
import { storeArtifact } from '../artifacts.ts';
import { unless, type Stage } from '../stage.ts';

/** Characters of text kept inline in `results` (the rest is in document.txt). */
export const TEXT_PREVIEW_CHARS = 4_000;
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export const documentStage: Stage = {
  name: 'document',
  needs: ['probe'],
  produces: ['document'],
  optional: true,
  appliesTo: (ctx) => unless(ctx.source?.mediaType === 'document', 'not a document'),
  async run(ctx) {
    const { config } = ctx.deps;
    const { absolutePath, mime } = ctx.source!;
    let doc: DocumentText;
    if (mime === 'application/pdf') {
      doc = await pdfText(absolutePath, {
        maxPages: config.media.maxDocumentPages,
        ocr: ctx.analysis.options.ocr === false ? undefined : recognize,
        pdftoppmPath: config.media.pdftoppmPath,
        signal: ctx.signal,
      });
    } else if (mime === DOCX) {
      doc = await docxText(absolutePath);
    } else if (mime.startsWith('text/')) {
      doc = await plainText(absolutePath, mime);
    } else {
      throw new AppError('UNSUPPORTED_MEDIA', `No text extractor for ${mime}`);
    }
    const stored = await storeArtifact(ctx, 'outputs', 'document.txt', doc.text, 'text/plain; charset=utf-8');
    ctx.results.document = {
      format: doc.format,
      pages: doc.pages,
      title: doc.title,
      language: doc.language,
      characters: doc.characters,
      ocr_pages: doc.ocr_pages,
      text_preview: doc.text.slice(0, TEXT_PREVIEW_CHARS),
      truncated: doc.text.length > TEXT_PREVIEW_CHARS,
      text_path: stored.relativePath,
      page_texts:
        doc.page_texts?.map((p) => ({
          page: p.page,
          characters: p.text.length,
          source: p.source,
          ...(p.ocr_confidence !== undefined ? { ocr_confidence: p.ocr_confidence } : {}),
        })) ?? null,
    };
  },
};
