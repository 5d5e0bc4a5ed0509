/**
 * Input guards at the HTTP edge (issue #10, defects 5 and 6).
 *
 * - Ids are normalised once: every `id` route param is lower-cased before any hook or
 *   handler sees it, so cache keys, invalidation and SQL all use the same spelling.
 * - Text PostgreSQL cannot store (NUL) or that is not valid Unicode (a lone surrogate)
 *   is refused with INVALID_TEXT, and JSON nested deeper than MAX_JSON_DEPTH with
 *   BODY_TOO_DEEP, before validation, so neither reaches Ajv, the fingerprint or SQL.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.ts';

/** Deepest nesting a body may have; real metadata is a few levels, not thousands. */
export const MAX_JSON_DEPTH = 32;

/** A NUL (PostgreSQL text cannot hold it) or an unpaired UTF-16 surrogate. */
function badText(text: string): boolean {
  return text.includes('\u0000') || !text.isWellFormed();
}

/**
 * Walk a parsed JSON value (iteratively, so hostile depth cannot overflow the stack) and
 * throw INVALID_TEXT or BODY_TOO_DEEP naming the first offending field.
 */
export function checkJsonInput(value: unknown, root = ''): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const field = item.path || '(root)';
    if (typeof item.value === 'string') {
      if (badText(item.value))
        throw new AppError('INVALID_TEXT', `${field} holds a NUL character or an unpaired surrogate`, {
          errors: [{ field, message: 'must be valid Unicode text without NUL characters' }],
        });
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= MAX_JSON_DEPTH)
      throw new AppError('BODY_TOO_DEEP', `${field} is nested deeper than ${MAX_JSON_DEPTH} levels`, {
        errors: [{ field, message: `must not be nested deeper than ${MAX_JSON_DEPTH} levels` }],
      });
    for (const [key, child] of Object.entries(item.value)) {
      const path = Array.isArray(item.value) ? `${item.path}[${key}]` : item.path ? `${item.path}.${key}` : key;
      if (badText(key))
        throw new AppError('INVALID_TEXT', `a key in ${field} holds a NUL character or an unpaired surrogate`, {
          errors: [{ field, message: 'keys must be valid Unicode text without NUL characters' }],
        });
      stack.push({ value: child, path, depth: item.depth + 1 });
    }
  }
}

/** Register the id normalisation and the text/depth guard for every route registered after it. */
export function registerInputGuards(app: FastifyInstance): void {
  // Callback hooks (no promise per request); a thrown AppError goes to done() and so to
  // the error handler, as it did from the async form.
  app.addHook('onRequest', (request, _reply, done) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (params && typeof params.id === 'string') params.id = params.id.toLowerCase();
    done();
  });
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      checkJsonInput(request.query, 'query');
      checkJsonInput(request.params, 'params');
      if (request.body !== undefined && request.body !== null) checkJsonInput(request.body);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  });
}
