import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ERRORS, type ErrorCode } from './errors.ts';

test('retryability comes from the catalogue entry of the code', () => {
  const table: Array<[ErrorCode, { permanent: boolean; consumesAttempt: boolean }]> = [
    ['MEDIA_CORRUPT', { permanent: true, consumesAttempt: true }],
    ['MEDIA_DOWNLOAD_REFUSED', { permanent: true, consumesAttempt: true }],
    ['MEDIA_DOWNLOAD_FAILED', { permanent: false, consumesAttempt: true }],
    ['PROVIDER_FAILED', { permanent: false, consumesAttempt: true }],
    ['PROVIDER_REJECTED', { permanent: true, consumesAttempt: true }],
    ['PROVIDER_UNAVAILABLE', { permanent: false, consumesAttempt: false }],
    ['STAGE_TIMEOUT', { permanent: false, consumesAttempt: true }],
  ];
  for (const [code, expected] of table) {
    const err = new AppError(code, 'x');
    assert.deepEqual({ permanent: err.permanent, consumesAttempt: err.consumesAttempt }, expected, code);
  }
  // Only a transient code may skip counting an attempt.
  for (const [code, entry] of Object.entries(ERRORS) as Array<[ErrorCode, (typeof ERRORS)[ErrorCode]]>) {
    if ('consumesAttempt' in entry) assert.ok('retryable' in entry, code);
  }
});
