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
    ]),
    [
      { field: 'prompt', message: "must have required property 'prompt'" },
      { field: 'config.x', message: 'unknown field' },
      { field: 'config.temperature', message: 'must be <= 2' },
      { field: '(root)', message: 'invalid' },
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
