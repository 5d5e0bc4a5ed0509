import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrors, problemBody, toAppError } from './problem.ts';
import { AppError } from '../domain/errors.ts';

test('Ajv errors become field errors', () => {
  assert.deepEqual(
    fieldErrors([
      {
        instancePath: '',
        keyword: 'required',
        params: { missingProperty: 'prompt' },
        message: "must have required property 'prompt'",
      },
      { instancePath: '/config', keyword: 'additionalProperties', params: { additionalProperty: 'x' } },
      { instancePath: '/config/temperature', keyword: 'maximum', message: 'must be <= 2' },
      { instancePath: '', keyword: 'type' },
      { instancePath: '/options/frame_count', keyword: 'maximum', params: { limit: 100 }, message: 'must be <= 100' },
      { instancePath: '/media_type', keyword: 'enum', params: { allowedValues: ['video', 'audio'] } },
      { instancePath: '/prompt', keyword: 'minLength', params: { limit: 1 } },
      { instancePath: '/metadata', keyword: 'type', params: { type: 'object' } },
      { instancePath: '/media_url', keyword: 'pattern', params: { pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' } },
    ]),
    [
      { field: 'prompt', message: 'is required' },
      { field: 'config.x', message: 'unknown field' },
      // Without the keyword's parameters, Ajv's own sentence.
      { field: 'config.temperature', message: 'must be <= 2' },
      { field: '(root)', message: 'invalid' },
      { field: 'options.frame_count', message: 'must be at most 100' },
      { field: 'media_type', message: 'must be one of: video, audio' },
      { field: 'prompt', message: 'must not be empty' },
      { field: 'metadata', message: 'must be a JSON object' },
      { field: 'media_url', message: 'must be an http:// or https:// URL' },
    ],
  );
});

test('framework errors map onto the catalogue; unknown errors are 500 without detail', () => {
  const cases: Array<[Partial<Error & { code: string; statusCode: number }>, string]> = [
    [{ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }, 'MALFORMED_JSON'],
    [{ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'PAYLOAD_TOO_LARGE'],
    [{ code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 }, 'MEDIA_TOO_LARGE'],
    [{ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 'UNSUPPORTED_MEDIA_TYPE'],
    [{ code: 'FST_FILES_LIMIT', statusCode: 413 }, 'VALIDATION_FAILED'],
    [{ code: 'X', statusCode: 429 }, 'RATE_LIMITED'],
    [{ code: 'X', statusCode: 413 }, 'PAYLOAD_TOO_LARGE'],
    [{ code: 'X', statusCode: 415 }, 'UNSUPPORTED_MEDIA_TYPE'],
    [{ code: 'X', statusCode: 405 }, 'BAD_REQUEST'],
    [{ code: 'X' }, 'INTERNAL_ERROR'],
  ];
  for (const [err, code] of cases)
    assert.equal(toAppError(Object.assign(new Error('m'), err)).code, code, JSON.stringify(err));
  const syntax = Object.assign(new SyntaxError('bad'), { statusCode: 400 });
  assert.equal(toAppError(syntax).code, 'MALFORMED_JSON');
  const v = Object.assign(new Error('v'), {
    validation: [{ instancePath: '/page', message: 'bad' }],
    validationContext: 'headers',
  });
  assert.equal(toAppError(v).code, 'INVALID_PARAMETER');
  const app = new AppError('ANALYSIS_GONE');
  assert.equal(toAppError(app), app);
  const body = problemBody('ANALYSIS_NOT_FOUND', 'rid', 'missing', '/x', []);
  assert.deepEqual(body, {
    type: 'https://media-analysis.dev/problems/analysis-not-found',
    title: 'Analysis not found',
    status: 404,
    code: 'ANALYSIS_NOT_FOUND',
    detail: 'missing',
    instance: '/x',
    request_id: 'rid',
  });
});
