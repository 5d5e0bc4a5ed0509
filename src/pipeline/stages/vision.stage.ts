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
import { allOf, stageCost, unless, type Stage, type StageContext } from '../stage.ts';
import {
  isPictureDocument,
  looksAtDocumentPictures,
  pictureCount,
  pictures,
  recognizesPeople,
  type Picture,
} from './vision-pictures.ts';

export { recognizesPeople } from './vision-pictures.ts';
import { stageCores } from '../cpu-budget.ts';
import { inTurn } from '../../platform/in-turn.ts';

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

export function visionTasks(ctx: StageContext): VisionTask[] {
  const { options } = ctx.analysis;
  const defaults = ctx.deps.config.vision;
  const tasks = VISION_TASKS.filter((task) => options[task] ?? defaults[task]);
  return isPictureDocument(ctx) ? tasks.filter((task) => task === 'faces') : tasks;
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
  // One core per model thread at work: as many as the host has threads (VISION_MODEL_HOSTS),
  // within the worker's CPU budget, and no more than there are pictures.
  cost: (ctx) => Math.max(1, Math.min(ctx.deps.vision?.parallelism ?? 1, stageCores(ctx), pictureCount(ctx))),
  appliesTo: (ctx) =>
    allOf(
      unless(
        ctx.source?.mediaType === 'image' || ctx.source?.mediaType === 'video' || looksAtDocumentPictures(ctx),
        isPictureDocument(ctx)
          ? "a document's pictures are looked at only for people (PEOPLE_RECOGNITION, DOCUMENT_MAX_PICTURES)"
          : 'not an image, a video, a PDF or a DOCX',
      ),
      unless(ctx.deps.vision !== undefined, 'no model host in this process'),
      unless(
        visionTasks(ctx).length > 0,
        isPictureDocument(ctx) ? 'faces are switched off' : 'objects, faces and moderation are switched off',
      ),
      unless(ctx.source?.mediaType !== 'video' || (ctx.frames?.length ?? 0) > 0, 'no frame was extracted'),
    ),
  async run(ctx) {
    const tasks = visionTasks(ctx);
    const host = ctx.deps.vision!;
    const pictureNotes: string[] = [];
    const pics = await pictures(ctx, pictureNotes);
    if (pics.length === 0 && isPictureDocument(ctx))
      pictureNotes.push('the document has no embedded picture to look at');
    const started = performance.now();
    // Faces are described only for the people stage, and only when recognition is on.
    const describeFaces = tasks.includes('faces') && recognizesPeople(ctx);
    const look = async (picture: Picture): Promise<Seen> => {
      try {
        const asked = picture.facesOnly ? tasks.filter((task) => task === 'faces') : tasks;
        // Only the faces that count are described (faceres costs more than finding them).
        const options = describeFaces ? { describeFaces, describeOnly: FACE_THRESHOLDS } : {};
        return { picture, vision: await host.analyze(picture.path, asked, options), error: null };
      } catch (err) {
        if (!(err instanceof ctx.deps.tools.modelHost.ModelHostError)) throw err;
        return { picture, vision: null, error: { code: err.code, message: err.message } };
      }
    };
    // The pictures go to the model threads side by side, as many at once as the stage's cost
    // (the host hands each to a free thread); in the pictures' order in the results.
    const seen = await inTurn(pics, stageCost(visionStage, ctx), look, ctx.signal);
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
