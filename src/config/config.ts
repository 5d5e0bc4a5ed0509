/**
 * The one module that reads `process.env`. Every key is declared once in `SPEC`,
 * validated at boot (all bad keys are reported together) and returned as a frozen,
 * grouped object. Nothing else in the code base touches `process.env`.
 */
import path from 'node:path';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, parseSchedule } from '../domain/webhook/webhook.policy.ts';

type Env = Record<string, string | undefined>;

interface IntSpec {
  kind: 'int';
  default: number;
  min: number;
  max: number;
}
interface StrSpec {
  kind: 'string';
  default: string | undefined;
  secret?: boolean;
}
interface BoolSpec {
  kind: 'bool';
  default: boolean;
}
interface EnumSpec<T extends string> {
  kind: 'enum';
  values: readonly T[];
  default: T;
}
interface ListSpec {
  kind: 'list';
  default: string[];
}
type Spec = IntSpec | StrSpec | BoolSpec | EnumSpec<string> | ListSpec;

const MiB = 1024 * 1024;

/** Every environment variable the service understands, with its default and bounds. */
export const SPEC = {
  NODE_ENV: { kind: 'enum', values: ['development', 'production', 'test'], default: 'development' },
  HOST: { kind: 'string', default: '127.0.0.1' },
  PORT: { kind: 'int', default: 3000, min: 0, max: 65535 },
  LOG_LEVEL: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
  DATA_DIR: { kind: 'string', default: './data' },

  DATABASE_URL: { kind: 'string', default: undefined, secret: true },
  DATABASE_POOL_MIN: { kind: 'int', default: 0, min: 0, max: 1000 },
  DATABASE_POOL_MAX: { kind: 'int', default: 10, min: 1, max: 1000 },
  DATABASE_CONNECT_TIMEOUT_MS: { kind: 'int', default: 5_000, min: 100, max: 600_000 },
  DATABASE_STATEMENT_TIMEOUT_MS: { kind: 'int', default: 30_000, min: 100, max: 3_600_000 },
  DATABASE_IDLE_TIMEOUT_MS: { kind: 'int', default: 30_000, min: 100, max: 3_600_000 },
  EMBEDDED_PG_PORT: { kind: 'int', default: 54329, min: 1, max: 65535 },
  /** In production, refuse a DATABASE_URL without sslmode=require|verify-ca|verify-full (default: on in production). */
  DATABASE_REQUIRE_TLS: { kind: 'enum', values: ['auto', 'true', 'false'], default: 'auto' },

  STORAGE_ROOT: { kind: 'string', default: '' },

  WORKER_IN_PROCESS: { kind: 'bool', default: true },
  WORKER_CONCURRENCY: { kind: 'int', default: 2, min: 1, max: 64 },
  WORKER_CPU_BUDGET: { kind: 'int', default: 2, min: 1, max: 256 },
  /** Per-stage hard time limits, `stage=ms` pairs (e.g. `answer=120000,frames=60000`); others keep their defaults. */
  STAGE_TIME_LIMITS: { kind: 'list', default: [] },
  /** A stage running this many times its learned expected duration is flagged stalled. */
  STAGE_STALL_FACTOR: { kind: 'int', default: 4, min: 2, max: 100 },
  /** Never flag a stage stalled before this long, whatever was learned. */
  STAGE_STALL_FLOOR_MS: { kind: 'int', default: 30_000, min: 10, max: 3_600_000 },
  WORKER_HEARTBEAT_INTERVAL_MS: { kind: 'int', default: 5_000, min: 100, max: 600_000 },
  WORKER_STALE_AFTER_MS: { kind: 'int', default: 30_000, min: 500, max: 3_600_000 },
  WORKER_POLL_INTERVAL_MS: { kind: 'int', default: 2_000, min: 50, max: 600_000 },
  JOB_MAX_ATTEMPTS: { kind: 'int', default: 5, min: 1, max: 25 },

  BODY_LIMIT_BYTES: { kind: 'int', default: 1 * MiB, min: 1024, max: 100 * MiB },
  /** Slow clients (slow-loris): a request's headers must arrive within this long. */
  HTTP_HEADERS_TIMEOUT_MS: { kind: 'int', default: 20_000, min: 100, max: 600_000 },
  /** Whole request (headers and body, uploads included) must arrive within this long. */
  HTTP_REQUEST_TIMEOUT_MS: { kind: 'int', default: 600_000, min: 100, max: 6 * 3_600_000 },
  /** A request body (an upload) that sends nothing for this long is cut off. */
  UPLOAD_IDLE_TIMEOUT_MS: { kind: 'int', default: 30_000, min: 100, max: 3_600_000 },
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  METRICS_TOKEN: { kind: 'string', default: undefined, secret: true },
  MAX_UPLOAD_BYTES: { kind: 'int', default: 512 * MiB, min: 1, max: 64 * 1024 * MiB },
  MAX_DOWNLOAD_BYTES: { kind: 'int', default: 512 * MiB, min: 1, max: 64 * 1024 * MiB },
  DOWNLOAD_TIMEOUT_MS: { kind: 'int', default: 120_000, min: 100, max: 3_600_000 },
  DOWNLOAD_MAX_REDIRECTS: { kind: 'int', default: 5, min: 0, max: 5 },
  DOWNLOAD_ALLOW_HOSTS: { kind: 'list', default: [] },

  AUTH_MODE: { kind: 'enum', values: ['api_key', 'disabled'], default: 'api_key' },
  IDEMPOTENCY_TTL_HOURS: { kind: 'int', default: 24, min: 1, max: 24 * 30 },

  FFPROBE_PATH: { kind: 'string', default: 'ffprobe' },
  FFMPEG_PATH: { kind: 'string', default: 'ffmpeg' },
  PROBE_TIMEOUT_MS: { kind: 'int', default: 30_000, min: 100, max: 3_600_000 },
  FFMPEG_TIMEOUT_MS: { kind: 'int', default: 600_000, min: 100, max: 6 * 3_600_000 },
  PDFTOPPM_PATH: { kind: 'string', default: 'pdftoppm' },
  MAX_MEDIA_DURATION_SECONDS: { kind: 'int', default: 4 * 3600, min: 1, max: 48 * 3600 },
  MAX_IMAGE_PIXELS: { kind: 'int', default: 50_000_000, min: 1, max: 1_000_000_000 },
  MAX_DOCUMENT_PAGES: { kind: 'int', default: 2_000, min: 1, max: 100_000 },
  POCKETSPHINX_PATH: { kind: 'string', default: 'pocketsphinx_continuous' },
  POCKETSPHINX_MODEL_DIR: { kind: 'string', default: '/usr/share/pocketsphinx/model/en-us' },
  LOCAL_SPEECH_MAX_SECONDS: { kind: 'int', default: 1_800, min: 0, max: 86_400 },
  LOCAL_SPEECH_TIMEOUT_MS: { kind: 'int', default: 300_000, min: 100, max: 3_600_000 },
  FRAME_COUNT: { kind: 'int', default: 6, min: 1, max: 100 },
  FRAME_WIDTH: { kind: 'int', default: 640, min: 64, max: 3840 },
  CONTACT_SHEET_GRID: { kind: 'string', default: '2x3' },
  // On-CPU vision (models shipped in npm packages; see src/media/vision).
  VISION_SHOTS: { kind: 'bool', default: true },
  VISION_OBJECTS: { kind: 'bool', default: true },
  VISION_FACES: { kind: 'bool', default: true },
  VISION_MODERATION: { kind: 'bool', default: true },
  VISION_SCENE_THRESHOLD: { kind: 'int', default: 10, min: 1, max: 100 },
  VISION_CALL_TIMEOUT_MS: { kind: 'int', default: 60_000, min: 1000, max: 3_600_000 },
  VISION_MAX_HEAP_MB: { kind: 'int', default: 1024, min: 128, max: 16_384 },
  VISION_MODELS_DIR: { kind: 'string', default: undefined },
  MODERATION_MODEL: { kind: 'string', default: 'MobileNetV2' },
  MODERATION_EXPLICIT_PERCENT: { kind: 'int', default: 70, min: 1, max: 100 },
  MODERATION_SUGGESTIVE_PERCENT: { kind: 'int', default: 80, min: 1, max: 100 },
  CONTACT_SHEET_WIDTH: { kind: 'int', default: 1920, min: 320, max: 7680 },
  CONTACT_SHEET_HEIGHT: { kind: 'int', default: 1080, min: 240, max: 4320 },

  CHAT_PROVIDERS: { kind: 'list', default: [] },
  CHAT_MODEL: { kind: 'string', default: undefined },
  CHAT_TIMEOUT_MS: { kind: 'int', default: 120_000, min: 100, max: 3_600_000 },
  CHAT_MAX_RETRIES: { kind: 'int', default: 3, min: 0, max: 10 },
  CHAT_CONTEXT_CHARS: { kind: 'int', default: 48_000, min: 1_000, max: 4_000_000 },
  CHAT_MAX_IMAGES: { kind: 'int', default: 4, min: 0, max: 32 },
  OPENAI_API_KEY: { kind: 'string', default: undefined, secret: true },
  OPENAI_BASE_URL: { kind: 'string', default: undefined },
  OPENROUTER_API_KEY: { kind: 'string', default: undefined, secret: true },
  OPENROUTER_BASE_URL: { kind: 'string', default: undefined },
  MINIMAX_API_KEY: { kind: 'string', default: undefined, secret: true },
  MINIMAX_BASE_URL: { kind: 'string', default: undefined },
  NOVITA_API_KEY: { kind: 'string', default: undefined, secret: true },
  NOVITA_BASE_URL: { kind: 'string', default: undefined },
  VLLM_API_KEY: { kind: 'string', default: undefined, secret: true },
  VLLM_BASE_URL: { kind: 'string', default: undefined },
  OLLAMA_BASE_URL: { kind: 'string', default: undefined },
  LLAMACPP_BASE_URL: { kind: 'string', default: undefined },
  TRANSCRIPTION_PROVIDER: {
    kind: 'enum',
    values: ['none', 'deepgram', 'openai', 'groq', 'openai-compatible'],
    default: 'none',
  },
  TRANSCRIPTION_MODEL: { kind: 'string', default: undefined },
  TRANSCRIPTION_BASE_URL: { kind: 'string', default: undefined },
  TRANSCRIPTION_API_KEY: { kind: 'string', default: undefined, secret: true },
  DEEPGRAM_API_KEY: { kind: 'string', default: undefined, secret: true },
  DEEPGRAM_BASE_URL: { kind: 'string', default: undefined },
  GROQ_API_KEY: { kind: 'string', default: undefined, secret: true },
  GROQ_BASE_URL: { kind: 'string', default: undefined },
  MODEL_PRICES: { kind: 'string', default: '{}' },
  BREAKER_FAILURE_THRESHOLD: { kind: 'int', default: 5, min: 1, max: 1000 },
  BREAKER_RESET_MS: { kind: 'int', default: 30_000, min: 10, max: 3_600_000 },
  BREAKER_HALF_OPEN_TRIALS: { kind: 'int', default: 3, min: 1, max: 100 },
  REUSE_WINDOW_HOURS: { kind: 'int', default: 24, min: 0, max: 24 * 365 },
  RETENTION_UPLOADS_DAYS: { kind: 'int', default: 7, min: 0, max: 3650 },
  RETENTION_FRAMES_DAYS: { kind: 'int', default: 30, min: 0, max: 3650 },
  RETENTION_CONTACT_SHEETS_DAYS: { kind: 'int', default: 30, min: 0, max: 3650 },
  RETENTION_TEMP_DAYS: { kind: 'int', default: 1, min: 0, max: 3650 },
  DELETED_FILES_GRACE_HOURS: { kind: 'int', default: 24, min: 0, max: 24 * 365 },
  CLEANUP_CRON: { kind: 'string', default: '*/15 * * * *' },
  CACHE_ENABLED: { kind: 'bool', default: true },
  RATE_LIMIT_MAX: { kind: 'int', default: 1200, min: 0, max: 10_000_000 },
  RATE_LIMIT_WINDOW_MS: { kind: 'int', default: 60_000, min: 1000, max: 86_400_000 },
  TENANT_MAX_CONCURRENT: { kind: 'int', default: 10, min: 0, max: 10_000 },
  REDIS_URL: { kind: 'string', default: undefined, secret: true },
  /** Hosts (name or IP, optionally :port) webhooks may reach even on private addresses. */
  WEBHOOK_ALLOW_HOSTS: { kind: 'list', default: [] },
  /** A receiver must answer 2xx within this to count as delivered. */
  WEBHOOK_TIMEOUT_MS: { kind: 'int', default: 15_000, min: 100, max: 120_000 },
  /** Delays after each failed attempt, e.g. "5s,5m,30m,2h,5h,10h,14h" (empty: that default). */
  WEBHOOK_RETRY_SCHEDULE: { kind: 'string', default: '' },
  WEBHOOK_CONCURRENCY: { kind: 'int', default: 32, min: 1, max: 1000 },
  WEBHOOK_ENDPOINT_CONCURRENCY: { kind: 'int', default: 8, min: 1, max: 1000 },
  /** An endpoint failing without a success this long is disabled (default 5 days). */
  WEBHOOK_DISABLE_AFTER_SECONDS: { kind: 'int', default: 5 * 86_400, min: 1, max: 365 * 86_400 },
  WEBHOOK_ROTATION_GRACE_SECONDS: { kind: 'int', default: 86_400, min: 0, max: 30 * 86_400 },
  WEBHOOK_POLL_INTERVAL_MS: { kind: 'int', default: 1_000, min: 10, max: 600_000 },
  /** Comment lines on idle event streams, so proxies keep them open. */
  SSE_HEARTBEAT_MS: { kind: 'int', default: 15_000, min: 100, max: 600_000 },
  CACHE_STATUS_TTL_SECONDS: { kind: 'int', default: 300, min: 1, max: 86_400 },
  CACHE_RESULT_TTL_SECONDS: { kind: 'int', default: 3600, min: 1, max: 86_400 },
  CACHE_HISTORY_TTL_SECONDS: { kind: 'int', default: 60, min: 1, max: 86_400 },
  // Scale-out: object storage (credentials come from the AWS chain, never from here),
  // artifact delivery, the archive, and how the service treats its database role.
  STORAGE_DRIVER: { kind: 'enum', values: ['local', 's3'], default: 'local' },
  S3_BUCKET: { kind: 'string', default: undefined },
  S3_PREFIX: { kind: 'string', default: '' },
  S3_ENDPOINT: { kind: 'string', default: undefined },
  S3_REGION: { kind: 'string', default: 'us-east-1' },
  S3_FORCE_PATH_STYLE: { kind: 'bool', default: false },
  S3_PART_SIZE_MB: { kind: 'int', default: 8, min: 5, max: 512 },
  S3_QUEUE_SIZE: { kind: 'int', default: 2, min: 1, max: 16 },
  ARTIFACT_DELIVERY: { kind: 'enum', values: ['proxy', 'redirect'], default: 'proxy' },
  ARTIFACT_URL_TTL_SECONDS: { kind: 'int', default: 300, min: 10, max: 7 * 86_400 },
  ARCHIVE_AFTER_DAYS: { kind: 'int', default: 90, min: 0, max: 36_500 },
  MIGRATE_ON_BOOT: { kind: 'bool', default: true },
  DATABASE_ALLOW_SUPERUSER: { kind: 'bool', default: false },
} as const satisfies Record<string, Spec>;

