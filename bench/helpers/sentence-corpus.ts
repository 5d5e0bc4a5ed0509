/**
 * A corpus of distinct real English sentences for the end-to-end search benchmark: the
 * prose of documents shipped on this machine by Debian packages (/usr/share/doc READMEs
 * and text files, /usr/share/common-licenses, manual pages, dictionaries, fortunes, the
 * Python, Linux, PostgreSQL, Git and Perl manuals: bench/helpers/sentence-sources.ts) and
 * by the npm packages under node_modules (their README.md files). Each sentence appears
 * once (exact duplicates are dropped). The order is a fixed shuffle by a hash of each
 * sentence, so the first N sentences of a larger corpus are mostly those of a smaller one,
 * and their embeddings, cached on disk sentence by sentence
 * (bench/helpers/embedding-cache.ts), are never computed twice.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { proseOf, sourceFiles } from './sentence-sources.ts';

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Prose sentences of a text: markup and code stripped, 40-240 characters, mostly letters, 6+ words. */
export function sentencesOf(text: string): string[] {
  const prose = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/[#*_>|=~^]+/g, ' ')
    .replace(/\s+/g, ' ');
  const out: string[] = [];
  for (const raw of prose.split(/(?<=[.!?])\s+(?=[A-Z])/)) {
    const s = raw.trim();
    if (s.length < 40 || s.length > 240 || !/^[A-Z]/.test(s) || !/[.!?]$/.test(s)) continue;
    const letters = s.replace(/[^\p{L} ]/gu, '').length;
    if (letters / s.length < 0.85 || s.split(' ').length < 6) continue;
    out.push(s);
  }
  return out;
}

/** A sentence's place in the corpus order: a hash of its text, so adding sources never moves the others. */
function orderKey(s: string): string {
  return crypto.createHash('sha1').update(s).digest('hex').slice(0, 16);
}

/**
 * Every distinct sentence of the sources, in a fixed order (by a hash of each sentence:
 * a shuffle that stays the same for every sentence when sources are added or missing).
 * `trees: false` reads only the base sources (licenses, /usr/share/doc's own texts, npm
 * READMEs), not the larger trees of sentence-sources.ts. With `cacheDir`, the list is kept
 * there under a key of every source file's path, size and time and of this code, so a
 * second run reads one file instead of cutting a few hundred megabytes of documents.
 */
export function loadSentences(
  nodeModules: string,
  options: { trees?: boolean; cacheDir?: string } = {},
): { sentences: string[]; files: number } {
  const files = sourceFiles(nodeModules, options.trees ?? true);
  const key = crypto.createHash('sha1');
  for (const code of ['./sentence-corpus.ts', './sentence-sources.ts'])
    key.update(fs.readFileSync(new URL(code, import.meta.url)));
  for (const f of files) {
    const st = fs.statSync(f.file, { throwIfNoEntry: false });
    key.update(`${f.file} ${f.kind} ${st?.size} ${st?.mtimeMs}\n`);
  }
  const cached = options.cacheDir && path.join(options.cacheDir, `sentences-${key.digest('hex').slice(0, 20)}.txt`);
  if (cached && fs.existsSync(cached))
    return { sentences: fs.readFileSync(cached, 'utf8').split('\n').filter(Boolean), files: files.length };
  const seen = new Set<string>();
  for (const f of files) for (const s of sentencesOf(proseOf(f))) seen.add(s);
  const keyed = [...seen].map((s) => [orderKey(s), s] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  const sentences = keyed.map((k) => k[1]);
  if (cached) {
    fs.mkdirSync(options.cacheDir!, { recursive: true });
    fs.writeFileSync(`${cached}.tmp`, sentences.join('\n'));
    fs.renameSync(`${cached}.tmp`, cached);
  }
  return { sentences, files: files.length };
}
