/**
 * Every environment variable the service understands, as one TypeBox schema: one line
 * per key with its type, default and bounds. `config.ts` validates `process.env`
 * against it with Ajv and builds the grouped configuration from the result.
 *
 * Two keywords of our own ride along in the schema: `secret` (the value is never
 * echoed in an error) and `hint` (the message for a `pattern` that does not match).
 */
import { Type, type Static } from 'typebox';

const MiB = 1024 * 1024;

type StringOptions = {
  pattern?: string;
  hint?: string;
};

/** An integer with a default and inclusive bounds. */
const int = (value: number, minimum: number, maximum: number) => Type.Integer({ default: value, minimum, maximum });
/** A string with a default. */
const text = (value: string, opts: StringOptions = {}) => Type.String({ default: value, ...opts });
/** A string that may be absent. */
const optional = (opts: StringOptions = {}) => Type.Optional(Type.String(opts));
/** A string that may be absent and is never echoed (keys, passwords, connection strings). */
const secret = (opts: StringOptions = {}) => Type.Optional(Type.String({ ...opts, secret: true }));
/** true/false (also 1/0, yes/no, on/off). */
const bool = (value: boolean) => Type.Boolean({ default: value });
/** One of a fixed set of words. */
const oneOf = <const T extends string[]>(values: readonly [...T], value: T[number]) =>
  Type.Enum(values, { default: value });
/** A comma-separated list. */
const list = () => Type.Array(Type.String(), { default: [] });

