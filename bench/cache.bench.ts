/**
 * Cache hit rate under a realistic polling load: analyses are submitted and processed
 * by a real worker while clients poll their status every POLL_MS until done, then a
 * little longer (as dashboards do). The hit rate comes from the cache's own counters.
 * Usage: npm run bench:cache → bench/results/cache.json and cache.md
 */
import fs from 'node:fs/promises';
import { createTestApp, auth } from '../test/helpers/app.ts';
import { multipart } from '../test/helpers/multipart.ts';
import { writeBenchResults } from './helpers/provenance.ts';

const ANALYSES = Number(process.env.BENCH_ANALYSES ?? 40);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 250);
const AFTER_DONE_POLLS = 8;

async function main() {
  const t = await createTestApp({ LOG_LEVEL: 'silent', WORKER_CONCURRENCY: '2', RATE_LIMIT_MAX: '0' });
  await t.startWorker({ concurrency: 2 });
  const started = performance.now();
  let polls = 0;
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: ANALYSES }, async (_, i) => {
      const mp = multipart(
        { prompt: `poll ${i}` },
        { name: `n${i}.txt`, data: Buffer.from(`Notes number ${i}.\nThe quick brown fox.\n`) },
      );
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/media/analyze',
        headers: { ...auth(t.tenantA.key), ...mp.headers },
        payload: mp.payload,
      });
      const id = res.json().analysis_id as string;
      let after = 0;
      for (;;) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        const s = (await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) })).json() as {
          status: string;
        };
        polls++;
        if (['completed', 'failed', 'cancelled'].includes(s.status) && ++after >= AFTER_DONE_POLLS) {
          statuses[s.status] = (statuses[s.status] ?? 0) + 1;
          return;
        }
      }
    }),
  );
  const { hits, misses, errors } = t.cache.stats;
  const report = {
    date: new Date().toISOString(),
    analyses: ANALYSES,
    poll_interval_ms: POLL_MS,
    polls,
    cache: {
      backend: t.cache.backend,
      hits,
      misses,
      errors,
      hit_rate: Math.round((hits / Math.max(1, hits + misses)) * 1000) / 1000,
    },
    statuses,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    target: { hit_rate_above: 0.6, pass: hits / Math.max(1, hits + misses) > 0.6 },
  };
  await t.close();
  await fs.mkdir('bench/results', { recursive: true });
  const md = `# Cache benchmark — ${report.date}\n\n${ANALYSES} analyses processed by a real worker, each polled every ${POLL_MS} ms until done and ${AFTER_DONE_POLLS} times after; ${polls} status polls in ${report.seconds} s.\n\n| backend | hits | misses | hit rate | target > 60 % |\n|---|---:|---:|---:|:---:|\n| ${report.cache.backend} | ${hits} | ${misses} | ${(report.cache.hit_rate * 100).toFixed(1)} % | ${report.target.pass ? 'yes' : 'NO'} |\n`;
  writeBenchResults('cache', report, md);
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
