/**
 * Parsing helpers behind `loadConfig`: environment strings coerced and validated against
 * the TypeBox schema with Ajv (problems collected, secrets never echoed), and the parsers
 * and checks for keys whose values have structure of their own.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { EnvSchema, keySchema, type Env } from './env.schema.ts';

export type RawEnv = Record<string, string | undefined>;

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
export function readEnv(env: RawEnv, problems: string[]): Env {
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

export function validateDatabaseUrl(url: string | undefined, problems: string[]): void {
  if (url === undefined) return;
  try {
    const u = new URL(url);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
      problems.push('DATABASE_URL: must use postgres:// or postgresql://');
  } catch {
    problems.push('DATABASE_URL: not a valid URL');
  }
}

export function safeUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** `frames=60000,answer=120000` → { frames: 60000, answer: 120000 }. */
export function parseStageTimeLimits(items: string[], problems: string[]): Readonly<Record<string, number>> {
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

export interface ModelPrice {
  /** USD per 1,000 input tokens. */
  input_per_1k?: number;
  /** USD per 1,000 output tokens. */
  output_per_1k?: number;
  /** USD per audio minute (transcription). */
  per_minute?: number;
}

export function parsePrices(raw: string, problems: string[]): Record<string, ModelPrice> {
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

export function transcriptionConfig(v: Record<string, unknown>, problems: string[]) {
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

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const value of Object.values(o)) deepFreeze(value);
    Object.freeze(o);
  }
  return o;
}
