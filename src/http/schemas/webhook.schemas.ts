/** TypeBox schemas of the webhook API; they validate requests and generate the OpenAPI document. */
import { Type, type Static } from 'typebox';
import { WEBHOOK_EVENT_TYPES, DELIVERY_STATES } from '../../contract/webhook.types.ts';

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const WebhookEventTypeSchema = Type.Enum([...WEBHOOK_EVENT_TYPES]);

export const EndpointBodySchema = Type.Object(
  {
    url: Type.String({ description: 'http(s) URL of the receiver, at most 2 KB, on a public address' }),
    events: Type.Optional(
      Type.Array(WebhookEventTypeSchema, {
        minItems: 1,
        description: 'Default: completed, failed, cancelled, deleted (stage_completed is opt-in)',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const EndpointPatchSchema = Type.Partial(EndpointBodySchema, { additionalProperties: false });

export const EndpointSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    url: Type.String(),
    description: Type.String(),
    events: Type.Array(WebhookEventTypeSchema),
    enabled: Type.Boolean(),
    failing_since: NullableTimestamp,
    disabled_at: NullableTimestamp,
    disabled_reason: NullableString,
    previous_secret_expires_at: NullableTimestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'WebhookEndpoint' },
);

export const EndpointWithSecretSchema = Type.Object({
  ...EndpointSchema.properties,
  secret: Type.String({ description: 'whsec_… (base64); shown only in this response' }),
});

export const EndpointListSchema = Type.Object({ data: Type.Array(EndpointSchema) });

export const RotateBodySchema = Type.Object(
  {
    grace_seconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 30 * 86_400, description: 'How long the old secret keeps signing' }),
    ),
  },
  { additionalProperties: false },
);

export const SecretSchema = Type.Object({ secret: Type.String() });

export const AttemptSchema = Type.Object({
  attempt: Type.Integer(),
  started_at: Timestamp,
  latency_ms: Type.Integer(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  response_body: NullableString,
  error: NullableString,
});

export const DeliverySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    webhook_id: Type.String({ description: 'The webhook-id header, the same on every attempt' }),
    endpoint_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    url: Type.String(),
    event_type: Type.String(),
    analysis_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    state: Type.Enum([...DELIVERY_STATES]),
    attempts: Type.Integer(),
    next_attempt_at: NullableTimestamp,
    last_status: Type.Union([Type.Integer(), Type.Null()]),
    last_error: NullableString,
    created_at: Timestamp,
    delivered_at: NullableTimestamp,
    attempt_log: Type.Array(AttemptSchema),
  },
  { $id: 'WebhookDelivery' },
);

export const DeliveryListSchema = Type.Object({
  data: Type.Array(DeliverySchema),
  next_cursor: NullableString,
});

export const DeliveryQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    state: Type.Optional(Type.Enum([...DELIVERY_STATES])),
    analysis_id: Type.Optional(Type.String({ format: 'uuid' })),
  },
  { additionalProperties: false },
);
export type DeliveryQuery = Static<typeof DeliveryQuerySchema>;

export const EndpointParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const DeliveryParamsSchema = Type.Object({ deliveryId: Type.String({ format: 'uuid' }) });
