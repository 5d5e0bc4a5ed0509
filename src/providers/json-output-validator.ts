/**
 * Validates a model's JSON answer against the schema the caller asked for
 * (`config.response_format.json_schema.schema`).
 *
 * Every analysis can bring its own schema, so compiled validators must not pile up for
 * the life of the worker (one shared Ajv keeps every schema it ever compiled). Each
 * schema is compiled in an Ajv instance of its own and kept in a small LRU keyed by the
 * schema's hash: a repeated schema is compiled once, and an evicted one is garbage —
 * validator and Ajv instance together — so memory is bounded by `maxSchemas`.
 */
import crypto from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { LRUCache } from 'lru-cache';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Distinct schemas kept compiled; a worker seldom sees more than a few at once. */
export const DEFAULT_MAX_SCHEMAS = 32;

/** Formats errors only; it never compiles a schema, so it holds none. */
const ERRORS_TEXT = new Ajv();

export class JsonOutputValidator {
  private readonly compiled: LRUCache<string, ValidateFunction>;

  constructor(maxSchemas = DEFAULT_MAX_SCHEMAS) {
    this.compiled = new LRUCache({ max: maxSchemas });
  }

  /** Compiled schemas held right now (at most `maxSchemas`). */
  get size(): number {
    return this.compiled.size;
  }

  /** The compiled validator of `schema`, from the cache when the same schema was seen recently. */
  compile(schema: object): ValidateFunction {
    const key = crypto.createHash('sha256').update(JSON.stringify(schema)).digest('hex');
    let validate = this.compiled.get(key);
    if (!validate) {
      // Same options as request bodies: strict types, unknown fields are errors, all errors listed.
      const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false });
      addFormats(ajv);
      validate = ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** `null` when `data` matches `schema`, else Ajv's description of what does not (as `ajv.errorsText`). */
  check(schema: object, data: unknown): string | null {
    const validate = this.compile(schema);
    if (validate(data)) return null;
    return ERRORS_TEXT.errorsText(validate.errors);
  }
}
