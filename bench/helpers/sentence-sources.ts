/**
 * Where the end-to-end search benchmark's sentences come from: documents that Debian and
 * npm packages ship, and how each kind of document is turned into prose before it is cut
 * into sentences (bench/helpers/sentence-corpus.ts). The Debian packages beyond a base
 * system are the `bench` role of deploy/debian-packages.txt (`bash scripts/setup.sh run
 * bench`); a source whose package is absent simply adds nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** How a file's text becomes prose: as it is, HTML, a roff manual page, Perl POD, a dictd dictionary. */
export type Kind = 'text' | 'html' | 'roff' | 'pod' | 'dict';

export interface SourceFile {
  file: string;
  kind: Kind;
}

interface Tree {
  /** Debian package(s) that ship it (for the results and the set-up list). */
  packages: string;
  /** Folders to walk (a pattern in the last part picks matching folders, e.g. a version). */
  root: string;
  kind: Kind;
  /** Files (path relative to the root) to read. */
  match: RegExp;
  skip?: RegExp;
}

/** The larger sources: each a folder tree of one kind of document. */
export const TREES: Tree[] = [
  // English manual pages only (translations live in /usr/share/man/<language>/).
  { packages: 'manpages, manpages-dev', root: '/usr/share/man', kind: 'roff', match: /^man[1-9][^/]*\/[^/]+\.gz$/ },
  { packages: 'fortunes', root: '/usr/share/games/fortunes', kind: 'text', match: /^[^/.]+$/ },
  { packages: 'dict-gcide, dict-foldoc, dict-jargon', root: '/usr/share/dictd', kind: 'dict', match: /\.dict\.dz$/ },
  {
    packages: 'python3.11-doc',
    root: '/usr/share/doc/python3.*/html',
    kind: 'html',
    match: /\.html$/,
    skip: /^(_|genindex|py-modindex|search)/,
  },
  {
    packages: 'linux-doc-6.1',
    root: '/usr/share/doc/linux-doc-*/html',
    kind: 'html',
    match: /\.html$/,
    skip: /^(_|genindex|search)|(^|\/)translations\//,
  },
  { packages: 'postgresql-doc-15', root: '/usr/share/doc/postgresql-doc-*/html', kind: 'html', match: /\.html$/ },
  { packages: 'git-doc', root: '/usr/share/doc/git-doc', kind: 'html', match: /\.html$/ },
  { packages: 'debian-reference-en', root: '/usr/share/debian-reference', kind: 'html', match: /\.en\.html$/ },
  { packages: 'perl-doc', root: '/usr/share/perl/5.*/pod', kind: 'pod', match: /\.pod$/ },
];

function list(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

/** The root's folders: its last part may be a pattern with `*`. */
function roots(root: string): string[] {
  const parts = root.split('/');
  const at = parts.findIndex((p) => p.includes('*'));
  if (at < 0) return [root];
  const parent = parts.slice(0, at).join('/');
  const re = new RegExp(`^${parts[at]!.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`);
  const rest = parts.slice(at + 1).join('/');
  return list(parent)
    .filter((e) => re.test(e.name))
    .map((e) => path.join(parent, e.name, rest));
}

function walk(tree: Tree, out: SourceFile[]): void {
  for (const root of roots(tree.root)) {
    const visit = (dir: string, rel: string) => {
      for (const e of list(dir)) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (tree.skip?.test(r)) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) visit(p, r);
        else if (tree.match.test(r)) out.push({ file: p, kind: tree.kind });
      }
    };
    visit(root, '');
  }
}

