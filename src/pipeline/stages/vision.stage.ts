/**
 * Vision (video keyframes, images, and the pictures embedded in a PDF): COCO objects,
 * faces and moderation scores from
 * the model host (a worker thread holding the models; never this thread). Writes the
 * `objects`, `faces` and `moderation` sections. A capability whose model fails to load
 * or throws is a failed section with its code; the others and the analysis go on.
 * Each capability can be switched per request (`options.objects|faces|moderation`) and
 * by config (VISION_OBJECTS, VISION_FACES, VISION_MODERATION). Without a model host in
 * the deps (a process that does not run models) the stage is skipped.
 *
 * What counts is decided here with the calibrated thresholds (VISION_CALIBRATION, chosen
 * by `npm run eval vision`): an object needs its score (or, for a person, a confirmed face
 * where the detector counted no person: `from: 'face'`), a face BlazeFace's and the face
 * mesh's agreement, "suggestive" bare skin on the people as well as nsfwjs's Sexy score.
 * Candidates below stay in each frame's `below_threshold`, marked, for inspection only.
 *
 * The stage is optional: when a capability failed on every picture, its section is
 * written as `failed` (with the model's code) and the stage then fails with that code,
 * so the analysis completes as `partial` with the sections that did work kept.
 *
 * A PDF's pictures (photographs and figures embedded as images, `pdfimages`) are looked
 * at for faces only, so that the people a document shows join the tenant's people with
 * their page: objects and moderation were calibrated on photographs and video frames, and
 * a scanned page is an embedded picture of text.
 */
import path from 'node:path';
import {
  VISION_TASKS,
  isTaskError,
  type PictureVision,
  type VisionTask,
  type VisionTaskError,
} from '../../media/vision/vision.types.ts';
import { VISION_CALIBRATION } from '../../domain/analysis/calibration.ts';
import {
  aggregateLabels,
  countLabels,
  isFace,
  moderationVerdict,
  peopleFromFaces,
  type FaceThresholds,
} from '../../domain/analysis/vision-summary.ts';
import type {
  FaceFinding,
  FacesSection,
  ModerationSection,
  ObjectFinding,
  ObjectsSection,
  SectionError,
} from '../../domain/analysis/vision.sections.ts';
import { AppError } from '../../domain/errors.ts';
import { artifactPath, recordArtifact } from '../artifacts.ts';
import { allOf, unless, type ExtractedFrame, type Stage, type StageContext } from '../stage.ts';

export const OBJECT_MODEL = '@vladmandic/human CenterNet (COCO, 80 classes)';
export const FACE_MODEL = '@vladmandic/human BlazeFace, checked by its face mesh';
export const MODERATION_MODEL = 'nsfwjs MobileNetV2, with the bare-skin share of the people';

/** Calibrated on labelled photographs (bench/quality/vision.eval.ts). */
const MIN_OBJECT_SCORE = VISION_CALIBRATION.objectsMinScore.value;
const FACE_THRESHOLDS: FaceThresholds = {
  minScore: VISION_CALIBRATION.faceMinScore.value,
  minMeshScore: VISION_CALIBRATION.faceMinMeshScore.value,
};
const SUGGESTIVE_SKIN = VISION_CALIBRATION.moderationSuggestiveSkin.value;

/** Whether faces are described and grouped into people for this analysis (PEOPLE_RECOGNITION, a people service). */
export function recognizesPeople(ctx: StageContext): boolean {
  return ctx.deps.config.vision.recognizePeople && ctx.deps.people !== undefined;
}

export function visionTasks(ctx: StageContext): VisionTask[] {
  const { options } = ctx.analysis;
  const defaults = ctx.deps.config.vision;
  const tasks = VISION_TASKS.filter((task) => options[task] ?? defaults[task]);
  return isPdf(ctx) ? tasks.filter((task) => task === 'faces') : tasks;
}

function isPdf(ctx: StageContext): boolean {
  return ctx.source?.mediaType === 'document' && ctx.source.mime === 'application/pdf';
}

