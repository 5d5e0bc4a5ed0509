/**
 * Key administration for admin keys: list every tenant's keys, create a key (a new tenant
 * id creates the tenant), revoke one. The secret of a new key is in the create response
 * only; lists show the public prefix. Mounted at /api/admin/keys.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.ts';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import { requireApiKey } from '../plugins/auth.plugin.ts';
import { ProblemSchema } from '../schemas/media.schemas.ts';

export interface AdminKeyRoutesDeps {
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
}

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const KeyViewSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenant_id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  admin: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Nullable(Type.String({ format: 'date-time' })),
  revoked_at: Nullable(Type.String({ format: 'date-time' })),
});

const CreateKeyBodySchema = Type.Object(
  {
    tenant_id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    admin: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

function requireAdmin(request: FastifyRequest): void {
  if (!request.principal.isAdmin) throw new AppError('FORBIDDEN', 'Only an admin key can manage API keys');
}

function view(row: Awaited<ReturnType<ApiKeyService['list']>>[number]) {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    prefix: row.key_prefix,
    admin: row.is_admin,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at ? row.last_used_at.toISOString() : null,
    revoked_at: row.revoked_at ? row.revoked_at.toISOString() : null,
  };
}

export async function adminKeyRoutes(app: FastifyInstance, deps: AdminKeyRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/',
    {
      schema: {
        summary: 'Every API key of every tenant (admin)',
        tags: ['admin'],
        response: { 200: Type.Object({ data: Type.Array(KeyViewSchema) }), ...problems },
      },
    },
    async (request) => {
      requireAdmin(request);
      return { data: (await deps.keys.list()).map(view) };
    },
  );

  r.post(
    '/',
    {
      schema: {
        summary: 'Create an API key; a new tenant_id creates the tenant (admin; the key is shown once)',
        tags: ['admin'],
        body: CreateKeyBodySchema,
        response: { 201: Type.Intersect([KeyViewSchema, Type.Object({ key: Type.String() })]), ...problems },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const { key, row } = await deps.keys.create(
        request.body.tenant_id,
        request.body.name,
        request.body.admin ?? false,
      );
      return reply.code(201).send({ ...view(row), key });
    },
  );

  r.delete(
    '/:id',
    {
      schema: {
        summary: 'Revoke an API key (admin)',
        tags: ['admin'],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: { type: 'null', description: 'Revoked' }, ...problems },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      if (request.params.id === request.principal.keyId)
        throw new AppError('FORBIDDEN', 'A key cannot revoke itself; sign in with another admin key');
      if (!(await deps.keys.revoke(request.params.id)))
        throw new AppError('KEY_NOT_FOUND', `No active API key ${request.params.id}`);
      return reply.code(204).send(null);
    },
  );
}
