/**
 * The one module that reads `process.env`. Every key is declared once in the TypeBox
 * schema in `env.schema.ts`; the environment is validated against it with Ajv at boot
 * (all bad keys are reported together, secrets never echoed) and returned as a frozen,
 * grouped object. Nothing else in the code base touches `process.env`.
 */
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, parseSchedule } from '../domain/webhook/webhook.policy.ts';
import { EnvSchema, keySchema, type Env } from './env.schema.ts';

export { EnvSchema } from './env.schema.ts';

type RawEnv = Record<string, string | undefined>;

const MiB = 1024 * 1024;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
ajv.addKeyword({ keyword: 'hint', schemaType: 'string' });
const validateEnv = ajv.compile<Env>(EnvSchema);

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

/**
 * Environment strings → the schema's types, where they read as such; anything else is
 * left as the string for Ajv to reject. Unset and empty keys are left out (defaults).
 */
function coerce(env: RawEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const raw = env[key];
    if (raw === undefined || raw === '') continue;
    const word = raw.trim().toLowerCase();
    switch (keySchema(key)?.type) {
      case 'integer':
        out[key] = /^-?\d+$/.test(word) ? Number(word) : raw;
        break;
      case 'boolean':
        out[key] = TRUE_WORDS.includes(word) ? true : FALSE_WORDS.includes(word) ? false : raw;
        break;
      case 'array':
        out[key] = raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
        break;
      default:
        out[key] = raw;
    }
  }
  return out;
}

/** One line per Ajv error, in the words the old parser used; a secret's value is never shown. */
function describe(error: ErrorObject, input: Record<string, unknown>): string {
  const key = error.instancePath.slice(1) || String(error.params.missingProperty ?? '');
  const schema = keySchema(key);
  const got = schema?.secret ? '' : `, got "${String(input[key])}"`;
  switch (error.keyword) {
    case 'type':
      return `${key}: expected ${schema?.type === 'boolean' ? 'true/false' : `an ${String(error.params.type)}`}${got}`;
    case 'minimum':
    case 'maximum':
      return `${key}: must be between ${String(schema?.minimum)} and ${String(schema?.maximum)}${got.replace(/"/g, '')}`;
    case 'enum':
      return `${key}: must be one of ${(schema?.enum ?? []).join('|')}${got}`;
    case 'pattern':
      return `${key}: ${schema?.hint ?? `must match ${String(error.params.pattern)}`}${got}`;
    default:
      return `${key}: ${error.message ?? 'is invalid'}`;
  }
}

/** The environment validated against the schema, with defaults filled in; problems are collected. */
function readEnv(env: RawEnv, problems: string[]): Env {
  const input = coerce(env);
  const values = structuredClone(input);
  if (!validateEnv(values)) {
    for (const error of validateEnv.errors ?? []) problems.push(describe(error, input));
    // Report every problem, then fall back to the defaults for the bad keys so the
    // cross-key checks below still run on sensible values.
    const defaults: Record<string, unknown> = {};
    validateEnv(defaults);
    const bad = new Set((validateEnv.errors ?? []).map((e) => e.instancePath.slice(1)));
    for (const key of Object.keys(values)) if (!bad.has(key)) defaults[key] = values[key];
    return defaults as Env;
  }
  return values;
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
export function loadConfig(env: RawEnv = process.env) {
  const problems: string[] = [];
  const v = readEnv(env, problems);
  validateDatabaseUrl(v.DATABASE_URL, problems);
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
  if (v.HTTP_HEADERS_TIMEOUT_MS > v.HTTP_REQUEST_TIMEOUT_MS)
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  if (v.DATABASE_POOL_MIN > v.DATABASE_POOL_MAX) problems.push('DATABASE_POOL_MIN: must not exceed DATABASE_POOL_MAX');
  if (v.WORKER_STALE_AFTER_MS <= v.WORKER_HEARTBEAT_INTERVAL_MS) {
    problems.push('WORKER_STALE_AFTER_MS: must be larger than WORKER_HEARTBEAT_INTERVAL_MS');
  }
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
  let webhookSchedule: number[] = [...DEFAULT_RETRY_SCHEDULE_SECONDS];
  if (v.WEBHOOK_RETRY_SCHEDULE) {
    try {
      webhookSchedule = parseSchedule(v.WEBHOOK_RETRY_SCHEDULE);
    } catch (err) {
      problems.push(`WEBHOOK_RETRY_SCHEDULE: ${(err as Error).message}`);
    }
  }
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
      /** SIGTERM: how long running jobs may go on before their analyses go back to pending. */
      drainTimeoutMs: v.WORKER_DRAIN_TIMEOUT_MS,
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
        binary: v.POCKETSPHINX_PATH,
        modelDir: v.POCKETSPHINX_MODEL_DIR,
        maxSeconds: v.LOCAL_SPEECH_MAX_SECONDS,
        timeoutMs: v.LOCAL_SPEECH_TIMEOUT_MS,
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
