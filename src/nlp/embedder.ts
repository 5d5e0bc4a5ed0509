/**
 * Sentence embeddings through a worker thread (see embedding.worker.ts). Callers get
 * one 512-d unit vector per text; texts are cut to MAX_EMBED_CHARS (the encoder sees
 * words, and long inputs only cost time) and sent in batches of EMBED_BATCH, shortest
 * texts first (the vectors come back in the caller's order).
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

/** A call waiting for the model thread: its texts, and where its share of the vectors goes. */
interface Queued extends Pending {
  texts: string[];
}

interface Reply {
  id: number;
  vectors?: Float32Array;
  dims?: number;
  error?: string;
}

/**
 * Starts the worker (the model loads in the background; the first call waits for it).
 *
 * One message is in the worker at a time; calls that arrive meanwhile wait and go out
 * together as the next message (up to EMBED_BATCH texts), because the encoder is much
 * faster per text in a batch, so concurrent searches (one query each) no longer queue
 * one model call behind another (bench/search-e2e.bench.ts measures search under 4 and
 * 16 clients). A failed message fails every call in it.
 */
export function createEmbedder(): Embedder {
  const worker = new Worker(new URL('./embedding.worker.ts', import.meta.url));
  // The worker must not keep a process alive that has nothing else to do.
  worker.unref();
  const pending = new Map<number, Pending>();
  const waiting: Queued[] = [];
  let nextId = 1;
  let failure: Error | null = null;
  let busy = false;

  /** Send the waiting calls (whole calls, up to EMBED_BATCH texts) as one message. */
  const dispatch = () => {
    if (busy || waiting.length === 0) return;
    const group: Queued[] = [];
    let size = 0;
    while (waiting.length > 0 && (group.length === 0 || size + waiting[0]!.texts.length <= EMBED_BATCH)) {
      const next = waiting.shift()!;
      group.push(next);
      size += next.texts.length;
    }
    const id = nextId++;
    busy = true;
    pending.set(id, {
      resolve: (vectors) => {
        let at = 0;
        for (const call of group) {
          call.resolve(vectors.slice(at, at + call.texts.length));
          at += call.texts.length;
        }
      },
      reject: (err) => {
        for (const call of group) call.reject(err);
      },
    });
    worker.ref();
    worker.postMessage({ id, texts: group.flatMap((c) => c.texts) });
  };

  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    busy = false;
    if (pending.size === 0 && waiting.length === 0) worker.unref();
    if (reply.error !== undefined || !reply.vectors) p.reject(new Error(reply.error ?? 'no vectors'));
    else {
      const dims = reply.dims ?? EMBEDDING_DIMS;
      const out: Float32Array[] = [];
      for (let i = 0; i < reply.vectors.length / dims; i++) out.push(reply.vectors.slice(i * dims, (i + 1) * dims));
      p.resolve(out);
    }
    dispatch();
  });
  const failAll = (err: Error) => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    for (const w of waiting.splice(0)) w.reject(err);
  };
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`embedding worker exited (${code})`)));

  const call = (texts: string[]) =>
    new Promise<Float32Array[]>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.push({ texts, resolve, reject });
      dispatch();
    });

  return {
    async embed(texts, signal) {
      const cut = texts.map((t) => t.slice(0, MAX_EMBED_CHARS) || ' ');
      // Batches of texts of similar length: the encoder pads each batch to its longest text, so
      // in length order it does less work for the same vectors (bench/results/embed-order.md).
      const order = lengthOrder(cut);
      const out = new Array<Float32Array>(cut.length);
      for (let i = 0; i < order.length; i += EMBED_BATCH) {
        signal?.throwIfAborted();
        const positions = order.slice(i, i + EMBED_BATCH);
        const vectors = await call(positions.map((p) => cut[p]!));
        positions.forEach((p, k) => (out[p] = vectors[k]!));
      }
      return out;
    },
    async close() {
      await worker.terminate();
    },
  };
}

/** Positions of `texts` shortest first (equal lengths keep their order). */
export function lengthOrder(texts: readonly string[]): number[] {
  return Array.from(texts.keys()).sort((a, b) => texts[a]!.length - texts[b]!.length || a - b);
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
