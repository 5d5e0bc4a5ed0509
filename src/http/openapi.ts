/**
 * Final touches on the generated OpenAPI document, so it passes Redocly's recommended
 * lint and generates a clean SDK:
 * - `/api/v1/media/*` is an alias of `/api/media/*` (same handlers): it stays served but
 *   is left out of the document, which says so in its description;
 * - `GET /api/media/status/{id}` (kept for existing clients) is left out once
 *   `GET /api/media/{id}` exists — both in the document would be ambiguous paths;
 * - operations without an operationId get the stable one from OPERATION_IDS;
 * - `POST /api/media/analyze` also documents its multipart form (the file upload, so
 *   /docs can send one) and the 415 for any other content type;
 * - servers and licence.
 */
export const OPERATION_IDS: Record<string, string> = {
  'POST /api/media/analyze': 'analyzeMedia',
  'GET /api/media/{id}': 'getAnalysis',
  'GET /api/media/status/{id}': 'getAnalysisStatus',
  'GET /api/media/history': 'listAnalyses',
  'GET /api/media/search': 'searchAnalyses',
  'GET /api/media/{id}/artifacts': 'listArtifacts',
  'GET /api/media/{id}/artifacts/{artifactId}': 'getArtifact',
  'POST /api/media/{id}/retry': 'retryAnalysis',
  'POST /api/media/{id}/cancel': 'cancelAnalysis',
  'DELETE /api/media/{id}': 'deleteAnalysis',
  'GET /api/admin/keys': 'listApiKeys',
  'POST /api/admin/keys': 'createApiKey',
  'DELETE /api/admin/keys/{id}': 'revokeApiKey',
};

export const DOCUMENT_DESCRIPTION = [
  'Media analysis job service: submit a file or URL with a prompt, follow it live, get the results.',
  '',
  'Aliases kept for existing clients and left out of this document: every `/api/media/…` route is also served',
  'under `/api/v1/media/…`, and `GET /api/media/status/{id}` answers like `GET /api/media/{id}`.',
].join('\n');

type Operation = { operationId?: string; [k: string]: unknown };
type JsonSchema = { properties?: Record<string, unknown>; required?: string[]; [k: string]: unknown };

/** The multipart twin of the JSON body: the same fields (objects as JSON text) plus the file. */
function withMultipart(op: Operation): Operation {
  const body = op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined;
  const json = body?.content?.['application/json']?.schema;
  const responses = (op.responses ?? {}) as Record<string, { content?: unknown }>;
  if (!json?.properties) return op;
  const fields: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(json.properties)) {
    // An object field is sent as JSON text; `$ref` names an object component (options).
    const s = schema as { type?: string; $ref?: string };
    fields[name] =
      s.type === 'object' || s.$ref
        ? { type: 'string', description: `${name} as a JSON object (same schema as the JSON body)` }
        : schema;
  }
  delete fields.media_url;
  fields.file = {
    type: 'string',
    format: 'binary',
    description: 'The media file (streamed to storage; its bytes decide its type)',
  };
  return {
    ...op,
    requestBody: {
      ...body,
      content: {
        ...body?.content,
        'multipart/form-data': {
          schema: { type: 'object', required: ['prompt', 'file'], properties: fields },
          encoding: { file: { contentType: 'application/octet-stream' } },
        },
      },
    },
    responses: {
      ...responses,
      415: {
        description: 'The body is neither application/json nor multipart/form-data',
        content: responses['422']?.content,
      },
    },
  };
}
/**
 * Every `/api/` route is rate limited per key (plugins/rate-limit.plugin.ts), and an
 * address presenting bad keys is refused too: each operation documents its 429 once,
 * here, with the problem schema its 401 already has.
 */
function withRateLimited(path: string, op: Operation): Operation {
  const responses = (op.responses ?? {}) as Record<string, { content?: unknown }>;
  if (!path.startsWith('/api/') || responses['429'] || !responses['401']) return op;
  return {
    ...op,
    responses: {
      ...responses,
      429: {
        description: 'Over the per-key rate limit, or too many failed authentications from this address',
        content: responses['401'].content,
      },
    },
  };
}

type Doc = { paths?: Record<string, Record<string, Operation>>; [k: string]: unknown };

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

export function finishDocument<T extends object>(input: T, serverUrl = '/'): T {
  const doc = input as Doc;
  const paths: Record<string, Record<string, Operation>> = {};
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    if (p.startsWith('/api/v1/')) continue;
    const path = p.length > 1 ? p.replace(/\/$/, '') : p;
    if (path === '/api/media/status/{id}' && doc.paths?.['/api/media/{id}']?.get) continue;
    const ops: Record<string, Operation> = { ...(paths[path] ?? {}) };
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) {
        ops[method] = op;
        continue;
      }
      const id = op.operationId ?? OPERATION_IDS[`${method.toUpperCase()} ${path}`];
      const withId = withRateLimited(path, id ? { ...op, operationId: id } : op);
      ops[method] = method === 'post' && path === '/api/media/analyze' ? withMultipart(withId) : withId;
    }
    paths[path] = ops;
  }
  const info = (doc.info ?? {}) as Record<string, unknown>;
  return {
    ...doc,
    info: {
      ...info,
      description: DOCUMENT_DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl, description: 'This service' }],
    paths,
  } as T;
}