type SpecKey = keyof typeof SPEC;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function parseValue(key: string, spec: Spec, raw: string | undefined, problems: string[]): unknown {
  if (raw === undefined || raw === '') return spec.default;
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) {
        problems.push(`${key}: expected an integer, got "${raw}"`);
        return spec.default;
      }
      const n = Number(raw);
      if (n < spec.min || n > spec.max) problems.push(`${key}: must be between ${spec.min} and ${spec.max}, got ${n}`);
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      problems.push(`${key}: expected true/false, got "${raw}"`);
      return spec.default;
    }
    case 'enum':
      if (!spec.values.includes(raw)) problems.push(`${key}: must be one of ${spec.values.join('|')}, got "${raw}"`);
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'string':
      return raw;
  }
}

function validateDatabaseUrl(url: string | undefined, problems: string[]): void {
  if (url === undefined) return;
  try {
    const u = new URL(url);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
      problems.push('DATABASE_URL: must use postgres:// or postgresql://');
  } catch {
    problems.push('DATABASE_URL: not a valid URL');
  }
}

function safeUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** `frames=60000,answer=120000` → { frames: 60000, answer: 120000 }. */
function parseStageTimeLimits(items: string[], problems: string[]): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const m = /^([a-z][a-z0-9_]*)=(\d+)$/.exec(item);
    const ms = m ? Number(m[2]) : NaN;
    if (!m || ms < 100 || ms > 86_400_000)
      problems.push(`STAGE_TIME_LIMITS: "${item}" must be stage=milliseconds (100 to 86400000)`);
    else out[m[1]!] = ms;
  }
  return Object.freeze(out);
}

