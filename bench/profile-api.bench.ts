/**
 * Where an API request's time goes: the guard's database and seed, the API started with
 * `node --cpu-prof`, one scenario driven for a few seconds, then the CPU profile's self
 * time added up by where the code lives (our src/ files, each npm package, Node's own
 * code, the garbage collector) and the PostgreSQL backends' CPU read from /proc.
 *
 * Usage: node bench/profile-api.bench.ts [status|history|analyze|baseline] [seconds]
 * Prints a table; writes nothing under bench/results (a diagnosis aid, not a figure).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import {
  freshBenchDatabase,
  runScenario,
  log,
  seedAnalyses,
  serverEnv,
  startChild,
  stopChild,
  type ScenarioRequest,
} from './helpers/http-load.ts';
import { backendCpu, backendCpuBetween, processCpuMs } from './helpers/process-cpu.ts';

const scenario = process.argv[2] ?? 'status';
const SECONDS = Number(process.argv[3] ?? 8);
const PORT = 39_211;
const PROFILE_DIR = path.resolve('data/profile');
/** The measured slice in µs of the monotonic clock (V8 stamps profile samples on the same clock). */
const window = { start: 0n, end: 0n };

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: `src/http/app.ts`, `fastify`, `node:internal`, `(garbage collector)`. */
function place(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  if (url.startsWith('node:')) return url.split('/')[0]!.startsWith('node:internal') ? 'node:internal' : url;
  return url;
}

function summarise(profile: CpuProfile): { byPlace: Map<string, number>; byFn: Map<string, number>; total: number } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPlace = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const n = nodes.get(id)!;
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (BigInt(at) < window.start || BigInt(at) > window.end) return;
    if (n.callFrame.functionName === '(idle)') return;
    total += us;
    const p = place(n.callFrame.url, n.callFrame.functionName);
    byPlace.set(p, (byPlace.get(p) ?? 0) + us);
    const f = `${n.callFrame.functionName || '(anonymous)'} ${p}:${n.callFrame.lineNumber + 1}`;
    byFn.set(f, (byFn.get(f) ?? 0) + us);
  });
  return { byPlace, byFn, total };
}

function requests(ids: string[], key: string): () => ScenarioRequest {
  const headers = { authorization: `Bearer ${key}` };
  const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
  switch (scenario) {
    case 'status':
      return () => {
        const id = pick();
        return { method: 'GET', path: `/api/media/status/${id}`, headers, expect: id };
      };
    case 'history':
      return () => ({
        method: 'GET',
        path: '/api/media/history?status=completed&media_type=video&sort_by=created_at&order=desc&per_page=20',
        headers,
        expect: '"media_type":"video"',
      });
    case 'analyze':
      return () => ({
        method: 'POST',
        path: '/api/media/analyze',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `P ${crypto.randomUUID()}`, media_url: 'https://media.example.com/new.mp4' }),
        expect: '"analysis_id"',
      });
    case 'baseline':
      return () => {
        const id = pick();
        return { method: 'GET', path: `/baseline/${id}`, expect: id };
      };
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

async function main(): Promise<void> {
  const database = await freshBenchDatabase('ma_profile', { dataDir: 'data/profile-pg', port: 54_361 });
  try {
    const ids = await seedAnalyses(database.url, 20_000, 10);
    await fs.rm(PROFILE_DIR, { recursive: true, force: true });
    const env = { ...serverEnv(database.url, 16, 'data/profile-data'), PORT: String(PORT), CACHE_ENABLED: 'false' };
    const args =
      scenario === 'baseline'
        ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, 'bench/baseline-server.ts']
        : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, 'src/main/cli.ts', 'api'];
    const child = await startChild(args, env, PORT);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const url = `http://127.0.0.1:${PORT}`;
      await runScenario(url, requests(ids, database.key), { seconds: 2, connections: 16 });
      const dbName = new URL(database.url).pathname.slice(1);
      const [apiBefore, dbBefore] = [await processCpuMs(child.pid!), await backendCpu(admin, dbName)];
      window.start = process.hrtime.bigint() / 1000n;
      const s = await runScenario(url, requests(ids, database.key), {
        seconds: SECONDS,
        connections: 16,
        checkBodies: true,
      });
      window.end = process.hrtime.bigint() / 1000n;
      const apiMs = (await processCpuMs(child.pid!)) - apiBefore;
      const dbMs = backendCpuBetween(dbBefore, await backendCpu(admin, dbName));
      log(
        `${scenario}: ${s.rps} req/s, p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms, wrong ${s.wrong_bodies}, non-2xx ${s.non2xx}; ` +
          `server CPU ${Math.round((apiMs * 1000) / s.requests)} µs/req, PostgreSQL backends ${Math.round((dbMs * 1000) / s.requests)} µs/req`,
      );
    } finally {
      await admin.end();
      await stopChild(child);
    }
  } finally {
    await database.stop();
  }
  const file = (await fs.readdir(PROFILE_DIR)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no CPU profile written');
  const { byPlace, byFn, total } = summarise(
    JSON.parse(await fs.readFile(path.join(PROFILE_DIR, file), 'utf8')) as CpuProfile,
  );
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  process.stdout.write(`\nbusy CPU in the measured slice ${Math.round(total / 1000)} ms; self time by place:\n`);
  process.stdout.write(top(byPlace, 30) + '\n\nby function:\n' + top(byFn, 40) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