/** Files whose prose the corpus is cut from, in a fixed order. */
export function sourceFiles(nodeModules: string, trees = true): SourceFile[] {
  const files: SourceFile[] = [];
  const text = (file: string) => files.push({ file, kind: 'text' });
  const licenses = '/usr/share/common-licenses';
  for (const e of list(licenses)) text(path.join(licenses, e.name));
  const doc = '/usr/share/doc';
  // git-doc's top-level .txt files are the AsciiDoc sources of its HTML pages (read below).
  for (const pkg of list(doc).filter((d) => d.name !== 'git-doc'))
    for (const e of list(path.join(doc, pkg.name)))
      if (/^(readme|news|faq|about|intro|overview|usage)|\.txt(\.gz)?$/i.test(e.name) && !/changelog/i.test(e.name))
        text(path.join(doc, pkg.name, e.name));
  const npm = (dir: string, depth: number) => {
    for (const e of list(dir)) {
      const p = path.join(dir, e.name);
      if (/^readme\.md$/i.test(e.name)) text(p);
      else if ((e.isDirectory() || e.isSymbolicLink()) && depth > 0 && e.name !== '.bin') npm(p, depth - 1);
    }
  };
  npm(nodeModules, 2);
  if (trees) for (const tree of TREES) walk(tree, files);
  return files;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** HTML to prose: scripts, styles and preformatted code dropped, tags removed, entities decoded. */
function htmlProse(html: string): string {
  return html
    .replace(/<(script|style|pre|code|head)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&([a-z]+);/gi, (_, n: string) => ENTITIES[n.toLowerCase()] ?? ' ');
}

/** Alternating-font macros: their words are text (joined, as they print). */
const FONT_MACROS = /^(B|I|SM|SB|BR|RB|IR|RI|BI|IB)$/;

/** A roff manual page to prose: requests dropped (font macros keep their words), escapes removed. */
function roffProse(src: string): string {
  const out: string[] = [];
  for (const raw of src.split('\n')) {
    let line = raw.replace(/\\".*$/, '');
    if (/^[.']/.test(line)) {
      const m = /^[.']\s*([A-Za-z]+)\s*(.*)$/.exec(line);
      if (!m || !FONT_MACROS.test(m[1]!)) {
        out.push('');
        continue;
      }
      const words = m[2]!.match(/"[^"]*"|\S+/g) ?? [];
      line = words.map((w) => w.replace(/"/g, '')).join(m[1]!.length === 2 ? '' : ' ');
    }
    out.push(
      line
        .replace(/\\f(\[[^\]]*\]|\(..|.)/g, '')
        .replace(/\\\*(\[[^\]]*\]|\(..|.)/g, '')
        .replace(/\\\((em|en)/g, ' - ')
        .replace(/\\(\(..|\[[^\]]*\])/g, ' ')
        .replace(/\\s[+-]?\d/g, '')
        .replace(/\\[&|^%:]/g, '')
        .replace(/\\e/g, '\\')
        .replace(/\\(.)/g, '$1'),
    );
  }
  return out.join('\n');
}

/** Perl POD to prose: commands and verbatim (indented) paragraphs dropped, formatting codes unwrapped. */
function podProse(src: string): string {
  const paragraphs = src.split(/\n\s*\n/).filter((p) => !/^[=\s]/.test(p));
  let text = paragraphs.join('\n\n').replace(/E<gt>/g, '>').replace(/E<lt>/g, '<');
  for (let i = 0; i < 3; i++)
    text = text
      .replace(/[A-Z]<<+\s+([\s\S]*?)\s+>>+/g, '$1')
      .replace(/[A-Z]<([^<>]*)>/g, (_, t: string) => t.split('|')[0]!);
  return text;
}

/** A dictd dictionary to prose: pronunciations (\…\), bracketed notes and cross-reference braces removed. */
function dictProse(src: string): string {
  return src
    .replace(/\\[^\\\n]*\\/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/[{}]/g, '');
}

/** The prose of one source file ('' when it cannot be read). */
export function proseOf(source: SourceFile): string {
  let text: string;
  try {
    const raw = fs.readFileSync(source.file);
    text = (/\.(gz|dz)$/.test(source.file) ? zlib.gunzipSync(raw) : raw).toString('utf8');
  } catch {
    return '';
  }
  switch (source.kind) {
    case 'html':
      return htmlProse(text);
    case 'roff':
      return roffProse(text);
    case 'pod':
      return podProse(text);
    case 'dict':
      return dictProse(text);
    default:
      return text;
  }
}
