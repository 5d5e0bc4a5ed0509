/**
 * Which pictures the vision stage looks at: an image itself; a video's frames and, with
 * people recognition on, the moments of each shot taken for faces only (frames.stage.ts);
 * a document's embedded pictures for faces only: a PDF's with their pages
 * (media/pdf-images.ts), a DOCX's without (media/docx-images.ts; a DOCX has no pages).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DOCX_MIME, PDF_MIME } from '../../contract/document-formats.ts';
import { artifactPath, recordArtifact } from '../artifacts.ts';
import type { ExtractedFrame, StageContext } from '../stage.ts';

/** Whether faces are described and grouped into people for this analysis (PEOPLE_RECOGNITION, a people service). */
export function recognizesPeople(ctx: StageContext): boolean {
  return ctx.deps.config.vision.recognizePeople && ctx.deps.people !== undefined;
}

export function isPdf(ctx: StageContext): boolean {
  return ctx.source?.mediaType === 'document' && ctx.source.mime === PDF_MIME;
}

function isDocx(ctx: StageContext): boolean {
  return ctx.source?.mediaType === 'document' && ctx.source.mime === DOCX_MIME;
}

/** A document whose embedded pictures can be looked at (PDF, DOCX). */
export function isPictureDocument(ctx: StageContext): boolean {
  return isPdf(ctx) || isDocx(ctx);
}

/** A document's pictures are looked at for the people in them: with recognition on, and pictures allowed. */
export function looksAtDocumentPictures(ctx: StageContext): boolean {
  return isPictureDocument(ctx) && recognizesPeople(ctx) && ctx.deps.config.media.documentMaxPictures > 0;
}

export interface Picture {
  seconds: number;
  shot: number | null;
  /** A PDF's picture: its page. */
  page: number | null;
  path: string;
  relativePath: string | null;
  /** A moment taken for faces only (people recognition: frames.stage.ts); the other tasks skip it. */
  facesOnly?: boolean;
}

export async function pictures(ctx: StageContext, notes: string[]): Promise<Picture[]> {
  if (ctx.source?.mediaType === 'image')
    return [{ seconds: 0, shot: null, page: null, path: ctx.source.absolutePath, relativePath: null }];
  if (ctx.source && isPdf(ctx)) return pdfPictures(ctx, ctx.source.absolutePath, notes);
  if (ctx.source && isDocx(ctx)) return docxPictures(ctx, ctx.source.absolutePath, notes);
  // The moment at the source's size when the frames stage took one (it does when vision runs):
  // the models scale it to their own input, but the face mesh needs the face's own pixels.
  const frame = (f: ExtractedFrame, facesOnly: boolean): Picture => ({
    seconds: f.seconds,
    shot: f.shot ?? null,
    page: null,
    path: f.fullPath ?? f.absolutePath,
    relativePath: f.relativePath,
    ...(facesOnly ? { facesOnly } : {}),
  });
  // In time order: the people stage follows a face from one picture to the next.
  return [...(ctx.frames ?? []).map((f) => frame(f, false)), ...(ctx.faceFrames ?? []).map((f) => frame(f, true))].sort(
    (a, b) => a.seconds - b.seconds,
  );
}

/** How many pictures the stage will look at (for a PDF, at most: they are known once written). */
export function pictureCount(ctx: StageContext): number {
  if (ctx.source?.mediaType === 'image') return 1;
  if (isPictureDocument(ctx)) return ctx.deps.config.media.documentMaxPictures;
  return (ctx.frames?.length ?? 0) + (ctx.faceFrames?.length ?? 0);
}

/** Smaller pictures cannot hold a face the people stage would describe (its quality gate). */
const MIN_PICTURE_SIDE = 64;
/** One pdfimages run (as one page rendered for OCR), and all of a document's pictures together (PDF or DOCX). */
const PDF_IMAGES_TIMEOUT_MS = 60_000;
const PDF_IMAGES_TOTAL_TIMEOUT_MS = 180_000;

/** The folder a document's pictures are written to, in the analysis's temp area (a name in it gives the folder, created). */
async function picturesFolder(ctx: StageContext): Promise<{ dir: string; relativeDir: string }> {
  const slot = await artifactPath(ctx, 'temp', 'pictures/picture');
  return { dir: path.dirname(slot.absolutePath), relativeDir: path.posix.dirname(slot.relativePath) };
}

