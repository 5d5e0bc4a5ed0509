/**
 * Sentence embeddings by the service's own embedder, cached on disk sentence by sentence,
 * so no sentence is ever embedded twice, whatever corpus it is part of later. The cache
 * is a folder of blocks: `emb-<hash>.txt` (EMBED_BLOCK sentences, one a line) beside
 * `emb-<hash>.f32` (their vectors, EMBEDDING_DIMS float32 each); a block is written to a
 * temporary name and renamed, so a run stopped at any moment leaves whole blocks only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Embedder } from '../../src/nlp/embedder.ts';
import { EMBEDDING_DIMS } from '../../src/nlp/embedder.ts';

/** Sentences embedded and written together; a cache block holds at most this many. */
export const EMBED_BLOCK = 500;

interface Place {
  file: string;
  row: number;
}

/** Every cached sentence and where its vector is. */
function readIndex(cacheDir: string): Map<string, Place> {
  const index = new Map<string, Place>();
  for (const name of fs.readdirSync(cacheDir).sort()) {
    if (!/^emb-[0-9a-f]+\.txt$/.test(name)) continue;
    const f32 = path.join(cacheDir, name.replace(/\.txt$/, '.f32'));
    const lines = fs.readFileSync(path.join(cacheDir, name), 'utf8').split('\n');
    if (fs.statSync(f32, { throwIfNoEntry: false })?.size !== lines.length * EMBEDDING_DIMS * 4) continue;
    lines.forEach((s, row) => index.set(s, { file: f32, row }));
  }
  return index;
}

function writeAtomically(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export interface EmbedProgress {
  /** Sentences embedded by this call (the rest came from the cache). */
  embedded: number;
  /** Wall milliseconds spent embedding. */
  embed_ms: number;
  /** CPU milliseconds of this process while embedding (all its embedder threads). */
  embed_cpu_ms: number;
  workers: number;
}

/**
 * Embeddings of `texts` (no line breaks in them; the corpus's sentences have none),
 * EMBED_BLOCK at a time, with `workers` embedders (each a model thread: one per core at
 * most) working on separate blocks. Returns texts.length × EMBEDDING_DIMS floats.
 * `stop`: asked before each block; once it answers true no new block is started, the
 * vectors of the texts not reached are left zero and `complete` is false.
 */
export async function embedCached(
  texts: string[],
  cacheDir: string,
  embedder: () => Embedder,
  log: (m: string) => void,
  options: { workers?: number; stop?: () => boolean } = {},
): Promise<EmbedProgress & { vectors: Float32Array; complete: boolean; cached_prefix: number }> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const vectors = new Float32Array(texts.length * EMBEDDING_DIMS);
  const index = readIndex(cacheDir);
  const missing: number[] = [];
  const byFile = new Map<string, Array<[number, number]>>();
  texts.forEach((s, i) => {
    const at = index.get(s);
    if (!at) missing.push(i);
    else {
      const rows = byFile.get(at.file) ?? [];
      if (rows.length === 0) byFile.set(at.file, rows);
      rows.push([i, at.row]);
    }
  });
  for (const [file, rows] of byFile) {
    const buf = fs.readFileSync(file);
    const v = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    for (const [i, row] of rows)
      vectors.set(v.subarray(row * EMBEDDING_DIMS, (row + 1) * EMBEDDING_DIMS), i * EMBEDDING_DIMS);
  }
  const workers = Math.max(1, options.workers ?? 1);
  let next = 0;
  let embedded = 0;
  let stopped = false;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const one = async () => {
    const made = embedder();
    try {
      while (next < missing.length) {
        if (options.stop?.()) {
          stopped = true;
          return;
        }
        const rows = missing.slice(next, next + EMBED_BLOCK);
        next += rows.length;
        const block = rows.map((i) => texts[i]!);
        const got = await made.embed(block);
        const v = new Float32Array(block.length * EMBEDDING_DIMS);
        got.forEach((r, j) => {
          v.set(r, j * EMBEDDING_DIMS);
          vectors.set(r, rows[j]! * EMBEDDING_DIMS);
        });
        const hash = crypto.createHash('sha256').update(block.join('\n')).digest('hex').slice(0, 20);
        writeAtomically(path.join(cacheDir, `emb-${hash}.f32`), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        writeAtomically(path.join(cacheDir, `emb-${hash}.txt`), block.join('\n'));
        embedded += block.length;
        const s = (performance.now() - started) / 1000;
        const c = process.cpuUsage(cpu);
        log(
          `embedded ${embedded}/${missing.length} missing (${texts.length - missing.length} cached): ` +
            `${(embedded / s).toFixed(1)} sentences/s, ${(embedded / ((c.user + c.system) / 1e6)).toFixed(1)} per CPU-second, ` +
            `load ${os.loadavg()[0]!.toFixed(2)}`,
        );
      }
    } finally {
      await made.close();
    }
  };
  if (missing.length > 0) await Promise.all(Array.from({ length: workers }, one));
  const c = process.cpuUsage(cpu);
  return {
    vectors,
    complete: !stopped,
    // Every text before this one has its vector (blocks are taken in order and every started one finishes).
    cached_prefix: next < missing.length ? missing[next]! : texts.length,
    embedded,
    embed_ms: Math.round(performance.now() - started),
    embed_cpu_ms: Math.round((c.user + c.system) / 1000),
    workers,
  };
}
