/**
 * The one module that reads `process.env`. Every key is declared once in `SPEC`,
 * validated at boot (all bad keys are reported together) and returned as a frozen,
 * grouped object. Nothing else in the code base touches `process.env`.
 */
import path from 'node:path';

type Env = Record<string, string | undefined>;

interface IntSpec { kind: 'int'; default: number; min: number; max: number }
interface StrSpec { kind: 'string'; default: string | undefined; secret?: boolean }
interface BoolSpec { kind: 'bool'; default: boolean }
interface EnumSpec<T extends string> { kind: 'enum'; values: readonly T[]; default: T }
interface ListSpec { kind: 'list'; default: string[] }
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

  STORAGE_ROOT: { kind: 'string', default: '' },

  WORKER_IN_PROCESS: { kind: 'bool', default: true },
  WORKER_CONCURRENCY: { kind: 'int', default: 2, min: 1, max: 64 },
  WORKER_HEARTBEAT_INTERVAL_MS: { kind: 'int', default: 5_000, min: 100, max: 600_000 },
  WORKER_STALE_AFTER_MS: { kind: 'int', default: 30_000, min: 500, max: 3_600_000 },
  WORKER_POLL_INTERVAL_MS: { kind: 'int', default: 2_000, min: 50, max: 600_000 },
  JOB_MAX_ATTEMPTS: { kind: 'int', default: 5, min: 1, max: 25 },

  BODY_LIMIT_BYTES: { kind: 'int', default: 1 * MiB, min: 1024, max: 100 * MiB },
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
  FRAME_COUNT: { kind: 'int', default: 6, min: 1, max: 100 },
  FRAME_WIDTH: { kind: 'int', default: 640, min: 64, max: 3840 },
  CONTACT_SHEET_GRID: { kind: 'string', default: '2x3' },
  CONTACT_SHEET_WIDTH: { kind: 'int', default: 1920, min: 320, max: 7680 },
  CONTACT_SHEET_HEIGHT: { kind: 'int', default: 1080, min: 240, max: 4320 },
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
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'string':
      return raw;
  }
}

function validateDatabaseUrl(url: string | undefined, problems: string[]): void {
  if (url === undefined) return;
  try {
    const u = new URL(url);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') problems.push('DATABASE_URL: must use postgres:// or postgresql://');
  } catch {
    problems.push('DATABASE_URL: not a valid URL');
  }
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
    [K in SpecKey]: (typeof SPEC)[K] extends IntSpec ? number
      : (typeof SPEC)[K] extends BoolSpec ? boolean
      : (typeof SPEC)[K] extends ListSpec ? string[]
      : (typeof SPEC)[K] extends EnumSpec<infer T> ? T
      : (typeof SPEC)[K] extends { default: undefined } ? string | undefined
      : string;
  };
  validateDatabaseUrl(v.DATABASE_URL, problems);
  if (v.DATABASE_POOL_MIN > v.DATABASE_POOL_MAX) problems.push('DATABASE_POOL_MIN: must not exceed DATABASE_POOL_MAX');
  if (v.WORKER_STALE_AFTER_MS <= v.WORKER_HEARTBEAT_INTERVAL_MS) {
    problems.push('WORKER_STALE_AFTER_MS: must be larger than WORKER_HEARTBEAT_INTERVAL_MS');
  }
  if (!/^[1-9]\d?x[1-9]\d?$/.test(v.CONTACT_SHEET_GRID)) problems.push(`CONTACT_SHEET_GRID: must look like 2x3 (rows x columns), got "${v.CONTACT_SHEET_GRID}"`);
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(v.DATA_DIR);
  const config = {
    env: v.NODE_ENV,
    http: { host: v.HOST, port: v.PORT, bodyLimitBytes: v.BODY_LIMIT_BYTES },
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
    storage: { root: v.STORAGE_ROOT ? path.resolve(v.STORAGE_ROOT) : path.join(dataDir, 'storage') },
    worker: {
      inProcess: v.WORKER_IN_PROCESS,
      concurrency: v.WORKER_CONCURRENCY,
      heartbeatIntervalMs: v.WORKER_HEARTBEAT_INTERVAL_MS,
      staleAfterMs: v.WORKER_STALE_AFTER_MS,
      pollIntervalMs: v.WORKER_POLL_INTERVAL_MS,
      maxAttempts: v.JOB_MAX_ATTEMPTS,
    },
    limits: {
      maxUploadBytes: v.MAX_UPLOAD_BYTES,
      maxDownloadBytes: v.MAX_DOWNLOAD_BYTES,
      downloadTimeoutMs: v.DOWNLOAD_TIMEOUT_MS,
      downloadMaxRedirects: v.DOWNLOAD_MAX_REDIRECTS,
      downloadAllowHosts: v.DOWNLOAD_ALLOW_HOSTS,
    },
    auth: { mode: v.AUTH_MODE, idempotencyTtlHours: v.IDEMPOTENCY_TTL_HOURS },
    media: {
      ffprobePath: v.FFPROBE_PATH,
      ffmpegPath: v.FFMPEG_PATH,
      pdftoppmPath: v.PDFTOPPM_PATH,
      probeTimeoutMs: v.PROBE_TIMEOUT_MS,
      ffmpegTimeoutMs: v.FFMPEG_TIMEOUT_MS,
      maxDurationSeconds: v.MAX_MEDIA_DURATION_SECONDS,
      maxImagePixels: v.MAX_IMAGE_PIXELS,
      maxDocumentPages: v.MAX_DOCUMENT_PAGES,
      frameCount: v.FRAME_COUNT,
      frameWidth: v.FRAME_WIDTH,
      contactSheet: { grid: v.CONTACT_SHEET_GRID, width: v.CONTACT_SHEET_WIDTH, height: v.CONTACT_SHEET_HEIGHT },
    },
  };
  return deepFreeze(config);
}

export type AppConfig = ReturnType<typeof loadConfig>;

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const value of Object.values(o)) deepFreeze(value);
    Object.freeze(o);
  }
  return o;
}
