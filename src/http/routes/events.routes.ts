/**
 * Live events as Server-Sent Events:
 * - `GET /{id}/events` (mounted under /api/media): one analysis — `status`, `progress`,
 *   `stage`, then `completed` | `failed` | `cancelled` | `deleted`, after which it ends.
 * - `GET /api/events`: every analysis of the tenant, for dashboards; never ends by itself.
 * Either ends with an `unauthorized` event when its API key is revoked (checked at each heartbeat),
 * and with a `shutdown` event when the process stops (reconnect with Last-Event-ID to resume).
 * Each event has an id; send it back as `Last-Event-ID` (or `?last_event_id=`) to resume
 * without gaps. Comment lines keep idle streams open through proxies.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AnalysisEventService } from '../../domain/analysis/analysis-events.service.ts';
import type { ApiKeyService } from '../../domain/tenant/api-key.service.ts';
import { isTerminal } from '../../domain/analysis/analysis.state.ts';
import { AppError, errors } from '../../domain/errors.ts';
import type { EventHub } from '../../events/event-hub.ts';
import { presentedKey, requireApiKey } from '../plugins/auth.plugin.ts';
import { IdParamsSchema, ProblemSchema } from '../schemas/media.schemas.ts';
import { openEventStream, parseLastEventId, type StreamOptions } from '../sse.ts';

export interface EventRoutesDeps {
  events: AnalysisEventService;
  keys: ApiKeyService;
  authMode: 'api_key' | 'disabled';
  hub: EventHub;
  heartbeatMs: number;
  maxStreamsPerTenant?: number | undefined;
}

const StreamQuerySchema = Type.Object(
  { last_event_id: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })) },
  { additionalProperties: false },
);

const sseResponse = {
  description: 'text/event-stream; each event has `id`, `event` and JSON `data`',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};
const LastEventIdHeader = Type.Object({
  'last-event-id': Type.Optional(Type.String({ description: 'Resume after this event id' })),
});

function lastEventId(request: { headers: Record<string, unknown>; query: unknown }): number | null {
  return (
    parseLastEventId(request.headers['last-event-id']) ??
    parseLastEventId((request.query as { last_event_id?: string }).last_event_id)
  );
}

/** `GET /{id}/events`, registered under each media prefix. */
export async function analysisEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/:id/events',
    {
      schema: {
        summary: 'Live events of one analysis (Server-Sent Events)',
        description:
          'Events: `status`, `progress`, `stage` (started/finished/stalled), and a final `completed`, `failed`, `cancelled` or `deleted`, after which the stream ends. Without Last-Event-ID the first event is the current status. 204 when the client is already past the final event. A stream whose API key is revoked ends with an `unauthorized` event (checked at each heartbeat); do not reconnect with that key. When the serving process shuts down the stream ends with a `shutdown` event: reconnect with Last-Event-ID.',
        operationId: 'streamAnalysisEvents',
        tags: ['events'],
        params: IdParamsSchema,
        querystring: StreamQuerySchema,
        headers: LastEventIdHeader,
        response: {
          200: sseResponse,
          204: { description: 'Nothing more will happen (resumed past the final event)', type: 'null' },
          400: ProblemSchema,
          401: ProblemSchema,
          404: ProblemSchema,
          410: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const tenantId = request.principal.tenantId;
      const id = request.params.id;
      const resumeFrom = lastEventId(request);
      // Latest id first, then the row: an event committed in between is sent twice in effect, never lost.
      const latest = await deps.events.latestId(id);
      const a = await deps.events.analysis(id, tenantId);
      if (resumeFrom === null && a.status === 'deleted') throw errors.analysisGone(id);
      if (resumeFrom !== null && isTerminal(a.status) && resumeFrom >= latest) return reply.code(204).send(null);
      const snapshot =
        resumeFrom === null
          ? [
              {
                id: latest,
                event: isTerminal(a.status) ? a.status : 'status',
                data: {
                  analysis_id: a.id,
                  status: a.status,
                  progress: a.progress,
                  media_type: a.mediaType,
                  ...(a.errorCode ? { error_code: a.errorCode, error_message: a.errorMessage } : {}),
                  ...(typeof a.results?.summary === 'string' ? { summary: a.results.summary.slice(0, 500) } : {}),
                  at: a.updatedAt.toISOString(),
                },
              },
            ]
          : [];
      checkStreamCap(deps, tenantId);
      reply.hijack();
      openEventStream({
        res: reply.raw,
        hub: deps.hub,
        tenantId,
        analysisId: id,
        cursor: resumeFrom ?? latest,
        heartbeatMs: deps.heartbeatMs,
        readAfter: (after, limit) => deps.events.after({ tenantId, analysisId: id }, after, limit),
        endAtTerminal: true,
        initial: snapshot,
        endAfterInitial: resumeFrom === null && isTerminal(a.status),
        onError: (err) => request.log.warn({ err }, 'event stream failed'),
        ...keyCheck(request, deps),
      });
    },
  );
}

/** One tenant's open streams are capped per process (each holds a socket and a subscription). */
function checkStreamCap(deps: EventRoutesDeps, tenantId: string): void {
  const max = deps.maxStreamsPerTenant;
  if (max !== undefined && deps.hub.tenantStreams(tenantId) >= max)
    throw new AppError('TOO_MANY_STREAMS', `A tenant may hold at most ${max} event streams open at once`, {
      headers: { 'retry-after': String(STREAM_CAP_RETRY_AFTER_SECONDS) },
    });
}

/** Retry-After when the stream cap is reached: streams end only when clients leave. */
const STREAM_CAP_RETRY_AFTER_SECONDS = 30;

/** A stream's key is asked again at each heartbeat (see `stillAuthorized`); none without auth. */
function keyCheck(request: FastifyRequest, deps: EventRoutesDeps): Pick<StreamOptions, 'stillAuthorized'> {
  const key = presentedKey(request);
  if (deps.authMode === 'disabled' || !key) return {};
  const { keyId } = request.principal;
  return { stillAuthorized: async () => (await deps.keys.authenticate(key))?.keyId === keyId };
}

/** `GET /api/events`: the tenant's whole stream. */
export async function tenantEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): Promise<void> {
  requireApiKey(app, deps.keys, deps.authMode);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '',
    {
      schema: {
        summary: "Live events of all the tenant's analyses (Server-Sent Events)",
        description:
          'The same events as `/api/media/{id}/events`, for every analysis; it ends only with an `unauthorized` event when its API key is revoked, or a `shutdown` event when the serving process stops (reconnect with Last-Event-ID).',
        operationId: 'streamTenantEvents',
        tags: ['events'],
        querystring: StreamQuerySchema,
        headers: LastEventIdHeader,
        response: { 200: sseResponse, 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      const tenantId = request.principal.tenantId;
      const resumeFrom = lastEventId(request);
      const cursor = resumeFrom ?? (await deps.events.latestTenantId(tenantId));
      checkStreamCap(deps, tenantId);
      reply.hijack();
      openEventStream({
        res: reply.raw,
        hub: deps.hub,
        tenantId,
        cursor,
        heartbeatMs: deps.heartbeatMs,
        readAfter: (after, limit) => deps.events.after({ tenantId }, after, limit),
        endAtTerminal: false,
        onError: (err) => request.log.warn({ err }, 'event stream failed'),
        ...keyCheck(request, deps),
      });
    },
  );
}
