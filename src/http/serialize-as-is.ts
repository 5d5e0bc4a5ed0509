/**
 * Responses that carry an analysis's `results` are written with JSON.stringify rather
 * than the schema-compiled serializer (fast-json-stringify). The schema still documents
 * them (the contract, src/contract), but fast-json-stringify writes only the properties a
 * schema declares: a field of an analysis stored by an earlier version, or one a newer
 * stage adds before the contract says so, would vanish from the answer without a word.
 * The cached status (cache.ts) is JSON.stringify'd too, so a hit and a miss answer alike.
 */
import type { FastifySerializerCompiler } from 'fastify';

export const serializeAsIs: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);
