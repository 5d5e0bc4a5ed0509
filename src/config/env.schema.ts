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
  // ## Server
  /** `production` turns on the production checks (TLS to the database, no superuser role). */
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  /** Address the HTTP server listens on. */
  HOST: text('127.0.0.1'),
  /** Port the HTTP server listens on. */
  PORT: int(3000, 0, 65535),
  /** pino log level. */
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  /** Embedded PostgreSQL, the first admin key file and the default storage live here. */
  DATA_DIR: text('./data'),
  /**
   * An API process loads the library search index and the embedding model as it starts, in the
   * background, so the first search does not wait for them (seconds at a million segments); false
   * loads them on the first search instead.
   */
  SEARCH_WARM_AT_START: bool(true),

  // ## Database
  /** PostgreSQL connection URL; unset, `npm start` runs embedded PostgreSQL under `DATA_DIR`. */
  DATABASE_URL: secret(),
  /** Connections each process keeps open at least. */
  DATABASE_POOL_MIN: int(0, 0, 1000),
  /** Connections each process opens at most. */
  DATABASE_POOL_MAX: int(10, 1, 1000),
  /** How long a request waits for a connection; then 503 with `Retry-After`. */
  DATABASE_CONNECT_TIMEOUT_MS: int(5_000, 100, 600_000),
  /** Per-statement timeout. */
  DATABASE_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  /** An idle connection is closed after this long. */
  DATABASE_IDLE_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  /** Port of the embedded PostgreSQL (loopback only). */
  EMBEDDED_PG_PORT: int(54329, 1, 65535),
  /** In production, refuse a DATABASE_URL without sslmode=require|verify-ca|verify-full (default: on in production). */
  DATABASE_REQUIRE_TLS: oneOf(['auto', 'true', 'false'], 'auto'),

  // ## Storage
  /**
   * Where media and artifacts are stored with the local driver.
   * @default $DATA_DIR/storage
   */
  STORAGE_ROOT: text(''),

  // ## Workers and stages
  /** `npm start` (`media-analysis start`) also runs a worker in the API process. */
  WORKER_IN_PROCESS: bool(true),
  /** Jobs one worker process runs at once. */
  WORKER_CONCURRENCY: int(2, 1, 64),
  /** CPU cores the stages of all of a worker's analyses may keep busy at once. */
  WORKER_CPU_BUDGET: int(2, 1, 256),
  /**
   * Per-stage hard time limits, `stage=ms` pairs (e.g. `answer=120000,frames=60000`); others keep their defaults.
   * @default each stage's own (below)
   */
  STAGE_TIME_LIMITS: list(),
  /** A stage running this many times its learned expected duration is flagged stalled. */
  STAGE_STALL_FACTOR: int(4, 2, 100),
  /** Never flag a stage stalled before this long, whatever was learned. */
  STAGE_STALL_FLOOR_MS: int(30_000, 10, 3_600_000),
  /** How often a worker records that it is alive. */
  WORKER_HEARTBEAT_INTERVAL_MS: int(5_000, 100, 600_000),
  /** A worker silent this long has its jobs handed back to the queue. */
  WORKER_STALE_AFTER_MS: int(30_000, 500, 3_600_000),
  /** Queue poll fallback; LISTEN/NOTIFY wakes workers first. */
  WORKER_POLL_INTERVAL_MS: int(2_000, 50, 600_000),
  /** On SIGTERM, running jobs get this long to finish before they are handed back to the queue. */
  WORKER_DRAIN_TIMEOUT_MS: int(150_000, 0, 86_400_000),
  /** Attempts for transient failures, with jittered exponential back-off. */
  JOB_MAX_ATTEMPTS: int(5, 1, 25),

  // ## HTTP edge and downloads
  /** Largest JSON body (413 beyond). */
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
  /** Largest multipart upload (413 beyond). */
  MAX_UPLOAD_BYTES: int(512 * MiB, 1, 64 * 1024 * MiB),
  /** Largest `media_url` download. */
  MAX_DOWNLOAD_BYTES: int(512 * MiB, 1, 64 * 1024 * MiB),
  /** Deadline for a whole `media_url` download (`MEDIA_DOWNLOAD_TIMEOUT`, not retried). */
  DOWNLOAD_TIMEOUT_MS: int(120_000, 100, 3_600_000),
  /** Redirects followed, each re-checked against the SSRF guard. */
  DOWNLOAD_MAX_REDIRECTS: int(5, 0, 5),
  /** Hosts (`host[:port]`) trusted even on private addresses; with a port, that port only. */
  DOWNLOAD_ALLOW_HOSTS: list(),

  // ## Authentication
  /** `disabled` serves everyone as tenant `default` (logged as a warning). */
  AUTH_MODE: oneOf(['api_key', 'disabled'], 'api_key'),
  /** How long an `Idempotency-Key` is remembered. */
  IDEMPOTENCY_TTL_HOURS: int(24, 1, 24 * 30),

  // ## Media tools and limits
  /** The ffprobe program. */
  FFPROBE_PATH: text('ffprobe'),
  /** The ffmpeg program. */
  FFMPEG_PATH: text('ffmpeg'),
  /** Time limit of one ffprobe run. */
  PROBE_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  /** Time limit of one ffmpeg run. */
  FFMPEG_TIMEOUT_MS: int(600_000, 100, 6 * 3_600_000),
  /** pdftoppm, which renders scanned PDF pages for OCR. */
  PDFTOPPM_PATH: text('pdftoppm'),
  /** pdfimages (poppler), which lists and writes the pictures embedded in a PDF, for faces on its pages. */
  PDFIMAGES_PATH: text('pdfimages'),
  /** Pictures embedded in a PDF looked at for the people in them (with PEOPLE_RECOGNITION), at most: the first ones in page order; 0: none. */
  DOCUMENT_MAX_PICTURES: int(30, 0, 1_000),
  /** Longer audio or video fails with `MEDIA_TOO_LONG`. */
  MAX_MEDIA_DURATION_SECONDS: int(4 * 3600, 1, 48 * 3600),
  /** Larger images fail with `IMAGE_TOO_LARGE`, checked before decoding. */
  MAX_IMAGE_PIXELS: int(50_000_000, 1, 1_000_000_000),
  /** Longer PDFs fail with `DOCUMENT_TOO_LONG`. */
  MAX_DOCUMENT_PAGES: int(2_000, 1, 100_000),
  /** The local speech engine, used when `TRANSCRIPTION_PROVIDER` is `none`. */
  POCKETSPHINX_PATH: text('pocketsphinx_continuous'),
  /** Its English acoustic model, dictionary and language model. */
  POCKETSPHINX_MODEL_DIR: text('/usr/share/pocketsphinx/model/en-us'),
  /** Audio the local engine transcribes at most; the rest is marked truncated. */
  LOCAL_SPEECH_MAX_SECONDS: int(1_800, 0, 86_400),
  /** Time limit of the local engine per chunk (`SPEECH_ENGINE_FAILED` past it). */
  LOCAL_SPEECH_TIMEOUT_MS: int(300_000, 100, 3_600_000),
  /** Frames taken from a video (`options.frame_count` asks for exactly that many). */
  FRAME_COUNT: int(6, 1, 100),
  /** Frames a video may get when it shows more distinct scenes than FRAME_COUNT (one per scene, up to this). */
  FRAME_MAX_COUNT: int(20, 1, 100),
  /** Width of the extracted frames. */
  FRAME_WIDTH: int(640, 64, 3840),
  /** Contact sheet rows x columns (`options.contact_sheet_grid` overrides). */
  CONTACT_SHEET_GRID: text('2x3', { pattern: '^[1-9]\\d?x[1-9]\\d?$', hint: 'must look like 2x3 (rows x columns)' }),

  // ## Vision on the CPU
  // Models shipped in npm packages; see src/media/vision.
  /** Shot and cue detection (`options.shots` per request). */
  VISION_SHOTS: bool(true),
  /** Object detection, COCO labels (`options.objects`). */
  VISION_OBJECTS: bool(true),
  /** Face counts and boxes, no identity (`options.faces`). */
  VISION_FACES: bool(true),
  /** Moderation verdict (`options.moderation`). */
  VISION_MODERATION: bool(true),
  /**
   * How far a frame's `scdet` score (0-100) must rise above the highest score of the second
   * before it to start a new shot. Unset: the calibrated value (VISION_CALIBRATION.cutRise).
   */
  VISION_SCENE_THRESHOLD: Type.Optional(Type.Number({ minimum: 0.1, maximum: 100 })),
  /** Per-picture limit of the model host; past it the thread is replaced. */
  VISION_CALL_TIMEOUT_MS: int(60_000, 1000, 3_600_000),
  /** V8 heap ceiling of each model-host thread. */
  VISION_MAX_HEAP_MB: int(1024, 128, 16_384),
  /**
   * Model-host threads of a worker process: a video's frames are looked at side by side, one
   * per thread (the models' WebAssembly runtime keeps one core busy per thread). Each thread
   * holds its own copy of the models in resident memory (measured per extra host:
   * bench/results/vision.md). At most WORKER_CPU_BUDGET and the machine's cores are used.
   */
  VISION_MODEL_HOSTS: int(2, 1, 64),
  /**
   * Where human's models are read.
   * @default the models folder of the human package
   */
  VISION_MODELS_DIR: optional(),
  /**
   * Face recognition (people across the library, docs/people.md): describe faces with
   * faceres and group them into people. Off: faces are still detected and counted, but no
   * face description (biometric data) is computed or stored.
   */
  PEOPLE_RECOGNITION: bool(true),
  /**
   * With recognition on, a video's shots are also looked at for faces at least this often
   * (seconds), beside the frames: someone on screen for part of a long shot is seen. 0: only the frames.
   */
  PEOPLE_FRAME_SECONDS: int(5, 0, 3_600),
  /** Those extra moments per video, at most (the cadence widens to fit). */
  PEOPLE_MAX_FRAMES: int(60, 0, 1_000),
  /** The nsfwjs model: a bundled name or a `file://` model.json. */
  MODERATION_MODEL: text('MobileNetV2'),
  /** Porn + Hentai score (percent) from which a frame is `explicit`. */
  MODERATION_EXPLICIT_PERCENT: int(70, 1, 100),
  /**
   * Sexy score (percent) from which a frame is `suggestive` (bare skin must also cover the calibrated share of the people).
   */
  MODERATION_SUGGESTIVE_PERCENT: int(80, 1, 100),
  /** Contact sheet width in pixels. */
  CONTACT_SHEET_WIDTH: int(1920, 320, 7680),
  /** Contact sheet height in pixels. */
  CONTACT_SHEET_HEIGHT: int(1080, 240, 4320),

  // ## Model providers
  // Keys come from the environment only and are never logged.
  /**
   * OpenAI-compatible chat services to use, the first is the default: `openai`, `openrouter`, `minimax`, `novita`, `vllm`, `ollama`, `llamacpp` (`config.provider` picks one per request).
   */
  CHAT_PROVIDERS: list(),
  /** Default chat model (`config.model` overrides). */
  CHAT_MODEL: optional(),
  /** Time limit of one chat call. */
  CHAT_TIMEOUT_MS: int(120_000, 100, 3_600_000),
  /** Retries of a chat call: connect errors, 408/429 (honouring `Retry-After`), 5xx, unreadable JSON. */
  CHAT_MAX_RETRIES: int(3, 0, 10),
  /** Material budget of a prompt; what is cut is listed in `results.answer.notes`. */
  CHAT_CONTEXT_CHARS: int(48_000, 1_000, 4_000_000),
  /** Images sent with a prompt (contact sheet first, then frames). */
  CHAT_MAX_IMAGES: int(4, 0, 32),
  /** OpenAI key (chat and transcription). */
  OPENAI_API_KEY: secret(),
  /** OpenAI-compatible base URL instead of the preset one. */
  OPENAI_BASE_URL: optional(),
  /** OpenRouter key. */
  OPENROUTER_API_KEY: secret(),
  /** OpenRouter base URL instead of the preset one. */
  OPENROUTER_BASE_URL: optional(),
  /** MiniMax key. */
  MINIMAX_API_KEY: secret(),
  /** MiniMax base URL instead of the preset one. */
  MINIMAX_BASE_URL: optional(),
  /** Novita key. */
  NOVITA_API_KEY: secret(),
  /** Novita base URL instead of the preset one. */
  NOVITA_BASE_URL: optional(),
  /** Key of a vLLM server, when it asks for one. */
  VLLM_API_KEY: secret(),
  /** Base URL of a vLLM server. */
  VLLM_BASE_URL: optional(),
  /** Base URL of an Ollama server. */
  OLLAMA_BASE_URL: optional(),
  /** Base URL of a llama.cpp server. */
  LLAMACPP_BASE_URL: optional(),
  /** Speech to text at a provider; `none` transcribes locally with PocketSphinx. */
  TRANSCRIPTION_PROVIDER: oneOf(['none', 'deepgram', 'openai', 'groq', 'openai-compatible'], 'none'),
  /**
   * Transcription model.
   * @default nova-2 (deepgram), whisper-1 (openai), whisper-large-v3 (groq)
   */
  TRANSCRIPTION_MODEL: optional(),
  /** Base URL of an `openai-compatible` transcription server (whisper.cpp, faster-whisper, LocalAI). */
  TRANSCRIPTION_BASE_URL: optional(),
  /** Key of that server. */
  TRANSCRIPTION_API_KEY: secret(),
  /** Deepgram key. */
  DEEPGRAM_API_KEY: secret(),
  /** Deepgram base URL instead of the preset one. */
  DEEPGRAM_BASE_URL: optional(),
  /** Groq key. */
  GROQ_API_KEY: secret(),
  /** Groq base URL instead of the preset one. */
  GROQ_BASE_URL: optional(),
  /**
   * JSON price table per model, e.g. `{"gpt-4o-mini":{"input_per_1k":0.00015,"output_per_1k":0.0006},"whisper-1":{"per_minute":0.006}}`.
   */
  MODEL_PRICES: text('{}'),
  /** Consecutive failures that open a provider's circuit. */
  BREAKER_FAILURE_THRESHOLD: int(5, 1, 1000),
  /** How long an open circuit waits before it lets trial calls through. */
  BREAKER_RESET_MS: int(30_000, 10, 3_600_000),
  /** Trial calls of a half-open circuit; all must succeed to close it. */
  BREAKER_HALF_OPEN_TRIALS: int(3, 1, 100),

  // ## Reuse, retention and cleanup
  /** How old a completed twin may be for `options.reuse`. */
  REUSE_WINDOW_HOURS: int(24, 0, 24 * 365),
  /** Uploaded sources are deleted after this many days (0: kept). */
  RETENTION_UPLOADS_DAYS: int(7, 0, 3650),
  /** Extracted frames are deleted after this many days (0: kept). */
  RETENTION_FRAMES_DAYS: int(30, 0, 3650),
  /** Contact sheets are deleted after this many days (0: kept). */
  RETENTION_CONTACT_SHEETS_DAYS: int(30, 0, 3650),
  /** Temporary files are deleted after this many days (0: kept). */
  RETENTION_TEMP_DAYS: int(1, 0, 3650),
  /** Files of a soft-deleted analysis are removed after this long. */
  DELETED_FILES_GRACE_HOURS: int(24, 0, 24 * 365),
  /** Schedule of the cleanup job on the queue's cron (empty: off). */
  CLEANUP_CRON: text('*/15 * * * *'),
  /** Files in the store without a row (a killed worker's leftovers) are removed by the cleanup once this old. */
  STORAGE_ORPHAN_GRACE_MS: int(3_600_000, 60_000, 30 * 86_400_000),

  // ## Cache and limits
  /** Cache-aside for status, results and history (every change invalidates at once). */
  CACHE_ENABLED: bool(true),
  /** Requests per API key per window on every `/api/` route (0: off); 429 with `Retry-After`. */
  RATE_LIMIT_MAX: int(1200, 0, 10_000_000),
  /** The rate-limit window. */
  RATE_LIMIT_WINDOW_MS: int(60_000, 1000, 86_400_000),
  /** Analyses one tenant may have processing at once; more wait in `pending` (0: no cap). */
  TENANT_MAX_CONCURRENT: int(10, 0, 10_000),
  /** Requests with an unknown or revoked key one client address may make per rate-limit window (0 = no limit). */
  AUTH_FAILURE_LIMIT: int(30, 0, 1_000_000),
  /** Webhook endpoints one tenant may register. */
  WEBHOOK_MAX_ENDPOINTS: int(25, 1, 10_000),
  /** Event streams one tenant may hold open at once on one API process. */
  SSE_MAX_STREAMS_PER_TENANT: int(20, 1, 100_000),
  /**
   * Redis shared by the processes for the cache and rate-limit counters; without it, or while Redis fails, an in-process LRU serves.
   */
  REDIS_URL: secret({ pattern: '^rediss?://', hint: 'must start with redis:// or rediss://' }),
  /** Hosts (name or IP, optionally :port) webhooks may reach even on private addresses. */

  // ## Webhooks and event streams
  WEBHOOK_ALLOW_HOSTS: list(),
  /** A receiver must answer 2xx within this to count as delivered. */
  WEBHOOK_TIMEOUT_MS: int(15_000, 100, 120_000),
  /** Delays after each failed attempt, e.g. "5s,5m,30m,2h,5h,10h,14h" (empty: that default). */
  WEBHOOK_RETRY_SCHEDULE: text(''),
  /** Webhook sends at once per worker process. */
  WEBHOOK_CONCURRENCY: int(32, 1, 1000),
  /** Webhook sends at once per receiver. */
  WEBHOOK_ENDPOINT_CONCURRENCY: int(8, 1, 1000),
  /** An endpoint failing without a success this long is disabled (default 5 days). */
  WEBHOOK_DISABLE_AFTER_SECONDS: int(5 * 86_400, 1, 365 * 86_400),
  /** After a secret rotation the old secret keeps signing this long. */
  WEBHOOK_ROTATION_GRACE_SECONDS: int(86_400, 0, 30 * 86_400),
  /** How often the dispatcher looks for retries that came due (new deliveries wake it by NOTIFY). */
  WEBHOOK_POLL_INTERVAL_MS: int(1_000, 10, 600_000),
  /** Comment lines on idle event streams, so proxies keep them open. */
  SSE_HEARTBEAT_MS: int(15_000, 100, 600_000),

  // ## Cache lifetimes
  /** Lifetime of a cached status. */
  CACHE_STATUS_TTL_SECONDS: int(300, 1, 86_400),
  /** Lifetime of a cached completed result. */
  CACHE_RESULT_TTL_SECONDS: int(3600, 1, 86_400),
  /** Lifetime of a cached history page. */
  CACHE_HISTORY_TTL_SECONDS: int(60, 1, 86_400),

  // ## Scale-out
  // Object storage (credentials come from the AWS chain: environment, profiles, instance or pod roles; never logged), artifact delivery, the archive, and how the service treats its database role.
  /** `local` (files under `STORAGE_ROOT`) or `s3`. */
  STORAGE_DRIVER: oneOf(['local', 's3'], 'local'),
  /** Bucket of the `s3` driver. */
  S3_BUCKET: optional(),
  /** Key prefix: objects are `<prefix><area>/<day>/<analysis>/<file>`. */
  S3_PREFIX: text(''),
  /** Endpoint of a non-AWS store (MinIO, R2, GCS); usually with path style. */
  S3_ENDPOINT: optional({ pattern: '^https?://', hint: 'must be an http(s) URL' }),
  /** Region of the bucket. */
  S3_REGION: text('us-east-1'),
  /** Path-style addressing, which most non-AWS stores need. */
  S3_FORCE_PATH_STYLE: bool(false),
  /** Multipart upload part size; memory per upload is about part size x queue size. */
  S3_PART_SIZE_MB: int(8, 5, 512),
  /** Parts uploaded at once per upload. */
  S3_QUEUE_SIZE: int(2, 1, 16),
  /** Artifacts through the API with Range (`proxy`), or a 302 to a presigned URL (`redirect`; tenant checked first). */
  ARTIFACT_DELIVERY: oneOf(['proxy', 'redirect'], 'proxy'),
  /** Lifetime of a presigned artifact URL. */
  ARTIFACT_URL_TTL_SECONDS: int(300, 10, 7 * 86_400),
  /** Finished analyses older than this move to the month-partitioned archive (0: never). */
  ARCHIVE_AFTER_DAYS: int(90, 0, 36_500),
  /** `false` when migrations run as a separate step (the Kubernetes migrate Job). */
  MIGRATE_ON_BOOT: bool(true),
  /** Production refuses a superuser connection unless this is set. */
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
