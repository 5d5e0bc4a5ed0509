/**
 * Scenes: shots that look alike. Each shot's appearance signature is a tiny thumbnail
 * of its representative moment, from the shots pass (shots.ts); shots whose signatures
 * are within a calibrated distance show one scene (the same picture shown again: an
 * interview's two cameras cut back and forth, a place the video returns to). Pure
 * functions.
 */

/** How different two signatures are: the mean absolute difference of their bytes, 0 (same) to 1. */
export function signatureDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) return 1;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / (a.length * 255);
}

/**
 * The scene of each shot, in order: a shot joins the nearest earlier scene whose first
 * shot's signature is within `maxDistance`, otherwise it opens a new scene. Comparing with
 * a scene's first shot, not with every member, keeps a slow drift from chaining unlike
 * shots into one scene, and the work to shots x scenes comparisons of 36 bytes.
 * Scenes are numbered by first appearance; a shot without a signature is a scene of its own.
 */
export function groupScenes(signatures: Array<Uint8Array | null>, maxDistance: number): number[] {
  const firsts: Array<Uint8Array | null> = [];
  return signatures.map((sig) => {
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    if (sig)
      firsts.forEach((first, i) => {
        const d = first ? signatureDistance(sig, first) : Number.POSITIVE_INFINITY;
        if (d < bestDistance) {
          bestDistance = d;
          best = i;
        }
      });
    if (best >= 0 && bestDistance <= maxDistance) return best;
    return firsts.push(sig) - 1;
  });
}
