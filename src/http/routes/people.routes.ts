/**
 * `/api/people`: the people of a tenant's library (faces grouped across analyses), their
 * appearances, naming, suggested merges, merging, removing a wrong face, and forgetting a person.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import type { PeopleService } from '../../domain/people/people.service.ts';
import type { Appearance, Person } from '../../contract/people.types.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';
import {
  FaceParamsSchema,
  MergeBodySchema,
  PeopleListSchema,
  PeopleQuerySchema,
  PersonDetailSchema,
  PersonParamsSchema,
  PersonPatchSchema,
  PersonSchema,
  RemoveFaceResponseSchema,
  SuggestionsQuerySchema,
  SuggestionsSchema,
} from '../schemas/people.schemas.ts';

export interface PeopleRoutesDeps {
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
  people: PeopleService;
  /** Public path prefix of the media routes (thumbnails are artifacts of their analysis). */
  mediaPrefix: string;
}

const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema };

export async function peopleRoutes(app: FastifyInstance, deps: PeopleRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { people, mediaPrefix } = deps;
  const artifactUrl = (analysisId: string, fileId: string | null) =>
    fileId ? `${mediaPrefix}/${analysisId}/artifacts/${fileId}` : null;
  const personView = (p: Person) => ({
    id: p.id,
    name: p.name,
    face_count: p.faceCount,
    analysis_ids: p.analysisIds,
    thumbnail_url: p.thumbnail ? artifactUrl(p.thumbnail.analysisId, p.thumbnail.fileId) : null,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  });
  const appearanceView = (a: Appearance) => ({
    id: a.id,
    analysis_id: a.analysisId,
    start_seconds: a.startSeconds,
    end_seconds: a.endSeconds,
    page: a.page,
    shot: a.shot,
    frames: a.frames,
    box: a.box,
    thumbnail_url: artifactUrl(a.analysisId, a.thumbnailFileId),
    status_url: `${mediaPrefix}/status/${a.analysisId}`,
  });

  r.get(
    '',
    {
      schema: {
        summary: "The tenant's people: faces grouped across analyses, named ones first",
        operationId: 'listPeople',
        tags: ['people'],
        querystring: PeopleQuerySchema,
        response: { 200: PeopleListSchema, 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      const page = request.query.page ?? 1;
      const perPage = request.query.per_page ?? 20;
      const { people: list, total } = await people.list(request.principal.tenantId, perPage, (page - 1) * perPage);
      return {
        data: list.map(personView),
        pagination: { page, per_page: perPage, total, total_pages: Math.ceil(total / perPage) },
      };
    },
  );

  r.get(
    '/:id',
    {
      schema: {
        summary: 'One person and every appearance: which analysis, when (or which photograph), the face',
        operationId: 'getPerson',
        tags: ['people'],
        params: PersonParamsSchema,
        response: { 200: PersonDetailSchema, ...problems },
      },
    },
    async (request) => {
      const { person, appearances } = await people.get(request.principal.tenantId, request.params.id);
      return { ...personView(person), appearances: appearances.map(appearanceView) };
    },
  );

  r.get(
    '/:id/suggestions',
    {
      schema: {
        summary: 'People who may be this person (faces alike, never on screen together): confirm one with a merge',
        operationId: 'suggestPeople',
        tags: ['people'],
        params: PersonParamsSchema,
        querystring: SuggestionsQuerySchema,
        response: { 200: SuggestionsSchema, 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const found = await people.suggestions(request.principal.tenantId, request.params.id, request.query.limit ?? 10);
      return { data: found.map((s) => ({ person: personView(s.person), similarity: s.similarity })) };
    },
  );

  r.patch(
    '/:id',
    {
      schema: {
        summary: 'Name a person: their appearances become searchable by the name',
        operationId: 'renamePerson',
        tags: ['people'],
        params: PersonParamsSchema,
        body: PersonPatchSchema,
        response: { 200: PersonSchema, ...problems },
      },
    },
    async (request) =>
      personView(await people.rename(request.principal.tenantId, request.params.id, request.body.name)),
  );

  r.post(
    '/:id/merge',
    {
      schema: {
        summary: 'Merge another person into this one (their faces move here; the other is forgotten)',
        operationId: 'mergePeople',
        tags: ['people'],
        params: PersonParamsSchema,
        body: MergeBodySchema,
        response: { 200: PersonSchema, ...problems },
      },
    },
    async (request) =>
      personView(await people.merge(request.principal.tenantId, request.params.id, request.body.person_id)),
  );

  r.delete(
    '/:id/faces/:faceId',
    {
      schema: {
        summary: 'Remove a wrongly matched face from a person: it becomes a person of its own',
        operationId: 'removePersonFace',
        tags: ['people'],
        params: FaceParamsSchema,
        response: { 200: RemoveFaceResponseSchema, ...problems },
      },
    },
    async (request) => {
      const { person, newPerson } = await people.removeFace(
        request.principal.tenantId,
        request.params.id,
        request.params.faceId,
      );
      return { person: person ? personView(person) : null, new_person: personView(newPerson) };
    },
  );

  r.delete(
    '/:id',
    {
      schema: {
        summary: 'Forget a person: their face descriptions, and their name in search',
        operationId: 'deletePerson',
        tags: ['people'],
        params: PersonParamsSchema,
        response: { 204: { description: 'Forgotten', type: 'null' }, ...problems },
      },
    },
    async (request, reply) => {
      await people.forget(request.principal.tenantId, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
