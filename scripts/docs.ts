/**
 * The generated parts of README.md and docs/: each lives between two markers in its file
 * and is rendered from what it describes (the env schema, the stage list, bench/results,
 * a stored real analysis), so no figure or setting is typed by hand.
 *   node scripts/docs.ts          rewrite every block
 *   node scripts/docs.ts --check  exit 1 naming each stale block (in `npm run check`;
 *                                 test/docs.test.ts runs the same comparison in `npm test`)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { QualityResults } from '../bench/quality/report.ts';
import { renderConfiguration } from './docs-config.ts';
import { renderBenchmarks } from './docs-benchmarks.ts';
import { renderSearchSize } from './docs-capacity.ts';
import { renderPipeline } from './docs-pipeline.ts';
import { renderExcerpt } from './docs-excerpt.ts';
import { END, START, renderQualityBlock, renderQualitySummary } from './readme-quality.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface GeneratedBlock {
  /** Path from the repository root. */
  file: string;
  name: string;
  render: () => string;
  /** Markers of a block that keeps its own (the quality table's); else `generated:<name>`. */
  markers?: [start: string, end: string];
}

const quality = () =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results/quality.json'), 'utf8')) as QualityResults;

export const BLOCKS: GeneratedBlock[] = [
  { file: 'README.md', name: 'excerpt', render: () => renderExcerpt() },
  { file: 'README.md', name: 'quality-summary', render: () => renderQualitySummary(quality()) },
  { file: 'docs/configuration.md', name: 'configuration', render: () => renderConfiguration() },
  { file: 'docs/pipeline.md', name: 'pipeline', render: () => renderPipeline() },
  { file: 'docs/benchmarks.md', name: 'benchmarks', render: () => renderBenchmarks() },
  { file: 'docs/capacity.md', name: 'search-size', render: () => renderSearchSize() },
  {
    file: 'docs/quality.md',
    name: 'quality',
    // The markers are part of what renderQualityBlock returns.
    render: () => renderQualityBlock(quality()).slice(START.length + 1, -(END.length + 1)),
    markers: [START, END],
  },
];

function markersOf(block: GeneratedBlock): [string, string] {
  return (
    block.markers ?? [
      `<!-- generated:${block.name} (node scripts/docs.ts; do not edit) -->`,
      `<!-- /generated:${block.name} -->`,
    ]
  );
}

/** The text between a block's markers in `text`, or null when the markers are missing. */
export function blockContent(text: string, block: GeneratedBlock): string | null {
  const [start, end] = markersOf(block);
  const a = text.indexOf(start);
  const b = text.indexOf(end, a);
  return a < 0 || b < 0 ? null : text.slice(a + start.length + 1, b - 1);
}

/** Each block whose file holds something other than what it renders to (or lacks the markers). */
export function staleBlocks(blocks = BLOCKS): { block: GeneratedBlock; reason: string }[] {
  const stale: { block: GeneratedBlock; reason: string }[] = [];
  for (const block of blocks) {
    const text = fs.readFileSync(path.join(ROOT, block.file), 'utf8');
    const current = blockContent(text, block);
    if (current === null) stale.push({ block, reason: 'has no markers' });
    else if (current !== block.render()) stale.push({ block, reason: 'is stale' });
  }
  return stale;
}

/**
 * Replaces one block whose content comes from a run rather than a file (the CLI's and the
 * SDK's real output, written by scripts/readme-cli-sdk.ts).
 */
export function writeBlock(file: string, name: string, content: string): void {
  write({ file, name, render: () => content });
}

function write(block: GeneratedBlock): void {
  const file = path.join(ROOT, block.file);
  const text = fs.readFileSync(file, 'utf8');
  const current = blockContent(text, block);
  if (current === null) throw new Error(`${block.file} has no markers for the ${block.name} block`);
  const [start] = markersOf(block);
  const at = text.indexOf(start) + start.length + 1;
  fs.writeFileSync(file, text.slice(0, at) + block.render() + text.slice(at + current.length));
}

function main(): void {
  if (process.argv.includes('--check')) {
    const stale = staleBlocks();
    for (const { block, reason } of stale)
      process.stderr.write(`${block.file}: the generated ${block.name} block ${reason}\n`);
    if (stale.length > 0) {
      process.stderr.write('run: node scripts/docs.ts\n');
      process.exit(1);
    }
    return;
  }
  for (const block of BLOCKS) write(block);
}

if (import.meta.main) main();
