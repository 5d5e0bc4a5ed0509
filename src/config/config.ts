/**
 * The one module that reads `process.env`. Every key is declared once in the TypeBox
 * schema in `env.schema.ts`; the environment is validated against it with Ajv at boot
 * (all bad keys are reported together, secrets never echoed) and returned as a frozen,
 * grouped object. Nothing else in the code base touches `process.env`.
 */
import path from 'node:path';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, parseSchedule } from '../domain/webhook/webhook.policy.ts';
import {
  ConfigError,
  deepFreeze,
  parsePrices,
  parseStageTimeLimits,
  readEnv,
  safeUrl,
  transcriptionConfig,
  validateDatabaseUrl,
  type RawEnv,
} from './config-parse.ts';

export { EnvSchema } from './env.schema.ts';

const MiB = 1024 * 1024;

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
      trustProxy: v.TRUST_PROXY,
    },
    log: { level: v.LOG_LEVEL },
    search: { warmAtStart: v.SEARCH_WARM_AT_START },
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
      /** A stored file with no row is a leftover (not one about to be registered) once older than this. */
      orphanGraceMs: v.STORAGE_ORPHAN_GRACE_MS,
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
    rateLimit: { max: v.RATE_LIMIT_MAX, windowMs: v.RATE_LIMIT_WINDOW_MS, authFailures: v.AUTH_FAILURE_LIMIT },
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
      maxEndpointsPerTenant: v.WEBHOOK_MAX_ENDPOINTS,
      pollIntervalMs: v.WEBHOOK_POLL_INTERVAL_MS,
      /** First bytes of a receiver's answer kept in the delivery log. */
      maxResponseBytes: 2048,
    },
    events: { heartbeatMs: v.SSE_HEARTBEAT_MS, maxStreamsPerTenant: v.SSE_MAX_STREAMS_PER_TENANT },
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
      pdfimagesPath: v.PDFIMAGES_PATH,
      documentMaxPictures: v.DOCUMENT_MAX_PICTURES,
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
      frameMaxCount: v.FRAME_MAX_COUNT,
      frameWidth: v.FRAME_WIDTH,
      contactSheet: { grid: v.CONTACT_SHEET_GRID, width: v.CONTACT_SHEET_WIDTH, height: v.CONTACT_SHEET_HEIGHT },
    },
    vision: {
      shots: v.VISION_SHOTS,
      objects: v.VISION_OBJECTS,
      faces: v.VISION_FACES,
      moderation: v.VISION_MODERATION,
      /** Unset: the shots stage uses the calibrated cut rise (VISION_CALIBRATION.cutRise). */
      sceneThreshold: v.VISION_SCENE_THRESHOLD,
      callTimeoutMs: v.VISION_CALL_TIMEOUT_MS,
      maxHeapMb: v.VISION_MAX_HEAP_MB,
      /** Model-host threads asked for (VISION_MODEL_HOSTS); `modelHostCount` bounds them by the CPU budget. */
      modelHosts: v.VISION_MODEL_HOSTS,
      humanModelsDir: v.VISION_MODELS_DIR,
      /** Describe faces and group them into people (PEOPLE_RECOGNITION). */
      recognizePeople: v.PEOPLE_RECOGNITION,
      /** Extra moments looked at for faces in each shot (PEOPLE_FRAME_SECONDS, PEOPLE_MAX_FRAMES). */
      peopleFrames: { everySeconds: v.PEOPLE_FRAME_SECONDS, max: v.PEOPLE_MAX_FRAMES },
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