export const EnvSchema = Type.Object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  HOST: text('127.0.0.1'),
  PORT: int(3000, 0, 65535),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  DATA_DIR: text('./data'),

  DATABASE_URL: secret(),
  DATABASE_POOL_MIN: int(0, 0, 1000),
  DATABASE_POOL_MAX: int(10, 1, 1000),
  DATABASE_CONNECT_TIMEOUT_MS: int(5_000, 100, 600_000),
  DATABASE_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  DATABASE_IDLE_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  EMBEDDED_PG_PORT: int(54329, 1, 65535),
  /** In production, refuse a DATABASE_URL without sslmode=require|verify-ca|verify-full (default: on in production). */
  DATABASE_REQUIRE_TLS: oneOf(['auto', 'true', 'false'], 'auto'),

  STORAGE_ROOT: text(''),

  WORKER_IN_PROCESS: bool(true),
  WORKER_CONCURRENCY: int(2, 1, 64),
  WORKER_CPU_BUDGET: int(2, 1, 256),
  /** Per-stage hard time limits, `stage=ms` pairs (e.g. `answer=120000,frames=60000`); others keep their defaults. */
  STAGE_TIME_LIMITS: list(),
  /** A stage running this many times its learned expected duration is flagged stalled. */
  STAGE_STALL_FACTOR: int(4, 2, 100),
  /** Never flag a stage stalled before this long, whatever was learned. */
  STAGE_STALL_FLOOR_MS: int(30_000, 10, 3_600_000),
  WORKER_HEARTBEAT_INTERVAL_MS: int(5_000, 100, 600_000),
  WORKER_STALE_AFTER_MS: int(30_000, 500, 3_600_000),
  WORKER_POLL_INTERVAL_MS: int(2_000, 50, 600_000),
  /** On SIGTERM, running jobs get this long to finish before they are handed back to the queue. */
  WORKER_DRAIN_TIMEOUT_MS: int(150_000, 0, 86_400_000),
  JOB_MAX_ATTEMPTS: int(5, 1, 25),

  BODY_LIMIT_BYTES: int(1 * MiB, 1024, 100 * MiB),
  /** Slow clients (slow-loris): a request's headers must arrive within this long. */
  HTTP_HEADERS_TIMEOUT_MS: int(20_000, 100, 600_000),
  /** The whole request (headers and body, uploads included) must arrive within this long. */
  HTTP_REQUEST_TIMEOUT_MS: int(600_000, 100, 6 * 3_600_000),
  /** A request body (an upload) that sends nothing for this long is cut off. */
  UPLOAD_IDLE_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  METRICS_TOKEN: secret(),
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For names the client; empty: the socket's peer is the client. */
  TRUST_PROXY: list(),
  MAX_UPLOAD_BYTES: int(512 * MiB, 1, 64 * 1024 * MiB),
  MAX_DOWNLOAD_BYTES: int(512 * MiB, 1, 64 * 1024 * MiB),
  DOWNLOAD_TIMEOUT_MS: int(120_000, 100, 3_600_000),
  DOWNLOAD_MAX_REDIRECTS: int(5, 0, 5),
  DOWNLOAD_ALLOW_HOSTS: list(),

  AUTH_MODE: oneOf(['api_key', 'disabled'], 'api_key'),
  IDEMPOTENCY_TTL_HOURS: int(24, 1, 24 * 30),

  FFPROBE_PATH: text('ffprobe'),
  FFMPEG_PATH: text('ffmpeg'),
  PROBE_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  FFMPEG_TIMEOUT_MS: int(600_000, 100, 6 * 3_600_000),
  PDFTOPPM_PATH: text('pdftoppm'),
  MAX_MEDIA_DURATION_SECONDS: int(4 * 3600, 1, 48 * 3600),
  MAX_IMAGE_PIXELS: int(50_000_000, 1, 1_000_000_000),
  MAX_DOCUMENT_PAGES: int(2_000, 1, 100_000),
  POCKETSPHINX_PATH: text('pocketsphinx_continuous'),
  POCKETSPHINX_MODEL_DIR: text('/usr/share/pocketsphinx/model/en-us'),
  LOCAL_SPEECH_MAX_SECONDS: int(1_800, 0, 86_400),
  LOCAL_SPEECH_TIMEOUT_MS: int(300_000, 100, 3_600_000),
  FRAME_COUNT: int(6, 1, 100),
  /** Frames a video may get when it shows more distinct scenes than FRAME_COUNT (one per scene, up to this). */
  FRAME_MAX_COUNT: int(20, 1, 100),
  FRAME_WIDTH: int(640, 64, 3840),
  CONTACT_SHEET_GRID: text('2x3', { pattern: '^[1-9]\\d?x[1-9]\\d?$', hint: 'must look like 2x3 (rows x columns)' }),
  // On-CPU vision (models shipped in npm packages; see src/media/vision).
  VISION_SHOTS: bool(true),
  VISION_OBJECTS: bool(true),
  VISION_FACES: bool(true),
  VISION_MODERATION: bool(true),
  VISION_SCENE_THRESHOLD: int(10, 1, 100),
  VISION_CALL_TIMEOUT_MS: int(60_000, 1000, 3_600_000),
  VISION_MAX_HEAP_MB: int(1024, 128, 16_384),
  VISION_MODELS_DIR: optional(),
  /**
   * Face recognition (people across the library, docs/people.md): describe faces with
   * faceres and group them into people. Off: faces are still detected and counted, but no
   * face description (biometric data) is computed or stored.
   */
  PEOPLE_RECOGNITION: bool(true),
  MODERATION_MODEL: text('MobileNetV2'),
  MODERATION_EXPLICIT_PERCENT: int(70, 1, 100),
  MODERATION_SUGGESTIVE_PERCENT: int(80, 1, 100),
  CONTACT_SHEET_WIDTH: int(1920, 320, 7680),
  CONTACT_SHEET_HEIGHT: int(1080, 240, 4320),

  CHAT_PROVIDERS: list(),
  CHAT_MODEL: optional(),
  CHAT_TIMEOUT_MS: int(120_000, 100, 3_600_000),
  CHAT_MAX_RETRIES: int(3, 0, 10),
  CHAT_CONTEXT_CHARS: int(48_000, 1_000, 4_000_000),
  CHAT_MAX_IMAGES: int(4, 0, 32),
  OPENAI_API_KEY: secret(),
  OPENAI_BASE_URL: optional(),
  OPENROUTER_API_KEY: secret(),
  OPENROUTER_BASE_URL: optional(),
  MINIMAX_API_KEY: secret(),
  MINIMAX_BASE_URL: optional(),
  NOVITA_API_KEY: secret(),
  NOVITA_BASE_URL: optional(),
  VLLM_API_KEY: secret(),
  VLLM_BASE_URL: optional(),
  OLLAMA_BASE_URL: optional(),
  LLAMACPP_BASE_URL: optional(),
  TRANSCRIPTION_PROVIDER: oneOf(['none', 'deepgram', 'openai', 'groq', 'openai-compatible'], 'none'),
  TRANSCRIPTION_MODEL: optional(),
  TRANSCRIPTION_BASE_URL: optional(),
  TRANSCRIPTION_API_KEY: secret(),
  DEEPGRAM_API_KEY: secret(),
  DEEPGRAM_BASE_URL: optional(),
  GROQ_API_KEY: secret(),
  GROQ_BASE_URL: optional(),
  MODEL_PRICES: text('{}'),
  BREAKER_FAILURE_THRESHOLD: int(5, 1, 1000),
  BREAKER_RESET_MS: int(30_000, 10, 3_600_000),
  BREAKER_HALF_OPEN_TRIALS: int(3, 1, 100),
  REUSE_WINDOW_HOURS: int(24, 0, 24 * 365),
  RETENTION_UPLOADS_DAYS: int(7, 0, 3650),
  RETENTION_FRAMES_DAYS: int(30, 0, 3650),
  RETENTION_CONTACT_SHEETS_DAYS: int(30, 0, 3650),
  RETENTION_TEMP_DAYS: int(1, 0, 3650),
  DELETED_FILES_GRACE_HOURS: int(24, 0, 24 * 365),
  CLEANUP_CRON: text('*/15 * * * *'),
  /** Files in the store without a row (a killed worker's leftovers) are removed by the cleanup once this old. */
  STORAGE_ORPHAN_GRACE_MS: int(3_600_000, 60_000, 30 * 86_400_000),
  CACHE_ENABLED: bool(true),
  RATE_LIMIT_MAX: int(1200, 0, 10_000_000),
  RATE_LIMIT_WINDOW_MS: int(60_000, 1000, 86_400_000),
  TENANT_MAX_CONCURRENT: int(10, 0, 10_000),
  /** Requests with an unknown or revoked key one client address may make per rate-limit window (0 = no limit). */
  AUTH_FAILURE_LIMIT: int(30, 0, 1_000_000),
  /** Webhook endpoints one tenant may register. */
  WEBHOOK_MAX_ENDPOINTS: int(25, 1, 10_000),
  /** Event streams one tenant may hold open at once on one API process. */
  SSE_MAX_STREAMS_PER_TENANT: int(20, 1, 100_000),
  REDIS_URL: secret({ pattern: '^rediss?://', hint: 'must start with redis:// or rediss://' }),
  /** Hosts (name or IP, optionally :port) webhooks may reach even on private addresses. */
  WEBHOOK_ALLOW_HOSTS: list(),
  /** A receiver must answer 2xx within this to count as delivered. */
  WEBHOOK_TIMEOUT_MS: int(15_000, 100, 120_000),
  /** Delays after each failed attempt, e.g. "5s,5m,30m,2h,5h,10h,14h" (empty: that default). */
  WEBHOOK_RETRY_SCHEDULE: text(''),
  WEBHOOK_CONCURRENCY: int(32, 1, 1000),
  WEBHOOK_ENDPOINT_CONCURRENCY: int(8, 1, 1000),
  /** An endpoint failing without a success this long is disabled (default 5 days). */
  WEBHOOK_DISABLE_AFTER_SECONDS: int(5 * 86_400, 1, 365 * 86_400),
  WEBHOOK_ROTATION_GRACE_SECONDS: int(86_400, 0, 30 * 86_400),
  WEBHOOK_POLL_INTERVAL_MS: int(1_000, 10, 600_000),
  /** Comment lines on idle event streams, so proxies keep them open. */
  SSE_HEARTBEAT_MS: int(15_000, 100, 600_000),
  CACHE_STATUS_TTL_SECONDS: int(300, 1, 86_400),
  CACHE_RESULT_TTL_SECONDS: int(3600, 1, 86_400),
  CACHE_HISTORY_TTL_SECONDS: int(60, 1, 86_400),
  // Scale-out: object storage (credentials come from the AWS chain, never from here),
  // artifact delivery, the archive, and how the service treats its database role.
  STORAGE_DRIVER: oneOf(['local', 's3'], 'local'),
  S3_BUCKET: optional(),
  S3_PREFIX: text(''),
  S3_ENDPOINT: optional({ pattern: '^https?://', hint: 'must be an http(s) URL' }),
  S3_REGION: text('us-east-1'),
  S3_FORCE_PATH_STYLE: bool(false),
  S3_PART_SIZE_MB: int(8, 5, 512),
  S3_QUEUE_SIZE: int(2, 1, 16),
  ARTIFACT_DELIVERY: oneOf(['proxy', 'redirect'], 'proxy'),
  ARTIFACT_URL_TTL_SECONDS: int(300, 10, 7 * 86_400),
  ARCHIVE_AFTER_DAYS: int(90, 0, 36_500),
  MIGRATE_ON_BOOT: bool(true),
  DATABASE_ALLOW_SUPERUSER: bool(false),
});

export type Env = Static<typeof EnvSchema>;

/** What the validator and its messages read from one key's schema. */
export interface KeySchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  hint?: string;
  secret?: boolean;
}

/** The schema of one key, or undefined for a key the service does not know. */
export function keySchema(key: string): KeySchema | undefined {
  return (EnvSchema.properties as Record<string, KeySchema>)[key];
}
