/**
 * Sentence embeddings through a worker thread (see embedding.worker.ts). Callers get
 * one 512-d unit vector per text; texts are cut to MAX_EMBED_CHARS (the encoder sees
 * words, and long inputs only cost time) and sent in batches of EMBED_BATCH.
 */
import { Worker } from 'node:worker_threads';

export const EMBEDDING_DIMS = 512;
/** Texts per message to the worker: the encoder is much faster per text in batches. */
export const EMBED_BATCH = 32;
export const MAX_EMBED_CHARS = 2000;

export interface Embedder {
  /** `signal` stops between batches, so an abandoned caller does not keep the model thread busy. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  close(): Promise<void>;
}

interface Pending {
  resolve(v: Float32Array[]): void;
  reject(e: Error): void;
}

interface Reply {
  id: number;
  vectors?: Float32Array;
  dims?: number;
  error?: string;
}

/** Starts the worker (the model loads in the background; the first call waits for it). */
export function createEmbedder(): Embedder {
  const worker = new Worker(new URL('./embedding.worker.ts', import.meta.url));
  // The worker must not keep a process alive that has nothing else to do.
  worker.unref();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | null = null;
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.error !== undefined || !reply.vectors) return p.reject(new Error(reply.error ?? 'no vectors'));
    const dims = reply.dims ?? EMBEDDING_DIMS;
    const out: Float32Array[] = [];
    for (let i = 0; i < reply.vectors.length / dims; i++) out.push(reply.vectors.slice(i * dims, (i + 1) * dims));
    p.resolve(out);
  });
  const failAll = (err: Error) => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`embedding worker exited (${code})`)));

  const call = (texts: string[]) =>
    new Promise<Float32Array[]>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, texts });
    });

  return {
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += EMBED_BATCH) {
        signal?.throwIfAborted();
        const batch = texts.slice(i, i + EMBED_BATCH).map((t) => t.slice(0, MAX_EMBED_CHARS) || ' ');
        out.push(...(await call(batch)));
      }
      return out;
    },
    async close() {
      await worker.terminate();
    },
  };
}

let shared: Embedder | null = null;

/**
 * The process's one embedder (one model in memory, shared by the API's search and an
 * in-process worker's indexing). Its thread is unref'd while idle, so it never keeps a
 * finished process alive.
 */
export function sharedEmbedder(): Embedder {
  shared ??= createEmbedder();
  return shared;
}
