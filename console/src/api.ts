/**
 * The console's only way to the server: the SDK's client over the public HTTP API, with the
 * signed-in key in the Authorization header (never in a URL, never a cookie). Every call is
 * one a key holder could make with curl or the SDK; this file adds only what a browser needs.
 */
// The SDK's modules, not its index: the index also brings webhook signature checks (a
// receiver's job, with an HMAC library), which the console has no use for.
import { MediaAnalysisHttp } from '../../sdk/src/http-client.ts';
import { StreamHttpError } from '../../sdk/src/sse.ts';
import { ApiError, type AnalyzeInput } from '../../sdk/src/types.ts';
import type { paths } from '../../sdk/src/schema.ts';
import type { AnalysisStatusBody } from './types.ts';

export { ApiError };

export type AnalyzeFields = Pick<AnalyzeInput, 'prompt' | 'options'>;

export interface ProgressEvent {
  status?: string;
  progress?: number;
  current_stage?: string | null;
  stage?: string | null;
  stages?: AnalysisStatusBody['stages'];
  [k: string]: unknown;
}

const ANALYZE = '/api/media/analyze' satisfies keyof paths;
type MultipartFields = paths[typeof ANALYZE]['post']['requestBody']['content']['multipart/form-data'];

/**
 * The browser's fetch for every SDK call: no cookies or other ambient credentials (the key
 * header is the only authority) and no HTTP cache (answers are per key). A network failure
 * becomes an ApiError with status 0, so pages tell it from an answer.
 */
const browserFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, { ...init, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, { code: 'NETWORK', detail: 'The server could not be reached' });
  }
};

export class ApiClient extends MediaAnalysisHttp {
  private readonly key: string;

  constructor(key: string) {
    // Same origin: the console is served by the API it talks to.
    super({ baseUrl: '', apiKey: key, fetch: browserFetch });
    this.key = key;
  }

  /** One analysis with its `results`, typed by the server's contract. */
  async status(id: string): Promise<AnalysisStatusBody> {
    return this.get(id);
  }

  /**
   * Multipart upload with progress. Kept on XMLHttpRequest, the one browser API that reports
   * upload progress: the SDK's `analyze` streams a ReadableStream body (`duplex: 'half'`),
   * which Chromium sends only over HTTP/2 and without a Content-Length, so it cannot serve a
   * same-origin HTTP/1.1 console. The URL and field names are the SDK's (typed from the schema).
   */
  analyzeUpload(
    file: File,
    fields: AnalyzeFields,
    onProgress: (sent: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<{ analysis_id: string }> {
    const parts: Omit<MultipartFields, 'file'> = {
      prompt: fields.prompt,
      ...(fields.options ? { options: JSON.stringify(fields.options) } : {}),
    };
    const form = new FormData();
    for (const [name, value] of Object.entries(parts)) if (value !== undefined) form.append(name, value);
    form.append('file' satisfies keyof MultipartFields, file, file.name);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.baseUrl}${ANALYZE}`);
      xhr.setRequestHeader('authorization', `Bearer ${this.key}`);
      xhr.withCredentials = false;
      xhr.responseType = 'json';
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        const body = (xhr.response ?? {}) as Record<string, unknown>;
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as { analysis_id: string });
        else reject(new ApiError(xhr.status, body));
      };
      xhr.onerror = () => reject(new ApiError(0, { code: 'NETWORK', detail: 'The upload failed' }));
      xhr.onabort = () => reject(new ApiError(0, { code: 'ABORTED', detail: 'The upload was cancelled' }));
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(form);
    });
  }

  /**
   * The analysis's live events through the SDK's event stream (fetch, so the key goes in a
   * header; resumes with Last-Event-ID). Resolves when the server ends the stream after the
   * final event; rejects with ApiError 404 when the server has no events route.
   */
  async follow(id: string, onEvent: (type: string, data: ProgressEvent) => void, signal: AbortSignal): Promise<void> {
    try {
      for await (const e of this.events(id, { signal })) {
        onEvent(e.event, (e.data && typeof e.data === 'object' ? e.data : {}) as ProgressEvent);
      }
    } catch (err) {
      if (err instanceof StreamHttpError)
        throw new ApiError(
          err.status,
          err.body && typeof err.body === 'object' ? (err.body as Record<string, unknown>) : {},
        );
      throw err;
    }
  }
}

/** What the console shows for a failed call: the server's explanation, not its error code. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const p = err.problem;
    const said = typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : '';
    return said || `The server answered ${err.status}`;
  }
  return err instanceof Error ? err.message : String(err);
}