/** A PDF's pictures are looked at for the people in them: with recognition on, and pictures allowed. */
function looksAtPdfPictures(ctx: StageContext): boolean {
  return isPdf(ctx) && recognizesPeople(ctx) && ctx.deps.config.media.documentMaxPictures > 0;
}

interface Picture {
  seconds: number;
  shot: number | null;
  /** A PDF's picture: its page. */
  page: number | null;
  path: string;
  relativePath: string | null;
  /** A moment taken for faces only (people recognition: frames.stage.ts); the other tasks skip it. */
  facesOnly?: boolean;
}

async function pictures(ctx: StageContext, notes: string[]): Promise<Picture[]> {
  if (ctx.source?.mediaType === 'image')
    return [{ seconds: 0, shot: null, page: null, path: ctx.source.absolutePath, relativePath: null }];
  if (ctx.source && isPdf(ctx)) return pdfPictures(ctx, ctx.source.absolutePath, notes);
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

/** Smaller pictures cannot hold a face the people stage would describe (its quality gate). */
const MIN_PICTURE_SIDE = 64;
/** One pdfimages run (as one page rendered for OCR), and all of a document's together. */
const PDF_IMAGES_TIMEOUT_MS = 60_000;
const PDF_IMAGES_TOTAL_TIMEOUT_MS = 180_000;

/** A PDF's embedded pictures, written to the analysis's temp area (recorded, so retention removes them). */
async function pdfPictures(ctx: StageContext, pdf: string, notes: string[]): Promise<Picture[]> {
  const { media } = ctx.deps.config;
  // The pictures' folder: where pdfimages writes (a name in it gives the folder, created).
  const slot = await artifactPath(ctx, 'temp', 'pictures/picture');
  const dir = path.dirname(slot.absolutePath);
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
  const { small, large, beyondLimit, repeated } = found.skipped;
  if (found.failure) notes.push(`${found.failure}: ${found.images.length} embedded picture(s) looked at`);
  if (repeated > 0) notes.push(`${repeated} embedded picture(s) drawn again on a later page looked at once`);
  if (small > 0) notes.push(`${small} embedded picture(s) smaller than ${MIN_PICTURE_SIDE} px not looked at`);
  if (large > 0) notes.push(`${large} embedded picture(s) on pages with a picture over MAX_IMAGE_PIXELS not looked at`);
  if (beyondLimit > 0) notes.push(`${beyondLimit} embedded picture(s) past DOCUMENT_MAX_PICTURES not looked at`);
  const out: Picture[] = [];
  for (const image of found.images) {
    const relativePath = `${path.posix.dirname(slot.relativePath)}/${path.basename(image.path)}`;
    await recordArtifact(ctx, 'temp', relativePath, 'image/png');
    out.push({ seconds: 0, shot: null, page: image.page, path: image.path, relativePath });
  }
  return out;
}

type Seen = { picture: Picture; vision: PictureVision | null; error: VisionTaskError | null };

/** The failure shared by every picture of a task, or null when at least one picture worked. */
function taskFailure(seen: Seen[], task: VisionTask): SectionError | null {
  let first: VisionTaskError | null = null;
  for (const s of seen) {
    const v = s.vision?.[task];
    const err = s.error ?? (isTaskError(v) ? v.error : null);
    if (!err) return null;
    first ??= err;
  }
  return first ? { code: first.code, message: first.message } : null;
}

function taskNotes(seen: Seen[], task: VisionTask): string[] {
  const notes: string[] = [];
  for (const s of seen) {
    const v = s.vision?.[task];
    const err = s.error ?? (isTaskError(v) ? v.error : null);
    if (err) notes.push(`${task} at ${s.picture.seconds} s: ${err.code} ${err.message}`);
    else if (s.vision?.scaled_to && task === 'objects')
      notes.push(
        `picture at ${s.picture.seconds} s scaled from ${s.vision.width}x${s.vision.height} to ${s.vision.scaled_to.width}x${s.vision.scaled_to.height} for the models`,
      );
  }
  return notes;
}

function perShot<T>(ctx: StageContext, fn: (shot: number, start: number, end: number) => T): T[] {
  return (ctx.shots?.shots ?? []).map((s) => fn(s.index, s.start, s.end));
}

export const visionStage: Stage = {
  name: 'vision',
  needs: ['probe'],
  // Video: the frames (picked per shot when shots ran); an image is looked at directly.
  uses: ['shots', 'frames'],
  produces: ['objects', 'faces', 'moderation'],
  optional: true,
  // The models run in one thread; the stage waits on it.
  cost: 1,
  appliesTo: (ctx) =>
    allOf(
      unless(
        ctx.source?.mediaType === 'image' || ctx.source?.mediaType === 'video' || looksAtPdfPictures(ctx),
        isPdf(ctx)
          ? "a PDF's pictures are looked at only for people (PEOPLE_RECOGNITION, DOCUMENT_MAX_PICTURES)"
          : 'not an image, a video or a PDF',
      ),
      unless(ctx.deps.vision !== undefined, 'no model host in this process'),
      unless(
        visionTasks(ctx).length > 0,
        isPdf(ctx) ? 'faces are switched off' : 'objects, faces and moderation are switched off',
      ),
      unless(ctx.source?.mediaType !== 'video' || (ctx.frames?.length ?? 0) > 0, 'no frame was extracted'),
    ),
  async run(ctx) {
    const tasks = visionTasks(ctx);
    const host = ctx.deps.vision!;
    const pictureNotes: string[] = [];
    const pics = await pictures(ctx, pictureNotes);
    if (pics.length === 0 && isPdf(ctx)) pictureNotes.push('the PDF has no embedded picture to look at');
    const seen: Seen[] = [];
    const started = performance.now();
    // Faces are described only for the people stage, and only when recognition is on.
    const describeFaces = tasks.includes('faces') && recognizesPeople(ctx);
    for (const picture of pics) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      try {
        const asked = picture.facesOnly ? tasks.filter((task) => task === 'faces') : tasks;
        seen.push({ picture, vision: await host.analyze(picture.path, asked, { describeFaces }), error: null });
      } catch (err) {
        if (!(err instanceof ctx.deps.tools.modelHost.ModelHostError)) throw err;
        seen.push({ picture, vision: null, error: { code: err.code, message: err.message } });
      }
    }
    const ms = Math.round(performance.now() - started);
    ctx.log.info({ pictures: pics.length, tasks, ms }, 'vision finished');

    // Objects and moderation are read from the frames (not from the moments taken for faces only).
    const framesSeen = seen.filter((s) => !s.picture.facesOnly);
    if (tasks.includes('objects')) {
      const error = taskFailure(framesSeen, 'objects');
      // Below the calibrated score an object is kept for inspection only: not in labels,
      // per_shot, the summary, the prompt or search (which all read `items`).
      const frames = framesSeen.flatMap((s) => {
        const v = s.vision?.objects;
        if (!v || isTaskError(v)) return [];
        const all: ObjectFinding[] = v.map((o) => ({ label: o.label, score: o.score, box: o.box }));
        const counted = all.filter((o) => o.score >= MIN_OBJECT_SCORE);
        // A confirmed face is a person, where the detector counted none around it.
        const faces = s.vision?.faces;
        const implied = faces && !isTaskError(faces) ? peopleFromFaces(counted, faces, FACE_THRESHOLDS) : [];
        return [
          {
            seconds: s.picture.seconds,
            shot: s.picture.shot,
            items: [...counted, ...implied],
            below_threshold: all.filter((o) => o.score < MIN_OBJECT_SCORE),
          },
        ];
      });
      const section: ObjectsSection = {
        status: error ? 'failed' : 'completed',
        ...(error ? { error } : {}),
        model: OBJECT_MODEL,
        min_score: MIN_OBJECT_SCORE,
        labels: aggregateLabels(frames),
        per_shot: perShot(ctx, (shot, start, end) => {
          const counts = new Map<string, number>();
          for (const f of frames.filter((x) => x.shot === shot))
            for (const [label, n] of countLabels(f.items)) counts.set(label, Math.max(counts.get(label) ?? 0, n));
          return { shot, start, end, labels: [...counts].map(([label, count]) => ({ label, count })) };
        }),
        frames,
        notes: taskNotes(framesSeen, 'objects'),
      };
      ctx.results.objects = section;
    }

    if (tasks.includes('faces')) {
      const error = taskFailure(seen, 'faces');
      // A face counts when BlazeFace and the face mesh both say so; the other candidates
      // stay in `below_threshold` for inspection, and are counted and drawn nowhere.
      const frames = seen.flatMap((s) => {
        const v = s.vision?.faces;
        if (!v || isTaskError(v)) return [];
        // Descriptions stay out of the results (biometric data): the people stage reads ctx.pictureFaces.
        const all: FaceFinding[] = v.map((f) => ({ score: f.score, mesh_score: f.mesh_score, box: f.box, px: f.px }));
        const items = all.filter((f) => isFace(f, FACE_THRESHOLDS));
        return [
          {
            seconds: s.picture.seconds,
            shot: s.picture.shot,
            ...(s.picture.page !== null ? { page: s.picture.page } : {}),
            count: items.length,
            boxes: items.map((f) => f.box),
            items,
            below_threshold: all.filter((f) => !isFace(f, FACE_THRESHOLDS)),
          },
        ];
      });
      const section: FacesSection = {
        status: error ? 'failed' : 'completed',
        ...(error ? { error } : {}),
        model: FACE_MODEL,
        thresholds: { min_score: FACE_THRESHOLDS.minScore, min_mesh_score: FACE_THRESHOLDS.minMeshScore },
        max_count: Math.max(0, ...frames.map((f) => f.count)),
        per_shot: perShot(ctx, (shot, start, end) => ({
          shot,
          start,
          end,
          count: Math.max(0, ...frames.filter((f) => f.shot === shot).map((f) => f.count)),
        })),
        frames,
        notes: [...pictureNotes, ...taskNotes(seen, 'faces')],
      };
      ctx.results.faces = section;
      if (describeFaces)
        ctx.pictureFaces = seen.flatMap((s, picture) => {
          const v = s.vision?.faces;
          if (!v || isTaskError(v)) return [];
          const faces = v.filter((f) => isFace(f, FACE_THRESHOLDS) && f.description);
          return [
            {
              picture,
              seconds: s.picture.seconds,
              shot: s.picture.shot,
              page: s.picture.page,
              path: s.picture.path,
              faces,
            },
          ];
        });
    }

    if (tasks.includes('moderation')) {
      const error = taskFailure(framesSeen, 'moderation');
      const configured = ctx.deps.config.vision.moderationThresholds;
      const frames = framesSeen.flatMap((s) => {
        const v = s.vision?.moderation;
        return v && !isTaskError(v)
          ? [{ seconds: s.picture.seconds, shot: s.picture.shot, scores: { ...v }, skin: s.vision?.skin ?? null }]
          : [];
      });
      const { verdict, strongest, basis } = moderationVerdict(frames, {
        ...configured,
        suggestiveSkin: SUGGESTIVE_SKIN,
      });
      const section: ModerationSection = {
        status: error ? 'failed' : 'completed',
        ...(error ? { error } : {}),
        model: MODERATION_MODEL,
        verdict,
        basis,
        strongest,
        thresholds: { ...configured, suggestive_skin: SUGGESTIVE_SKIN },
        frames,
        notes: taskNotes(framesSeen, 'moderation'),
      };
      ctx.results.moderation = section;
    }
    const failed = VISION_TASKS.map((task) => ctx.results[task]).find((section) => section?.status === 'failed');
    if (failed?.error) throw new AppError(failed.error.code as VisionTaskError['code'], failed.error.message);
  },
};