/** Each written picture recorded as a temp artifact (so retention removes it). */
async function recordPictures(
  ctx: StageContext,
  relativeDir: string,
  written: Array<{ path: string; page: number | null }>,
): Promise<Picture[]> {
  const out: Picture[] = [];
  try {
    for (const image of written) {
      const relativePath = `${relativeDir}/${path.basename(image.path)}`;
      await recordArtifact(ctx, 'temp', relativePath, 'image/png');
      out.push({ seconds: 0, shot: null, page: image.page, path: image.path, relativePath });
    }
  } catch (err) {
    // The pictures not yet recorded would be known to no retention: they go now.
    await Promise.all(written.slice(out.length).map((i) => fs.rm(i.path, { force: true })));
    throw err;
  }
  return out;
}

/** Notes shared by a document's skipped pictures (small, over a limit, past DOCUMENT_MAX_PICTURES). */
function skipNotes(
  notes: string[],
  skipped: { small: number; large: number; beyondLimit: number },
  largeWhy: string,
): void {
  const { small, large, beyondLimit } = skipped;
  if (small > 0) notes.push(`${small} embedded picture(s) smaller than ${MIN_PICTURE_SIDE} px not looked at`);
  if (large > 0) notes.push(`${large} embedded picture(s) ${largeWhy} not looked at`);
  if (beyondLimit > 0) notes.push(`${beyondLimit} embedded picture(s) past DOCUMENT_MAX_PICTURES not looked at`);
}

/** A picture part of a DOCX over this many bytes is not read (a photograph from a camera is a few MB). */
const DOCX_PICTURE_MAX_BYTES = 64 * 1024 * 1024;

/** A DOCX's embedded pictures (word/media), without pages. */
async function docxPictures(ctx: StageContext, docx: string, notes: string[]): Promise<Picture[]> {
  const { media } = ctx.deps.config;
  const { dir, relativeDir } = await picturesFolder(ctx);
  const found = await ctx.deps.tools.documents.extractDocxImages(
    docx,
    dir,
    {
      maxImages: media.documentMaxPictures,
      minSidePx: MIN_PICTURE_SIDE,
      maxPixels: media.maxImagePixels,
      maxBytes: DOCX_PICTURE_MAX_BYTES,
      totalTimeoutMs: PDF_IMAGES_TOTAL_TIMEOUT_MS,
    },
    ctx.signal,
  );
  const { unsupported, unreadable } = found.skipped;
  if (found.failure) notes.push(`${found.failure}: ${found.images.length} embedded picture(s) looked at`);
  if (unsupported > 0) notes.push(`${unsupported} embedded drawing(s) (EMF, WMF, SVG) not looked at`);
  if (unreadable > 0) notes.push(`${unreadable} embedded picture(s) could not be decoded`);
  skipNotes(notes, found.skipped, 'over MAX_IMAGE_PIXELS or 64 MB');
  return recordPictures(
    ctx,
    relativeDir,
    found.images.map((i) => ({ path: i.path, page: null })),
  );
}

/** A PDF's embedded pictures, with their pages. */
async function pdfPictures(ctx: StageContext, pdf: string, notes: string[]): Promise<Picture[]> {
  const { media } = ctx.deps.config;
  // pdfimages writes into the folder.
  const { dir, relativeDir } = await picturesFolder(ctx);
  const found = await ctx.deps.tools.documents.extractPdfImages(
    pdf,
    dir,
    {
      maxImages: media.documentMaxPictures,
      minSidePx: MIN_PICTURE_SIDE,
      maxPixels: media.maxImagePixels,
      timeoutMs: PDF_IMAGES_TIMEOUT_MS,
      totalTimeoutMs: PDF_IMAGES_TOTAL_TIMEOUT_MS,
    },
    ctx.signal,
    media.pdfimagesPath,
  );
  const { repeated } = found.skipped;
  if (found.failure) notes.push(`${found.failure}: ${found.images.length} embedded picture(s) looked at`);
  if (repeated > 0) notes.push(`${repeated} embedded picture(s) drawn again on a later page looked at once`);
  skipNotes(notes, found.skipped, 'on pages with a picture over MAX_IMAGE_PIXELS');
  return recordPictures(ctx, relativeDir, found.images);
}
