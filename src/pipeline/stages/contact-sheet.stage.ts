/**
 * Contact sheet: the extracted frames on a grid (default 2 rows × 3 columns on
 * 1920×1080) with a timestamp on each tile, stored under `contact-sheets/{date}/{id}/`
 * with a contact_sheets row.
 */
import fs from 'node:fs/promises';
import { storeArtifact } from '../artifacts.ts';
import { wantsContactSheet } from './frames.stage.ts';
import { allOf, unless, type ExtractedFrame, type Stage } from '../stage.ts';
import type { Shot } from '../../media/shots.ts';

/**
 * The frames on the sheet: with shots, every distinct scene first (the scenes with the
 * most screen time when there are more scenes than tiles), then a second frame of each,
 * and so on; otherwise spread over all frames. Always in time order.
 */
export function pickSheetFrames(frames: ExtractedFrame[], tiles: number, shots?: Shot[]): ExtractedFrame[] {
  if (frames.length <= tiles) return frames;
  if (!shots || shots.length < 2) {
    const step = frames.length / tiles;
    return Array.from({ length: tiles }, (_, i) => frames[Math.floor(i * step)]!);
  }
  const sceneOf = new Map(shots.map((s) => [s.index, s.scene]));
  const time = new Map<number, number>();
  for (const s of shots) time.set(s.scene, (time.get(s.scene) ?? 0) + s.end - s.start);
  const byScene = new Map<number, ExtractedFrame[]>();
  for (const f of frames) {
    const scene = sceneOf.get(f.shot ?? -1) ?? -1;
    byScene.set(scene, [...(byScene.get(scene) ?? []), f]);
  }
  const ranked = [...byScene.keys()].sort((a, b) => (time.get(b) ?? 0) - (time.get(a) ?? 0));
  const chosen = new Set<ExtractedFrame>();
  for (let round = 0; chosen.size < tiles && round < frames.length; round++) {
    for (const scene of ranked) {
      const f = byScene.get(scene)?.[round];
      if (f && chosen.size < tiles) chosen.add(f);
    }
  }
  return [...chosen].sort((a, b) => a.seconds - b.seconds);
}

export const contactSheetStage: Stage = {
  name: 'contact_sheet',
  needs: ['frames'],
  produces: ['contact_sheet'],
  optional: true,
  appliesTo: (ctx) =>
    allOf(
      unless(wantsContactSheet(ctx), 'generate_contact_sheet is off'),
      unless((ctx.frames?.length ?? 0) > 0, 'no frame could be extracted'),
    ),
  async run(ctx) {
    const { composeContactSheet, parseGrid } = ctx.deps.tools.contactSheet;
    const { config, repositories } = ctx.deps;
    const grid = ctx.analysis.options.contact_sheet_grid ?? config.media.contactSheet.grid;
    const { rows, cols } = parseGrid(grid);
    const { width, height } = config.media.contactSheet;
    const frames = ctx.frames!;
    const picked = pickSheetFrames(frames, rows * cols, ctx.shots?.shots);
    const started = performance.now();
    const image = await composeContactSheet(
      await Promise.all(picked.map(async (f) => ({ image: await fs.readFile(f.absolutePath), seconds: f.seconds }))),
      { cols, rows, width, height },
    );
    const stored = await storeArtifact(ctx, 'contact-sheets', 'contact-sheet.jpg', image, 'image/jpeg');
    // A re-run (after a crash or a retry) replaces the earlier sheet's row.
    await repositories.contactSheets.replace(ctx.deps.db, {
      analysisId: ctx.analysis.id,
      mediaFileId: stored.id,
      path: stored.relativePath,
      framesCount: picked.length,
      grid: `${rows}x${cols}`,
      resolution: `${width}x${height}`,
      sizeBytes: stored.sizeBytes,
      checksum: stored.sha256,
    });
    ctx.results.contact_sheet = {
      path: stored.relativePath,
      grid: `${rows}x${cols}`,
      resolution: `${width}x${height}`,
      frames: picked.map((f) => f.seconds),
      size_bytes: stored.sizeBytes,
      compose_ms: Math.round(performance.now() - started),
    };
  },
};
