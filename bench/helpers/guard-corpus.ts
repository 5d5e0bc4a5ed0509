/**
 * The performance guard's sentences: the base sources (licenses, /usr/share/doc's own
 * texts, npm READMEs) read and shuffled exactly as when its floors were set
 * (bench/guard-baseline.json), independent of the larger search corpus's order and
 * sources (sentence-corpus.ts), so that the guard keeps measuring what its floors were
 * chosen on.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { prng, sentencesOf } from './sentence-corpus.ts';

function readText(file: string): string {
  try {
    const raw = fs.readFileSync(file);
    return (file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8');
  } catch {
    return '';
  }
}

/** Files whose prose the corpus is cut from, in a fixed order. */
function sourceFiles(nodeModules: string): string[] {
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

/** Every distinct sentence of the sources, in a fixed shuffled order. */
export function loadGuardSentences(nodeModules: string): { sentences: string[]; files: number } {
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
