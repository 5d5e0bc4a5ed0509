/** TypeBox schemas of the people API (src/http/routes/people.routes.ts). */
import { Type } from 'typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

export const PersonParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const FaceParamsSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  faceId: Type.String({ pattern: '^[0-9]{1,18}$', description: 'An appearance id from the person' }),
});

export const PeopleQuerySchema = Type.Object(
  {
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
    per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const PersonSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Nullable(Type.String()),
  face_count: Type.Integer({ description: 'Appearances (one per person per shot, or per photograph)' }),
  analysis_ids: Type.Array(Type.String({ format: 'uuid' })),
  thumbnail_url: Nullable(Type.String({ description: 'The best face, as an artifact of its analysis' })),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const AppearanceSchema = Type.Object({
  id: Type.String({ description: 'The face (appearance) id, for removing it from the person' }),
  analysis_id: Type.String({ format: 'uuid' }),
  start_seconds: Type.Union([Type.Number(), Type.Null()], { description: 'Null for a photograph' }),
  end_seconds: NullableNumber,
  page: NullableInteger,
  shot: NullableInteger,
  frames: Type.Integer({ description: 'Sampled frames the person was seen on' }),
  box: Type.Array(Type.Number(), { description: '[x, y, width, height] as fractions of the picture' }),
  thumbnail_url: Nullable(Type.String()),
  status_url: Type.String(),
});

export const PersonDetailSchema = Type.Object({
  ...PersonSchema.properties,
  appearances: Type.Array(AppearanceSchema),
});

export const PeopleListSchema = Type.Object({
  data: Type.Array(PersonSchema),
  pagination: Type.Object({
    page: Type.Integer(),
    per_page: Type.Integer(),
    total: Type.Integer(),
    total_pages: Type.Integer(),
  }),
});

export const PersonPatchSchema = Type.Object(
  {
    name: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
      description: 'The name to search by; null forgets the name',
    }),
  },
  { additionalProperties: false },
);

export const MergeBodySchema = Type.Object(
  { person_id: Type.String({ format: 'uuid', description: 'The person whose faces move here; they are forgotten' }) },
  { additionalProperties: false },
);

export const RemoveFaceResponseSchema = Type.Object({
  person: Type.Union([PersonSchema, Type.Null()], {
    description: 'The person without the face (null: it was their last)',
  }),
  new_person: PersonSchema,
});

export const SuggestionsQuerySchema = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })) },
  { additionalProperties: false },
);

export const SuggestionsSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      person: PersonSchema,
      similarity: Type.Number({
        description:
          'Cosine similarity of the closest pair of faces, one of each (at least the calibrated suggestion floor)',
      }),
    }),
  ),
});
