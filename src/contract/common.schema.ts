/**
 * Small shapes the result sections share. The contract (src/contract) is a foundation:
 * it imports nothing of ours, so every layer (stages, domain, persistence, HTTP) may
 * import it, and the SDK's types are generated from it through the OpenAPI document.
 *
 * A schema with an `$id` becomes a named component of the OpenAPI document
 * (`#/components/schemas/<$id>`) and a named type in the SDK.
 */
import { Type, type Static, type TSchema } from 'typebox';

/** `T` or `null`. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Every media type an analysis can have (`unknown` until intake has looked at the bytes). */
export const MEDIA_TYPES = ['video', 'audio', 'document', 'image', 'unknown'] as const;
export const MediaTypeSchema = Type.Enum([...MEDIA_TYPES]);

/** How a section's stage ended. `failed` carries the error code; the rest of the analysis goes on. */
export const SectionStatusSchema = Type.Enum(['completed', 'failed', 'skipped']);

/** A stage's failure recorded in its section: a code of the error catalogue and a message. */
export const SectionErrorSchema = Type.Object(
  { code: Type.String(), message: Type.String() },
  { $id: 'SectionError', description: 'Why a stage failed: an error code of the catalogue and a message' },
);
export type SectionError = Static<typeof SectionErrorSchema>;

/** A stretch of the media, in seconds from its start. */
export const SpanSchema = Type.Object({ start: Type.Number(), end: Type.Number() });

/** A box on a picture: [x, y, w, h] as fractions (0-1) of its width and height. */
export const BoxSchema = Type.Array(Type.Number(), {
  description: '[x, y, w, h] as fractions (0-1) of the picture',
});
