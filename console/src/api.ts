/**
 * The console's only way to the server: the public HTTP API with the signed-in key in the
 * Authorization header (never in a URL). Every call is one a key holder could make with curl.
 */
import { StreamHttpError, streamEvents } from '../../sdk/src/sse.ts';
import type { AnalysisStatusBody, Artifact, HistoryPage, SearchHit } from './types.ts';

/** A problem+json answer (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface AnalyzeFields {
  prompt: string;
  media_url?: string;
  options?: Record<string, unknown>;
}

export interface ProgressEvent {
  status?: string;
  progress?: number;
  current_stage?: string | null;
  stage?: string | null;
  stages?: AnalysisStatusBody['stages'];
  [k: string]: unknown;
}

const API = '/api/media';

export class ApiClient {
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, ...extra };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? null : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server could not be reached');
    }
    if (!res.ok) throw await toError(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  status(id: string): Promise<AnalysisStatusBody> {
    return this.request('GET', `${API}/status/${encodeURIComponent(id)}`);
  }
  history(query: Record<string, string | undefined>): Promise<HistoryPage> {
    return this.request('GET', `${API}/history${qs(query)}`);
  }
  artifacts(id: string): Promise<{ data: Artifact[] }> {
    return this.request('GET', `${API}/${encodeURIComponent(id)}/artifacts`);
  }
  retry(id: string): Promise<AnalysisStatusBody> {
    return this.request('POST', `${API}/${encodeURIComponent(id)}/retry`);
  }
  cancel(id: string): Promise<AnalysisStatusBody> {
    return this.request('POST', `${API}/${encodeURIComponent(id)}/cancel`);
  }
  remove(id: string): Promise<void> {
    return this.request('DELETE', `${API}/${encodeURIComponent(id)}`);
  }
  search(query: Record<string, string | undefined>): Promise<{ data: SearchHit[] }> {
    return this.request('GET', `${API}/search${qs(query)}`);
  }
  analyzeUrl(fields: AnalyzeFields): Promise<{ analysis_id: string }> {
    return this.request('POST', `${API}/analyze`, fields);
  }

  /** Multipart upload through XMLHttpRequest, the one browser API that reports upload progress. */
  analyzeUpload(
    file: File,
    fields: AnalyzeFields,
    onProgress: (sent: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<{ analysis_id: string }> {
    const form = new FormData();
    form.append('prompt', fields.prompt);
    if (fields.options) form.append('options', JSON.stringify(fields.options));
    form.append('file', file, file.name);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${API}/analyze`);
      xhr.setRequestHeader('authorization', `Bearer ${this.key}`);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        const body = xhr.response as Record<string, unknown> | null;
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as { analysis_id: string });
        else reject(problemToError(xhr.status, body));
      };
      xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The upload failed'));
      xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'The upload was cancelled'));
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(form);
    });
  }

  /** Downloads a file the API serves (artifacts, exports) as a Blob. */
  async blob(path: string): Promise<Blob> {
    const res = await fetch(path, { headers: this.headers(), credentials: 'omit' });
    if (!res.ok) throw await toError(res);
    return res.blob();
  }

  /**
   * The analysis's live events through the SDK's SSE reader (fetch, so the key goes in a
   * header; resumes with Last-Event-ID). Resolves when the server ends the stream after the
   * final event; rejects with ApiError 404 when the server has no events route.
   */
  async events(id: string, onEvent: (type: string, data: ProgressEvent) => void, signal: AbortSignal): Promise<void> {
    try {
      for await (const e of streamEvents(`${API}/${encodeURIComponent(id)}/events`, {
        headers: this.headers(),
        signal,
        isFinal: (ev) => FINAL_EVENTS.has(ev.event),
      })) {
        onEvent(e.event, (e.data && typeof e.data === 'object' ? e.data : {}) as ProgressEvent);
      }
    } catch (err) {
      if (err instanceof StreamHttpError) throw problemToError(err.status, err.body as Record<string, unknown> | null);
      throw err;
    }
  }
}

const FINAL_EVENTS = new Set(['completed', 'failed', 'cancelled', 'deleted']);

export function qs(query: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function toError(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> | null;
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return problemToError(res.status, body);
}

function problemToError(status: number, body: Record<string, unknown> | null): ApiError {
  const code = typeof body?.code === 'string' ? body.code : `HTTP_${status}`;
  const detail = typeof body?.detail === 'string' ? body.detail : typeof body?.title === 'string' ? body.title : '';
  return new ApiError(status, code, detail || `The server answered ${status}`);
}
