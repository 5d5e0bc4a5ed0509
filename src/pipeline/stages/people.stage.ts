/**
 * People: the faces the vision stage described (ctx.pictureFaces) pass the quality gate,
 * become appearances (one person through consecutive frames of a shot, or once in a
 * photograph), get a thumbnail artifact each, and are grouped into the tenant's people
 * by the people service (src/domain/people). Writes the `people` section (no description
 * vectors: those are stored only in face_appearances). Runs only with recognition on
 * (PEOPLE_RECOGNITION) and a people service in the deps; optional.
 */
import { PEOPLE_CALIBRATION } from '../../domain/analysis/calibration.ts';
import { buildAppearances, qualityGate, type DescribedFace, type ShotFrames } from '../../domain/people/appearances.ts';
import { unitVector } from '../../domain/people/face-vector.ts';
import type { AppearanceToGroup } from '../../domain/people/people.service.ts';
import type { PeopleSection } from '../results.types.ts';
import { storeArtifact } from '../artifacts.ts';
import { allOf, unless, type Stage } from '../stage.ts';
import { recognizesPeople } from './vision.stage.ts';

export const DESCRIPTION_MODEL = '@vladmandic/human faceres (1024-number face description)';

export const peopleStage: Stage = {
  name: 'people',
  needs: ['faces'],
  uses: ['shots', 'frames'],
  produces: ['people'],
  optional: true,
  cost: 1,
  appliesTo: (ctx) =>
    allOf(
      unless(recognizesPeople(ctx), 'face recognition is off'),
      unless(ctx.pictureFaces !== undefined, 'no face was described'),
    ),
  async run(ctx) {
    const sameAt = PEOPLE_CALIBRATION.samePerson.value;
    const gated = { small: 0, turned: 0, blurred: 0 };
    const described: DescribedFace[] = [];
    const pictures = ctx.pictureFaces ?? [];
    for (const p of pictures)
      for (const f of p.faces) {
        const d = f.description;
        if (!d) continue;
        const verdict = qualityGate({ px: f.px, yaw: d.yaw, pitch: d.pitch, sharpness: d.sharpness });
        if (verdict !== 'ok') {
          gated[verdict]++;
          continue;
        }
        described.push({
          picture: p.picture,
          seconds: p.seconds,
          shot: p.shot,
          box: f.box,
          px: f.px,
          score: f.score,
          vector: unitVector(d.vector),
        });
      }
    const shots: ShotFrames[] = (ctx.shots?.shots ?? []).map((s) => ({
      index: s.index,
      start: s.start,
      end: s.end,
      pictures: pictures.filter((p) => p.shot === s.index).map((p) => p.picture),
    }));
    const drafts = buildAppearances(described, shots, sameAt);
    // A photograph or a document's picture: its appearance has no time (a document's has its page).
    const still = ctx.source?.mediaType === 'image' || ctx.source?.mediaType === 'document';
    const toGroup: AppearanceToGroup[] = [];
    for (const [i, draft] of drafts.entries()) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const picture = pictures.find((p) => p.picture === draft.best.picture)!;
      const jpeg = await ctx.deps.tools.faces.faceThumbnail(
        picture.path,
        draft.best.box,
        ctx.deps.config.media.maxImagePixels,
      );
      const artifact = await storeArtifact(
        ctx,
        'frames',
        `face-${String(i + 1).padStart(3, '0')}.jpg`,
        jpeg,
        'image/jpeg',
      );
      toGroup.push({ ...draft, page: picture.page, thumbnailFileId: artifact.id, still });
    }
    const grouped = await ctx.deps.people!.group({ id: ctx.analysis.id, tenantId: ctx.analysis.tenantId }, toGroup);
    const section: PeopleSection = {
      model: DESCRIPTION_MODEL,
      same_person_similarity: sameAt,
      described: described.length,
      gated,
      appearances: grouped.map((g, i) => ({
        person_id: g.personId,
        face_id: g.appearanceId,
        start_seconds: g.startSeconds,
        end_seconds: g.endSeconds,
        ...(toGroup[i]!.page !== null ? { page: toGroup[i]!.page! } : {}),
        shot: toGroup[i]!.shot,
        frames: toGroup[i]!.frames,
        box: toGroup[i]!.best.box,
        matched: !g.created,
        similarity: g.similarity,
        thumbnail_artifact_id: toGroup[i]!.thumbnailFileId,
      })),
      people: new Set(grouped.map((g) => g.personId)).size,
    };
    ctx.results.people = section;
    ctx.log.info({ appearances: grouped.length, people: section.people, gated }, 'people grouped');
  },
};
