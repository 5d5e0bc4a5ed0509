/**
 * Ajv set-up. Bodies are validated strictly (no type coercion, unknown fields are
 * errors, not silently removed); query strings and params are coerced from strings.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

export const bodyAjv = makeAjv(false);
const paramAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate: ValidateFunction = (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema as object);
  return (data: unknown) => {
    // Multipart bodies are not parsed by Fastify; the route validates the assembled fields.
    if (httpPart === 'body' && (data === undefined || data === null)) return { value: data };
    if (validate(data)) return { value: data };
    const err = new Error('validation failed') as Error & { validation: unknown };
    err.validation = validate.errors;
    return { error: err };
  };
};
