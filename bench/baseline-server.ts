/**
 * The machine's baseline for the status benchmark: a bare Fastify route doing one
 * primary-key SELECT through pg, with the same pool size and no auth, schemas or logs.
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
});
const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/baseline/:id', async (request, reply) => {
  const r = await pool.query('SELECT * FROM media_analysis_requests WHERE id = $1', [request.params.id]);
  if (r.rowCount === 0) return reply.code(404).send({ error: 'not found' });
  return r.rows[0];
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