/** Replace the password (and user info) of a connection string so it can be logged. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Build the validated, frozen configuration from an environment (defaults to `process.env`). */
export function loadConfig(env: Env = process.env) {
  const problems: string[] = [];
  const raw = {} as Record<SpecKey, unknown>;
  for (const key of Object.keys(SPEC) as SpecKey[]) raw[key] = parseValue(key, SPEC[key], env[key], problems);
  const v = raw as {
    [K in SpecKey]: (typeof SPEC)[K] extends IntSpec
      ? number
      : (typeof SPEC)[K] extends BoolSpec
        ? boolean
        : (typeof SPEC)[K] extends ListSpec
          ? string[]
          : (typeof SPEC)[K] extends EnumSpec<infer T>
            ? T
            : (typeof SPEC)[K] extends { default: undefined }
              ? string | undefined
              : string;
  };
  validateDatabaseUrl(v.DATABASE_URL, problems);
  if (v.REDIS_URL && !/^rediss?:\/\//.test(v.REDIS_URL))
    problems.push('REDIS_URL: must start with redis:// or rediss://');
  const requireTls =
    v.DATABASE_REQUIRE_TLS === 'true' || (v.DATABASE_REQUIRE_TLS === 'auto' && v.NODE_ENV === 'production');
  if (requireTls && v.DATABASE_URL) {
    const mode = safeUrl(v.DATABASE_URL)?.searchParams.get('sslmode');
    if (!mode || !['require', 'verify-ca', 'verify-full'].includes(mode)) {
      problems.push(
        'DATABASE_URL: production refuses connections without TLS; add ?sslmode=verify-full (or require), or set DATABASE_REQUIRE_TLS=false',
      );
    }
  }
  if (v.DATABASE_POOL_MIN > v.DATABASE_POOL_MAX) problems.push('DATABASE_POOL_MIN: must not exceed DATABASE_POOL_MAX');
  if (v.WORKER_STALE_AFTER_MS <= v.WORKER_HEARTBEAT_INTERVAL_MS) {
    problems.push('WORKER_STALE_AFTER_MS: must be larger than WORKER_HEARTBEAT_INTERVAL_MS');
  }
  if (!/^[1-9]\d?x[1-9]\d?$/.test(v.CONTACT_SHEET_GRID))
    problems.push(`CONTACT_SHEET_GRID: must look like 2x3 (rows x columns), got "${v.CONTACT_SHEET_GRID}"`);
  const prices = parsePrices(v.MODEL_PRICES, problems);
  const stageTimeLimits = parseStageTimeLimits(v.STAGE_TIME_LIMITS, problems);
  const chatProviders = v.CHAT_PROVIDERS.map((name) => {
    const preset = CHAT_PRESETS[name as ChatPresetName];
    if (!preset) {
      problems.push(`CHAT_PROVIDERS: unknown provider "${name}" (known: ${Object.keys(CHAT_PRESETS).join(', ')})`);
      return null;
    }
    const env = v as unknown as Record<string, string | undefined>;
    const baseUrl = env[`${preset.envPrefix}_BASE_URL`] ?? preset.baseUrl;
    const apiKey =
      preset.keyRequired || env[`${preset.envPrefix}_API_KEY`] ? env[`${preset.envPrefix}_API_KEY`] : undefined;
    if (preset.keyRequired && !apiKey)
      problems.push(`${preset.envPrefix}_API_KEY: required when CHAT_PROVIDERS lists ${name}`);
    if (!/^https?:\/\//.test(baseUrl)) problems.push(`${preset.envPrefix}_BASE_URL: must be an http(s) URL`);
    return { name, baseUrl: baseUrl.replace(/\/+$/, ''), apiKey };
  }).filter((p): p is { name: string; baseUrl: string; apiKey: string | undefined } => p !== null);
  const transcription = transcriptionConfig(v, problems);
  if (v.STORAGE_DRIVER === 's3' && !v.S3_BUCKET) problems.push('S3_BUCKET: required when STORAGE_DRIVER=s3');
  if (v.S3_ENDPOINT && !/^https?:\/\//.test(v.S3_ENDPOINT)) problems.push('S3_ENDPOINT: must be an http(s) URL');
  let webhookSchedule: number[] = [...DEFAULT_RETRY_SCHEDULE_SECONDS];
  if (v.WEBHOOK_RETRY_SCHEDULE) {
    try {
      webhookSchedule = parseSchedule(v.WEBHOOK_RETRY_SCHEDULE);
    } catch (err) {
      problems.push(`WEBHOOK_RETRY_SCHEDULE: ${(err as Error).message}`);
    }
  }
  if (v.HTTP_HEADERS_TIMEOUT_MS > v.HTTP_REQUEST_TIMEOUT_MS)
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(v.DATA_DIR);
  const config = {
    env: v.NODE_ENV,
    http: {
      host: v.HOST,
      port: v.PORT,
      bodyLimitBytes: v.BODY_LIMIT_BYTES,
      headersTimeoutMs: v.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: v.HTTP_REQUEST_TIMEOUT_MS,
      uploadIdleTimeoutMs: v.UPLOAD_IDLE_TIMEOUT_MS,
      metricsToken: v.METRICS_TOKEN,
    },
    log: { level: v.LOG_LEVEL },
    dataDir,
    database: {
      url: v.DATABASE_URL,
      poolMin: v.DATABASE_POOL_MIN,
      poolMax: v.DATABASE_POOL_MAX,
      connectTimeoutMs: v.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: v.DATABASE_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: v.DATABASE_IDLE_TIMEOUT_MS,
      embeddedPort: v.EMBEDDED_PG_PORT,
    },
    storage: {
      root: v.STORAGE_ROOT ? path.resolve(v.STORAGE_ROOT) : path.join(dataDir, 'storage'),
      /** Days per area; outputs are kept until the analysis is deleted. */
      retentionDays: {
        uploads: v.RETENTION_UPLOADS_DAYS,
        frames: v.RETENTION_FRAMES_DAYS,
        'contact-sheets': v.RETENTION_CONTACT_SHEETS_DAYS,
        temp: v.RETENTION_TEMP_DAYS,
        outputs: null,
      },
      deletedGraceHours: v.DELETED_FILES_GRACE_HOURS,
      cleanupCron: v.CLEANUP_CRON,
      driver: v.STORAGE_DRIVER,
      s3: v.S3_BUCKET
        ? {
            bucket: v.S3_BUCKET,
            prefix: v.S3_PREFIX,
            endpoint: v.S3_ENDPOINT ?? null,
            region: v.S3_REGION,
            forcePathStyle: v.S3_FORCE_PATH_STYLE,
            partSizeBytes: v.S3_PART_SIZE_MB * MiB,
            queueSize: v.S3_QUEUE_SIZE,
          }
        : null,
      /** proxy: bytes through the API (Range); redirect: a presigned URL (S3 driver only). */
      artifactDelivery: v.ARTIFACT_DELIVERY,
      artifactUrlTtlSeconds: v.ARTIFACT_URL_TTL_SECONDS,
      /** Finished analyses older than this move to the archive (0: never). */
      archiveAfterDays: v.ARCHIVE_AFTER_DAYS,
    },
    operations: {
      /** False when a separate step (the Kubernetes migrate Job) applies migrations as the schema owner. */
      migrateOnBoot: v.MIGRATE_ON_BOOT,
      /** Production refuses to run as a PostgreSQL superuser unless this is set. */
      allowSuperuser: v.DATABASE_ALLOW_SUPERUSER,
    },
    worker: {
      inProcess: v.WORKER_IN_PROCESS,
      concurrency: v.WORKER_CONCURRENCY,
      /** CPU cores the stages of all this worker's analyses may keep busy at once. */
      cpuBudget: v.WORKER_CPU_BUDGET,
      heartbeatIntervalMs: v.WORKER_HEARTBEAT_INTERVAL_MS,
      staleAfterMs: v.WORKER_STALE_AFTER_MS,
      pollIntervalMs: v.WORKER_POLL_INTERVAL_MS,
      maxAttempts: v.JOB_MAX_ATTEMPTS,
      /** Analyses one tenant may have processing at once; more wait in pending (0 = no cap). */
      tenantMaxConcurrent: v.TENANT_MAX_CONCURRENT,
    },
    stages: {
      /** Hard limits (ms) by stage name, overriding the defaults in pipeline/stage-limits.ts. */
      timeLimitsMs: stageTimeLimits,
      stallFactor: v.STAGE_STALL_FACTOR,
      stallFloorMs: v.STAGE_STALL_FLOOR_MS,
    },
    limits: {
      maxUploadBytes: v.MAX_UPLOAD_BYTES,
      maxDownloadBytes: v.MAX_DOWNLOAD_BYTES,
      downloadTimeoutMs: v.DOWNLOAD_TIMEOUT_MS,
      downloadMaxRedirects: v.DOWNLOAD_MAX_REDIRECTS,
      downloadAllowHosts: v.DOWNLOAD_ALLOW_HOSTS,
    },
    auth: { mode: v.AUTH_MODE, idempotencyTtlHours: v.IDEMPOTENCY_TTL_HOURS },
    rateLimit: { max: v.RATE_LIMIT_MAX, windowMs: v.RATE_LIMIT_WINDOW_MS },
    cache: {
      enabled: v.CACHE_ENABLED,
      redisUrl: v.REDIS_URL,
      statusTtl: v.CACHE_STATUS_TTL_SECONDS,
      resultTtl: v.CACHE_RESULT_TTL_SECONDS,
      historyTtl: v.CACHE_HISTORY_TTL_SECONDS,
    },
    webhooks: {
      allowHosts: v.WEBHOOK_ALLOW_HOSTS,
      timeoutMs: v.WEBHOOK_TIMEOUT_MS,
      scheduleSeconds: webhookSchedule,
      concurrency: v.WEBHOOK_CONCURRENCY,
      perEndpoint: v.WEBHOOK_ENDPOINT_CONCURRENCY,
      disableAfterSeconds: v.WEBHOOK_DISABLE_AFTER_SECONDS,
      rotationGraceSeconds: v.WEBHOOK_ROTATION_GRACE_SECONDS,
      pollIntervalMs: v.WEBHOOK_POLL_INTERVAL_MS,
      /** First bytes of a receiver's answer kept in the delivery log. */
      maxResponseBytes: 2048,
    },
    events: { heartbeatMs: v.SSE_HEARTBEAT_MS },
    providers: {
      chat: chatProviders,
      chatModel: v.CHAT_MODEL,
      timeoutMs: v.CHAT_TIMEOUT_MS,
      maxRetries: v.CHAT_MAX_RETRIES,
      contextChars: v.CHAT_CONTEXT_CHARS,
      maxImages: v.CHAT_MAX_IMAGES,
      transcription,
      prices,
      breaker: {
        failureThreshold: v.BREAKER_FAILURE_THRESHOLD,
        resetMs: v.BREAKER_RESET_MS,
        halfOpenTrials: v.BREAKER_HALF_OPEN_TRIALS,
      },
      reuseWindowHours: v.REUSE_WINDOW_HOURS,
    },
    media: {
      ffprobePath: v.FFPROBE_PATH,
      ffmpegPath: v.FFMPEG_PATH,
      pdftoppmPath: v.PDFTOPPM_PATH,
      probeTimeoutMs: v.PROBE_TIMEOUT_MS,
      ffmpegTimeoutMs: v.FFMPEG_TIMEOUT_MS,
      maxDurationSeconds: v.MAX_MEDIA_DURATION_SECONDS,
      maxImagePixels: v.MAX_IMAGE_PIXELS,
      maxDocumentPages: v.MAX_DOCUMENT_PAGES,
      localSpeech: {
        binary: v.POCKETSPHINX_PATH as string,
        modelDir: v.POCKETSPHINX_MODEL_DIR as string,
        maxSeconds: v.LOCAL_SPEECH_MAX_SECONDS as number,
        timeoutMs: v.LOCAL_SPEECH_TIMEOUT_MS as number,
      },
      frameCount: v.FRAME_COUNT,
      frameWidth: v.FRAME_WIDTH,
      contactSheet: { grid: v.CONTACT_SHEET_GRID, width: v.CONTACT_SHEET_WIDTH, height: v.CONTACT_SHEET_HEIGHT },
    },
    vision: {
      shots: v.VISION_SHOTS,
      objects: v.VISION_OBJECTS,
      faces: v.VISION_FACES,
      moderation: v.VISION_MODERATION,
      sceneThreshold: v.VISION_SCENE_THRESHOLD,
      callTimeoutMs: v.VISION_CALL_TIMEOUT_MS,
      maxHeapMb: v.VISION_MAX_HEAP_MB,
      humanModelsDir: v.VISION_MODELS_DIR,
      moderationModel: v.MODERATION_MODEL,
      moderationThresholds: {
        explicit: v.MODERATION_EXPLICIT_PERCENT / 100,
        suggestive: v.MODERATION_SUGGESTIVE_PERCENT / 100,
      },
    },
  };
  return deepFreeze(config);
}

export type AppConfig = ReturnType<typeof loadConfig>;

/** OpenAI-compatible chat services, by the name used in CHAT_PROVIDERS and config.provider. */
export const CHAT_PRESETS = {
  openai: { envPrefix: 'OPENAI', baseUrl: 'https://api.openai.com/v1', keyRequired: true },
  openrouter: { envPrefix: 'OPENROUTER', baseUrl: 'https://openrouter.ai/api/v1', keyRequired: true },
  minimax: { envPrefix: 'MINIMAX', baseUrl: 'https://api.minimax.io/v1', keyRequired: true },
  novita: { envPrefix: 'NOVITA', baseUrl: 'https://api.novita.ai/v3/openai', keyRequired: true },
  vllm: { envPrefix: 'VLLM', baseUrl: 'http://127.0.0.1:8000/v1', keyRequired: false },
  ollama: { envPrefix: 'OLLAMA', baseUrl: 'http://127.0.0.1:11434/v1', keyRequired: false },
  llamacpp: { envPrefix: 'LLAMACPP', baseUrl: 'http://127.0.0.1:8080/v1', keyRequired: false },
} as const;
export type ChatPresetName = keyof typeof CHAT_PRESETS;

export interface ModelPrice {
  /** USD per 1,000 input tokens. */
  input_per_1k?: number;
  /** USD per 1,000 output tokens. */
  output_per_1k?: number;
  /** USD per audio minute (transcription). */
  per_minute?: number;
}

function parsePrices(raw: string, problems: string[]): Record<string, ModelPrice> {
  try {
    const v = JSON.parse(raw) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    for (const [model, price] of Object.entries(v as Record<string, unknown>)) {
      if (!price || typeof price !== 'object') throw new Error(`${model}: not an object`);
      for (const [k, n] of Object.entries(price)) {
        if (!['input_per_1k', 'output_per_1k', 'per_minute'].includes(k) || typeof n !== 'number' || n < 0)
          throw new Error(`${model}.${k}: not a known non-negative price`);
      }
    }
    return v as Record<string, ModelPrice>;
  } catch (err) {
    problems.push(
      `MODEL_PRICES: must be JSON like {"gpt-4o-mini":{"input_per_1k":0.00015,"output_per_1k":0.0006}} (${(err as Error).message})`,
    );
    return {};
  }
}

function transcriptionConfig(v: Record<string, unknown>, problems: string[]) {
  const kind = v.TRANSCRIPTION_PROVIDER as 'none' | 'deepgram' | 'openai' | 'groq' | 'openai-compatible';
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const pick = (base: string | undefined, key: string | undefined, model: string) => ({
    baseUrl: (base ?? '').replace(/\/+$/, ''),
    apiKey: key,
    model: str('TRANSCRIPTION_MODEL') ?? model,
  });
  switch (kind) {
    case 'none':
      return null;
    case 'deepgram':
      if (!str('DEEPGRAM_API_KEY')) problems.push('DEEPGRAM_API_KEY: required when TRANSCRIPTION_PROVIDER=deepgram');
      return {
        kind,
        name: 'deepgram',
        ...pick(str('DEEPGRAM_BASE_URL') ?? 'https://api.deepgram.com', str('DEEPGRAM_API_KEY'), 'nova-2'),
      };
    case 'openai':
      if (!str('OPENAI_API_KEY')) problems.push('OPENAI_API_KEY: required when TRANSCRIPTION_PROVIDER=openai');
      return {
        kind,
        name: 'openai',
        ...pick(str('OPENAI_BASE_URL') ?? 'https://api.openai.com/v1', str('OPENAI_API_KEY'), 'whisper-1'),
      };
    case 'groq':
      if (!str('GROQ_API_KEY')) problems.push('GROQ_API_KEY: required when TRANSCRIPTION_PROVIDER=groq');
      return {
        kind,
        name: 'groq',
        ...pick(str('GROQ_BASE_URL') ?? 'https://api.groq.com/openai/v1', str('GROQ_API_KEY'), 'whisper-large-v3'),
      };
    case 'openai-compatible':
      if (!str('TRANSCRIPTION_BASE_URL'))
        problems.push('TRANSCRIPTION_BASE_URL: required when TRANSCRIPTION_PROVIDER=openai-compatible');
      return {
        kind,
        name: 'openai-compatible',
        ...pick(str('TRANSCRIPTION_BASE_URL'), str('TRANSCRIPTION_API_KEY'), 'whisper-1'),
      };
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const value of Object.values(o)) deepFreeze(value);
    Object.freeze(o);
  }
  return o;
}
