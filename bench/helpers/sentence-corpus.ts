/**
 * A corpus of distinct real English sentences for the end-to-end search benchmark: the
 * prose of documents shipped on this machine by Debian packages (/usr/share/doc READMEs
 * and text files, /usr/share/common-licenses) and by the npm packages under
 * node_modules (their README.md files). Each sentence appears once (exact duplicates are
 * dropped), so no text is stored more than once. The order is a fixed shuffle, so the
 * first N sentences of a larger corpus are the corpus of size N, and their embeddings,
 * cached on disk block by block, are reused when the corpus grows.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Embedder } from '../../src/nlp/embedder.ts';
import { EMBEDDING_DIMS } from '../../src/nlp/embedder.ts';

/** Sentences embedded and cached together; a cache file holds one block. */
export const EMBED_BLOCK = 500;

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

function readText(file: string): string {
  try {
    const raw = fs.readFileSync(file);
    return (file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8');
  } catch {
    return '';
  }
}

/** Files whose prose the corpus is cut from, in a fixed order. */
export function sourceFiles(nodeModules: string): string[] {
  const files: string[] = [];
  const licenses = '/usr/share/common-licenses';
  if (fs.existsSync(licenses)) for (const f of fs.readdirSync(licenses).sort()) files.push(path.join(licenses, f));
  const doc = '/usr/share/doc';
  if (fs.existsSync(doc))
    for (const pkg of fs.readdirSync(doc).sort()) {
      const dir = path.join(doc, pkg);
      let names: string[];
      try {
        names = fs.readdirSync(dir).sort();
      } catch {
        continue;
      }
      for (const f of names)
        if (/^(readme|news|faq|about|intro|overview|usage)|\.txt(\.gz)?$/i.test(f) && !/changelog/i.test(f))
          files.push(path.join(dir, f));
    }
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (/^readme\.md$/i.test(e.name)) files.push(p);
      else if ((e.isDirectory() || e.isSymbolicLink()) && depth > 0 && e.name !== '.bin') walk(p, depth - 1);
    }
  };
  walk(nodeModules, 2);
  return files;
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

/** Every distinct sentence of the sources, in a fixed shuffled order. */
export function loadSentences(nodeModules: string): { sentences: string[]; files: number } {
  const files = sourceFiles(nodeModules);
  const seen = new Set<string>();
  for (const f of files) for (const s of sentencesOf(readText(f))) seen.add(s);
  const all = [...seen];
  const rand = prng(11);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return { sentences: all, files: files.length };
}

/**
 * Embeddings of `texts` by the service's own embedder, EMBED_BLOCK at a time, each block
 * cached under `cacheDir` by the hash of its texts (a larger corpus reuses the smaller
 * one's blocks). Returns one Float32Array of texts.length × EMBEDDING_DIMS.
 */
export async function embedCached(
  texts: string[],
  cacheDir: string,
  embedder: () => Embedder,
  log: (m: string) => void,
): Promise<{ vectors: Float32Array; embedded: number; embed_ms: number }> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const vectors = new Float32Array(texts.length * EMBEDDING_DIMS);
  let made: Embedder | null = null;
  let embedded = 0;
  let embedMs = 0;
  for (let at = 0; at < texts.length; at += EMBED_BLOCK) {
    const block = texts.slice(at, at + EMBED_BLOCK);
    const hash = crypto.createHash('sha256').update(block.join('\n')).digest('hex').slice(0, 20);
    const file = path.join(cacheDir, `block-${hash}.f32`);
    let v: Float32Array;
    if (fs.existsSync(file)) {
      const buf = fs.readFileSync(file);
      v = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    } else {
      made ??= embedder();
      const t = performance.now();
      const rows = await made.embed(block);
      embedMs += performance.now() - t;
      embedded += block.length;
      v = new Float32Array(block.length * EMBEDDING_DIMS);
      rows.forEach((r, i) => v.set(r, i * EMBEDDING_DIMS));
      fs.writeFileSync(file, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      log(
        `embedded ${at + block.length}/${texts.length} (${Math.round(embedded / (embedMs / 1000))} sentences/s this run)`,
      );
    }
    vectors.set(v, at * EMBEDDING_DIMS);
  }
  if (made) await made.close();
  return { vectors, embedded, embed_ms: Math.round(embedMs) };
}
