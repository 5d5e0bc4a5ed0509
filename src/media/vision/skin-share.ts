/**
 * Exposed skin inside person boxes: context for the moderation verdict. nsfwjs's "Sexy"
 * class fires on sport (a football player scores 0.89) because it sees bare arms and legs
 * and a body in motion; a verdict of "suggestive" should also need much of the people to
 * be bare skin. Pure code over raw RGB pixels.
 */
import type { Box, SkinShare } from './vision.types.ts';

/**
 * The RGB skin rule for daylight pictures of Peer, Kovač and Solina (2003), as used by
 * Kovač et al. "Human skin colour clustering for face detection" (EUROCON 2003):
 * R > 95, G > 40, B > 20, max − min > 15, |R − G| > 15, R > G, R > B.
 */
const SKIN = { minR: 95, minG: 40, minB: 20, minSpread: 15, minRG: 15 } as const;

export function isSkin(r: number, g: number, b: number): boolean {
  return (
    r > SKIN.minR &&
    g > SKIN.minG &&
    b > SKIN.minB &&
    Math.max(r, g, b) - Math.min(r, g, b) > SKIN.minSpread &&
    Math.abs(r - g) > SKIN.minRG &&
    r > g &&
    r > b
  );
}

/** Below this share of coloured pixels (channel spread above SKIN.minSpread) a region is grey. */
const MIN_COLOURED_SHARE = 0.01;
/**
 * Every STRIDE-th pixel of every STRIDE-th row is looked at: a share over ~1/4 of the pixels
 * of an 800-px picture is as good a context, at a few milliseconds instead of ~150.
 */
const STRIDE = 2;

/**
 * Share of skin pixels inside the union of `people` boxes (fractions of the picture), or
 * over the whole picture when there is no box. `data` is packed RGB, `width`×`height`.
 * Null when the region is grey: skin colour cannot be told there, which is not "no skin".
 */
export function skinShare(data: Uint8Array, width: number, height: number, people: readonly Box[]): SkinShare | null {
  // The union of the boxes as a mask (1 = inside a person box), or everything.
  const mask = new Uint8Array(width * height);
  if (people.length === 0) mask.fill(1);
  for (const [bx, by, bw, bh] of people) {
    const x0 = Math.max(0, Math.floor(bx * width));
    const x1 = Math.min(width, Math.ceil((bx + bw) * width));
    const y0 = Math.max(0, Math.floor(by * height));
    const y1 = Math.min(height, Math.ceil((by + bh) * height));
    for (let y = y0; y < y1; y++) mask.fill(1, y * width + x0, y * width + x1);
  }
  let counted = 0;
  let skin = 0;
  let coloured = 0;
  for (let y = 0; y < height; y += STRIDE)
    for (let x = 0; x < width; x += STRIDE) {
      const p = y * width + x;
      if (mask[p] === 0) continue;
      counted++;
      const r = data[p * 3]!;
      const g = data[p * 3 + 1]!;
      const b = data[p * 3 + 2]!;
      if (Math.max(r, g, b) - Math.min(r, g, b) > SKIN.minSpread) coloured++;
      if (isSkin(r, g, b)) skin++;
    }
  if (counted === 0 || coloured < counted * MIN_COLOURED_SHARE) return null;
  return {
    share: Math.round((skin / counted) * 1000) / 1000,
    region: people.length === 0 ? 'picture' : 'people',
  };
}
