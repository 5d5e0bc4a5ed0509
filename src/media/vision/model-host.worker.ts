/**
 * Entry of the model-host worker thread: loads the vision models once and answers
 * `analyze` requests from the worker process's main thread, one at a time (inference
 * is CPU-bound; a queue keeps memory flat). See `model-host.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { VisionModelOptions } from './vision-loaders.ts';
import { VisionModels } from './vision-models.ts';
import type { AnalyzeOptions, VisionTask } from './vision.types.ts';

export type HostRequest =
  | { id: number; op: 'analyze'; file: string; tasks: VisionTask[]; options?: AnalyzeOptions }
  | { id: number; op: 'preload'; tasks: VisionTask[] }
  | { id: number; op: 'stats' };

export type HostResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

const port = parentPort!;
// The model libraries log to the console (human prints every failed model load); the
// results and errors they matter for come back in the answers instead.
console.log = console.info = console.warn = () => {};
const models = new VisionModels(workerData as VisionModelOptions);

let chain: Promise<void> = Promise.resolve();
port.on('message', (req: HostRequest) => {
  chain = chain.then(async () => {
    try {
      let value: unknown;
      if (req.op === 'analyze') value = await models.analyze(req.file, req.tasks, req.options);
      else if (req.op === 'preload') {
        await models.preload(req.tasks);
        value = { load_ms: models.loadMs };
      } else value = { rss_bytes: process.memoryUsage().rss, load_ms: models.loadMs };
      port.postMessage({ id: req.id, ok: true, value } satisfies HostResponse);
    } catch (err) {
      port.postMessage({ id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  });
});
