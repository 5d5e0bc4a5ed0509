/**
 * docs/configuration.md's reference, generated from src/config/env.schema.ts: each key's
 * type, default and bounds from the schema the service validates with, its meaning from the
 * JSDoc above it, its section from the `// ## Heading` comments between the keys. A key
 * without a JSDoc fails the generation, so a new setting cannot go undocumented.
 * Written and checked by scripts/docs.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { EnvSchema } from '../src/config/env.schema.ts';
import { DEFAULT_STAGE_TIME_LIMITS_MS, FALLBACK_STAGE_TIME_LIMIT_MS } from '../src/pipeline/stage-limits.ts';
import { DEFAULT_SANDBOX_MEMORY_MB } from '../src/media/sandbox/sandbox.ts';
import { DEFAULT_DECODE_TIMEOUT_MS, DEFAULT_RENDER_TIMEOUT_MS } from '../src/media/sandbox/sandbox-limits.ts';
import { DEFAULT_MAX_OCR_PAGES } from '../src/media/document-text.ts';

const SCHEMA_FILE = path.resolve(import.meta.dirname, '../src/config/env.schema.ts');

interface KeyDoc {
  key: string;
  section: string;
  sectionIntro: string;
  description: string;
  /** A `@default` tag: the effective default when the schema's is a placeholder. */
  defaultNote?: string;
}

interface PropertySchema {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  pattern?: string;
  hint?: string;
  secret?: boolean;
}

/** Reads the keys in declaration order with their JSDoc and section. */
export function readKeyDocs(source = fs.readFileSync(SCHEMA_FILE, 'utf8')): KeyDoc[] {
  const file = ts.createSourceFile(SCHEMA_FILE, source, ts.ScriptTarget.Latest, true);
  let object: ts.ObjectLiteralExpression | undefined;
  file.forEachChild(function visit(node) {
    if (ts.isVariableDeclaration(node) && node.name.getText() === 'EnvSchema' && node.initializer) {
      const call = node.initializer;
      if (ts.isCallExpression(call) && call.arguments[0] && ts.isObjectLiteralExpression(call.arguments[0]))
        object = call.arguments[0];
    }
    node.forEachChild(visit);
  });
  if (!object) throw new Error('env.schema.ts: no EnvSchema = Type.Object({ … })');
  const docs: KeyDoc[] = [];
  let section = 'General';
  let sectionIntro = '';
  for (const property of object.properties) {
    const key = property.name?.getText() ?? '';
    for (const range of ts.getLeadingCommentRanges(source, property.pos) ?? []) {
      const text = source.slice(range.pos, range.end);
      const heading = /^\/\/ ## (.+)$/.exec(text);
      if (heading) {
        section = heading[1]!.trim();
        sectionIntro = '';
      } else if (text.startsWith('//')) sectionIntro = `${sectionIntro} ${text.slice(2).trim()}`.trim();
    }
    const jsDoc = ts.getJSDocCommentsAndTags(property).find(ts.isJSDoc);
    const description = ts.getTextOfJSDocComment(jsDoc?.comment)?.replace(/\s+/g, ' ').trim();
    if (!description) throw new Error(`env.schema.ts: ${key} has no JSDoc saying what it does`);
    const defaultTag = jsDoc?.tags?.find((t) => t.tagName.text === 'default');
    const defaultNote = ts.getTextOfJSDocComment(defaultTag?.comment)?.trim();
    docs.push({ key, section, sectionIntro, description, ...(defaultNote ? { defaultNote } : {}) });
  }
  return docs;
}

const code = (s: string) => `\`${s}\``;

function typeOf(s: PropertySchema): string {
  if (s.enum) return s.enum.map(code).join(', ');
  if (s.type === 'integer') return `integer ${s.minimum} … ${s.maximum}`;
  if (s.type === 'boolean') return 'true / false';
  if (s.type === 'array') return 'comma-separated list';
  const parts = [s.secret ? 'secret string (never logged)' : 'string'];
  if (s.hint) parts.push(s.hint);
  return parts.join(', ');
}

function defaultOf(s: PropertySchema, doc: KeyDoc): string {
  if (doc.defaultNote) return doc.defaultNote.startsWith('$') ? code(doc.defaultNote) : doc.defaultNote;
  if (s.default === undefined) return '–';
  if (Array.isArray(s.default)) return s.default.length === 0 ? 'empty' : code(s.default.join(','));
  if (s.default === '') return 'empty';
  return code(String(s.default));
}

/** Table cells may not hold a bare `|`. */
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The generated part of docs/configuration.md. */
export function renderConfiguration(docs = readKeyDocs()): string {
  const properties = EnvSchema.properties as Record<string, PropertySchema>;
  const declared = Object.keys(properties);
  const documented = docs.map((d) => d.key);
  if (declared.join() !== documented.join())
    throw new Error(`env.schema.ts keys and their docs differ: ${declared.join()} vs ${documented.join()}`);
  const out: string[] = [];
  const sections = [...new Set(docs.map((d) => d.section))];
  out.push(`${declared.length} settings in ${sections.length} groups: ${sections.map((s) => s).join(', ')}.`);
  for (const section of sections) {
    const keys = docs.filter((d) => d.section === section);
    out.push('', `### ${section}`, '');
    if (keys[0]!.sectionIntro) out.push(keys[0]!.sectionIntro, '');
    out.push('| variable | default | accepts | meaning |', '|---|---|---|---|');
    for (const d of keys) {
      const s = properties[d.key]!;
      out.push(`| ${code(d.key)} | ${cell(defaultOf(s, d))} | ${cell(typeOf(s))} | ${cell(d.description)} |`);
    }
    if (keys.some((d) => d.key === 'STAGE_TIME_LIMITS')) {
      out.push('', 'Hard time limits per stage when `STAGE_TIME_LIMITS` does not name the stage:', '');
      out.push('| stage | limit |', '|---|---:|');
      for (const [stage, ms] of Object.entries(DEFAULT_STAGE_TIME_LIMITS_MS)) out.push(`| ${stage} | ${ms} ms |`);
      out.push(`| any other stage | ${FALLBACK_STAGE_TIME_LIMIT_MS} ms |`);
    }
  }
  out.push(
    '',
    '### Fixed limits',
    '',
    'Not configurable (`src/media/sandbox/sandbox.ts`, `sandbox-limits.ts`): the decoders a hostile ' +
      'file can blow up (pdf.js for the PDF probe and text, mammoth, the HTML stripper, OCR of scanned ' +
      `PDF pages) run in a child process with a ${DEFAULT_SANDBOX_MEMORY_MB} MiB ceiling (V8 heap limit ` +
      `plus a resident-memory watchdog) and ${DEFAULT_DECODE_TIMEOUT_MS / 1000} s per decode; each PDF ` +
      `page rendered for OCR gets ${DEFAULT_RENDER_TIMEOUT_MS / 1000} s, and at most ${DEFAULT_MAX_OCR_PAGES} ` +
      "pages are OCR'd per document. Past the ceiling or the time the child is killed and the analysis " +
      'fails with `MEDIA_TOO_COMPLEX` (no retry); the worker carries on.',
  );
  return out.join('\n');
}
