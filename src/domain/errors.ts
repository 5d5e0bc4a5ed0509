/**
 * The error catalogue. Every failure the service reports has a stable machine code,
 * an HTTP status and a title; `AppError` carries one of them. The HTTP layer renders
 * them as RFC 9457 problem+json; workers store `code` as the analysis `error_code`.
 *
 * Whether a worker retries is a property of the code, declared here once:
 * `retryable: true` marks a transient failure (the queue retries it with back-off);
 * every other code is permanent (the analysis fails with it). `consumesAttempt: false`
 * marks a wait that does not use up one of the job's attempts (an open circuit).
 */
interface CatalogueEntry {
  status: number;
  title: string;
  retryable?: true;
  consumesAttempt?: false;
}

export const ERRORS = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  INVALID_MULTIPART: { status: 400, title: 'Malformed multipart body' },
  INVALID_PARAMETER: { status: 400, title: 'Invalid parameter' },
  INVALID_ID: { status: 400, title: 'Malformed id (not a UUID)' },
  UNAUTHORIZED: { status: 401, title: 'Missing or invalid API key' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Route not found' },
  ANALYSIS_NOT_FOUND: { status: 404, title: 'Analysis not found' },
  ARTIFACT_NOT_FOUND: { status: 404, title: 'Artifact not found' },
  KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  INVALID_TRANSITION: { status: 409, title: 'Invalid status transition' },
  CONCURRENT_MODIFICATION: { status: 409, title: 'The analysis was modified concurrently' },
  RETRY_LIMIT_REACHED: { status: 409, title: 'Retry limit reached' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  ANALYSIS_GONE: { status: 410, title: 'Analysis was deleted' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Requested range not satisfiable' },
  MEDIA_TOO_LARGE: { status: 413, title: 'Media file too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  VALIDATION_FAILED: { status: 422, title: 'Request validation failed' },
  INVALID_TEXT: { status: 422, title: 'Text holds a NUL character or an unpaired surrogate' },
  BODY_TOO_DEEP: { status: 422, title: 'The request body is nested too deeply' },
  DUPLICATE_FIELD: { status: 422, title: 'A form field was sent more than once' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with a different request' },
  SEARCH_QUERY_EMPTY: { status: 400, title: 'The search query has no word to look for' },
  SEARCH_QUERY_TOO_LONG: { status: 400, title: 'The search query is too long' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  TOO_MANY_STREAMS: { status: 429, title: 'The tenant holds as many open event streams as it may' },
  WEBHOOK_ENDPOINT_LIMIT: { status: 409, title: 'The tenant has as many webhook endpoints as it may' },
  TRANSCRIPT_NOT_FOUND: { status: 404, title: 'The analysis has no transcript' },
  SHOTS_NOT_FOUND: { status: 404, title: 'The analysis has no shots' },
  CHAPTERS_NOT_FOUND: { status: 404, title: 'The analysis has no chapters' },
  WEBHOOK_NOT_FOUND: { status: 404, title: 'Webhook endpoint not found' },
  PERSON_NOT_FOUND: { status: 404, title: 'Person not found' },
  FACE_NOT_FOUND: { status: 404, title: 'The person has no such face' },
  PERSON_MERGE_SELF: { status: 422, title: 'A person cannot be merged into themselves' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, title: 'Webhook delivery not found' },
  WEBHOOK_URL_INVALID: { status: 422, title: 'Webhook URL is not an http(s) URL of at most 2 KB' },
  WEBHOOK_URL_FORBIDDEN: { status: 422, title: 'Webhook URL points to a forbidden address' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service temporarily unavailable' },
  STORAGE_UNAVAILABLE: { status: 503, title: 'The file store is unavailable', retryable: true },

  // Failures recorded on an analysis by the worker (error_code); status is informative.
  MEDIA_URL_FORBIDDEN: { status: 422, title: 'Media URL points to a forbidden address' },
  MEDIA_DOWNLOAD_FAILED: { status: 502, title: 'Media download failed', retryable: true },
  MEDIA_DOWNLOAD_REFUSED: {
    status: 422,
    title: 'The media URL cannot be downloaded (a 4xx answer, a redirect without Location, or an unknown host)',
  },
  MEDIA_DOWNLOAD_TIMEOUT: { status: 504, title: 'Media download timed out' },
  TOO_MANY_REDIRECTS: { status: 422, title: 'Too many redirects' },
  MEDIA_EMPTY: { status: 422, title: 'Media file is empty' },
  MEDIA_TYPE_MISMATCH: { status: 422, title: 'Media bytes do not match the claimed type' },
  UNSUPPORTED_MEDIA: { status: 422, title: 'Unsupported media format' },
  MEDIA_CORRUPT: { status: 422, title: 'Media is corrupt or truncated' },
  MEDIA_TOO_LONG: { status: 422, title: 'Media is longer than the allowed duration' },
  IMAGE_TOO_LARGE: { status: 422, title: 'Image has more pixels than allowed' },
  DOCUMENT_TOO_LONG: { status: 422, title: 'Document has more pages than allowed' },
  DOCUMENT_TOO_LARGE: { status: 422, title: 'Document holds more content than allowed' },
  MEDIA_TOO_COMPLEX: { status: 422, title: 'Decoding the media needed more memory or time than allowed' },
  ATTEMPTS_EXHAUSTED: { status: 500, title: 'Processing did not finish within the allowed attempts' },
  WORKER_CRASHED: { status: 500, title: 'The worker processing this analysis stopped repeatedly' },
  PROBE_FAILED: { status: 500, title: 'ffprobe or ffmpeg is missing or cannot start', retryable: true },
  SANDBOX_UNAVAILABLE: { status: 500, title: 'The media sandbox process could not start', retryable: true },
  PROVIDER_NOT_CONFIGURED: { status: 422, title: 'The requested model provider is not configured' },
  PROVIDER_UNAVAILABLE: {
    status: 503,
    title: 'The model provider is unavailable (circuit open)',
    retryable: true,
    consumesAttempt: false,
  },
  PROVIDER_FAILED: { status: 502, title: 'The model provider failed', retryable: true },
  PROVIDER_REJECTED: { status: 502, title: 'The model provider rejected the request' },
  INVALID_MODEL_OUTPUT: {
    status: 502,
    title: 'The model output did not match the requested schema',
    retryable: true,
  },
  SPEECH_ENGINE_FAILED: { status: 500, title: 'The local speech engine crashed or timed out' },
  /** An unexpected error in a worker: retried, since nothing says it is the input's fault. */
  PROCESSING_FAILED: { status: 500, title: 'Processing failed', retryable: true },
  // Recorded on one result section (a stage), not on the analysis: the rest completes.
  MODEL_LOAD_FAILED: { status: 500, title: 'A local model failed to load' },
  MODEL_FAILED: { status: 500, title: 'A local model failed on the input' },
  MODEL_TIMEOUT: { status: 504, title: 'A local model ran past its time limit' },
  MODEL_CRASHED: { status: 500, title: 'The model host thread stopped' },
  FRAME_UNREADABLE: { status: 422, title: 'A frame could not be decoded' },
  STAGE_TIMEOUT: { status: 504, title: 'A pipeline stage passed its time limit', retryable: true },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string> | undefined;
  /** A permanent error ends an analysis; a transient one lets the queue retry (from the catalogue). */
  readonly permanent: boolean;
  /** For transient errors: wait at least this long before the retry. */
  readonly retryAfterMs: number | undefined;
  /** False when the retry should not count against the attempts (from the catalogue). */
  readonly consumesAttempt: boolean;

  constructor(
    code: ErrorCode,
    detail?: string,
    opts: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      cause?: unknown;
      retryAfterMs?: number;
    } = {},
  ) {
    super(detail ?? ERRORS[code].title, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail;
    this.errors = opts.errors;
    this.headers = opts.headers;
    const entry: CatalogueEntry = ERRORS[code];
    this.permanent = entry.retryable !== true;
    this.retryAfterMs = opts.retryAfterMs;
    this.consumesAttempt = entry.consumesAttempt !== false;
  }
}

/**
 * A failure caused by what the user sent (a 4xx code: unsupported or corrupt media, a
 * refused URL, bad input), not by the service. Logged at info/warn without a stack.
 */
export function isUserError(err: unknown): boolean {
  return err instanceof AppError && err.status < 500;
}

/** Factories for the errors that are raised from many places. */
export const errors = {
  analysisNotFound: (id: string) => new AppError('ANALYSIS_NOT_FOUND', `No analysis with id ${id}`),
  analysisGone: (id: string) => new AppError('ANALYSIS_GONE', `Analysis ${id} was deleted`),
  invalidTransition: (from: string, to: string) =>
    new AppError('INVALID_TRANSITION', `Cannot move an analysis from ${from} to ${to}`),
  validation: (errs: FieldError[]) =>
    new AppError('VALIDATION_FAILED', 'The request body failed validation', { errors: errs }),
  invalidParameter: (field: string, message: string) =>
    new AppError('INVALID_PARAMETER', `${field}: ${message}`, { errors: [{ field, message }] }),
};
