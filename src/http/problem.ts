/**
 * RFC 9457 problem+json: one renderer for every error, and one Fastify error handler
 * that maps framework, validation and domain errors onto the catalogue. 5xx bodies
 * never carry internals; the request id lets an operator find the log line.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, type ErrorCode, type FieldError } from '../domain/errors.ts';
import { isDatabaseUnreachable } from '../persistence/database-errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://media-analysis.dev/problems/';

export interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turn Ajv errors into field-level errors (`prompt`, `config.temperature`, …). */
export function fieldErrors(issues: readonly ValidationIssue[], prefix = ''): FieldError[] {
  return issues.map((e) => {
    let field = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const p = e.params ?? {};
    if (e.keyword === 'required' && typeof p.missingProperty === 'string')
      field = field ? `${field}.${p.missingProperty}` : p.missingProperty;
    if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
      field = field ? `${field}.${p.additionalProperty}` : p.additionalProperty;
      return { field: prefix + field, message: 'unknown field' };
    }
    return { field: prefix + (field || '(root)'), message: inWords(e) };
  });
}

/** Known schema patterns, said in words instead of as a regular expression. */
const PATTERN_WORDS: Record<string, string> = {
  '^[Hh][Tt][Tt][Pp][Ss]?://': 'must be an http:// or https:// URL',
  '^[1-9][0-9]?x[1-9][0-9]?$': 'must be rows x columns, e.g. 2x3',
  '^[0-9]{1,18}$': 'must be a whole number',
};

/** An Ajv issue as a sentence a user can act on (allowed values listed, sizes named). */
function inWords(e: ValidationIssue): string {
  const p = e.params ?? {};
  const fallback = e.message ?? 'invalid';
  // A limit named by the keyword's parameter; without it, Ajv's own sentence.
  const limited = (words: (limit: string) => string) => (p.limit === undefined ? fallback : words(String(p.limit)));
  switch (e.keyword) {
    case 'enum':
      return Array.isArray(p.allowedValues)
        ? `must be one of: ${p.allowedValues.join(', ')}`
        : 'is not an allowed value';
    case 'minLength':
      return limited((n) => (n === '1' ? 'must not be empty' : `must be at least ${n} characters`));
    case 'maxLength':
      return limited((n) => `must be at most ${n} characters`);
    case 'minimum':
      return limited((n) => `must be at least ${n}`);
    case 'maximum':
      return limited((n) => `must be at most ${n}`);
    case 'maxProperties':
      return limited((n) => `must have at most ${n} fields`);
    case 'pattern':
      return PATTERN_WORDS[String(p.pattern)] ?? 'is not in the expected form';
    case 'format':
      return p.format === 'uuid' ? 'must be a UUID' : p.format ? `must be a valid ${String(p.format)}` : fallback;
    case 'type':
      if (typeof p.type !== 'string') return fallback;
      return `must be ${p.type === 'object' ? 'a JSON object' : `a ${p.type}`}`;
    case 'required':
      return 'is required';
    default:
      return fallback;
  }
}

export function problemBody(
  code: ErrorCode,
  requestId: string,
  detail?: string,
  instance?: string,
  errs?: FieldError[],
) {
  const def = ERRORS[code];
  return {
    type: TYPE_BASE + code.toLowerCase().replace(/_/g, '-'),
    title: def.title,
    status: def.status,
    code,
    ...(detail ? { detail } : {}),
    ...(instance ? { instance } : {}),
    request_id: requestId,
    ...(errs && errs.length > 0 ? { errors: errs } : {}),
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, err: AppError): FastifyReply {
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  const detail =
    err.status >= 500 && err.code === 'INTERNAL_ERROR'
      ? 'An unexpected error occurred; quote the request id when reporting it.'
      : err.detail;
  // (SERVICE_UNAVAILABLE's detail is our own text; the driver's message is never echoed.)
  return reply
    .code(err.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(err.code, request.id, detail, request.url.split('?')[0], err.errors));
}

/** Seconds a client should wait before retrying a write while the database is away. */
export const DB_RETRY_AFTER_SECONDS = 5;

/** Map anything thrown in a request to a catalogue error. */
export function toAppError(err: FastifyError | Error): AppError {
  if (err instanceof AppError) return err;
  if (isDatabaseUnreachable(err)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly', {
      headers: { 'retry-after': String(DB_RETRY_AFTER_SECONDS) },
      cause: err,
    });
  }
  const fe = err as FastifyError & { validationContext?: string; validation?: ValidationIssue[] };
  if (fe.validation) {
    const ctx = fe.validationContext ?? 'body';
    const errs = fieldErrors(fe.validation);
    if (ctx === 'params') return new AppError('INVALID_ID', 'The id must be a UUID', { errors: errs });
    if (ctx === 'body')
      return new AppError('VALIDATION_FAILED', 'The request body failed validation', { errors: errs });
    return new AppError('INVALID_PARAMETER', `Invalid ${ctx === 'querystring' ? 'query parameter' : ctx}`, {
      errors: errs,
    });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('MALFORMED_JSON', fe.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body exceeds the limit');
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('MEDIA_TOO_LARGE', 'The uploaded file exceeds the upload limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send application/json or multipart/form-data');
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError('VALIDATION_FAILED', fe.message);
  }
  if (typeof fe.message === 'string' && MULTIPART_SYNTAX_ERROR.test(fe.message))
    return new AppError('INVALID_MULTIPART', fe.message);
  if (err instanceof SyntaxError && fe.statusCode === 400) return new AppError('MALFORMED_JSON', err.message);
  if (fe.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE', fe.message);
  if (fe.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', fe.message);
  if (fe.statusCode === 429) return new AppError('RATE_LIMITED', fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new AppError('BAD_REQUEST', fe.message);
  return new AppError('INTERNAL_ERROR', undefined, { cause: err });
}

/**
 * The multipart parser's (busboy/dicer) own words for a body it cannot read: no usable
 * boundary in the header, a body that ends before its closing boundary, a broken part
 * header. They carry no code, so the message is what tells them apart.
 */
const MULTIPART_SYNTAX_ERROR =
  /^(Multipart: Boundary not found|Unexpected end of multipart data|Part terminated early due to unexpected end of multipart data|Malformed part header)/;

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: appErr.code, status: appErr.status }, 'request rejected');
    return sendProblem(reply, request, appErr);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      new AppError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
