/**
 * The machine's baselines for the performance guard: bare Fastify routes through pg, with
 * the same pool size and no auth, schemas or logs.
 *  - GET /baseline/:id: one primary-key SELECT (against the status and history reads).
 *  - GET /baseline/search?q=: the exact scan a search index must beat — the query embedded
 *    by the service's embedder, its cosine against every stored segment vector of
 *    tenant-0 (read into memory on the first search, as the service builds its index), and
 *    the best 10 segments' texts read by primary key.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { createEmbedder, type Embedder } from '../src/nlp/embedder.ts';
import { cosinesInt8 } from '../src/nlp/vector-codec.ts';

const SEARCH_TENANT = 'tenant-0';
const SEARCH_LIMIT = 10;

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
});
const app = Fastify({ logger: false });

let embedder: Embedder | null = null;
let vectors: Promise<{ ids: string[]; embeddings: Uint8Array[] }> | null = null;
const loadVectors = async () => {
  const r = await pool.query<{ id: string; embedding: Buffer }>(
    'SELECT id, embedding FROM media_segments WHERE tenant_id = $1 ORDER BY id',
    [SEARCH_TENANT],
  );
  return { ids: r.rows.map((x) => x.id), embeddings: r.rows.map((x) => x.embedding) };
};

app.get<{ Querystring: { q: string } }>('/baseline/search', async (request) => {
  const q = request.query.q;
  embedder ??= createEmbedder();
  vectors ??= loadVectors();
  const [[vector], all] = await Promise.all([embedder.embed([q]), vectors]);
  const scores = cosinesInt8(vector!, all.embeddings);
  const order = Array.from(scores.keys())
    .sort((a, b) => scores[b]! - scores[a]!)
    .slice(0, SEARCH_LIMIT);
  const rows = await pool.query<{ id: string; text: string }>(
    'SELECT id, text FROM media_segments WHERE id = ANY($1::bigint[])',
    [order.map((i) => all.ids[i]!)],
  );
  const text = new Map(rows.rows.map((r) => [r.id, r.text]));
  return {
    query: q,
    data: order.map((i) => ({ segment_id: Number(all.ids[i]), score: scores[i], text: text.get(all.ids[i]!) })),
  };
});

app.get<{ Params: { id: string } }>('/baseline/:id', async (request, reply) => {
  const r = await pool.query('SELECT * FROM media_analysis_requests WHERE id = $1', [request.params.id]);
  if (r.rowCount === 0) return reply.code(404).send({ error: 'not found' });
  return r.rows[0];
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => embedder?.close())
    .then(() => pool.end())
    .then(() => process.exit(0));
});
