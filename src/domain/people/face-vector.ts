/**
 * Face description vectors: unit length, stored as float32 (exact comparison), and a
 * 256-number int8 sketch — a fixed random projection (Johnson–Lindenstrauss: dot products
 * are kept approximately) — that the matcher holds in memory (face-index.ts) for its
 * candidates before comparing their full vectors. bench/people.bench.ts measures the
 * recall of that fast path.
 */

/** faceres's description length. */
export const FACE_VECTOR_LENGTH = 1024;
/** Numbers in a sketch. */
export const SKETCH_LENGTH = 256;

/** The vector scaled to unit length (cosine similarity is then a dot product). */
export function unitVector(values: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < values.length; i++) norm += values[i]! * values[i]!;
  const out = new Float32Array(values.length);
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scale;
  return out;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

/** float32 little endian, as stored in face_appearances.vector. */
export function vectorBytes(v: Float32Array): Buffer {
  const out = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

export function vectorFromBytes(b: Buffer): Float32Array {
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/** mulberry32: a small seeded generator, so every process draws the same projection. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The projection's seed: changing it changes every stored sketch (a migration would recompute them). */
const PROJECTION_SEED = 0x5eed_face;
let projection: Float32Array | null = null;

/** SKETCH_LENGTH × FACE_VECTOR_LENGTH entries of ±1/√SKETCH_LENGTH (a sign random projection). */
function projectionMatrix(): Float32Array {
  if (projection) return projection;
  const next = seeded(PROJECTION_SEED);
  const m = new Float32Array(SKETCH_LENGTH * FACE_VECTOR_LENGTH);
  const scale = 1 / Math.sqrt(SKETCH_LENGTH);
  for (let i = 0; i < m.length; i++) m[i] = next() < 0.5 ? -scale : scale;
  projection = m;
  return m;
}

/**
 * The sketch of a unit vector: its projection, scaled so that ±1 maps to ±127 (a unit
 * vector's projection has entries of about ±1/√256, so the scale is 127 × 4 and entries
 * are clamped; the dot product of two sketches then approximates the cosine × 127² × 16).
 */
export function sketch(unit: Float32Array): Buffer {
  const m = projectionMatrix();
  const out = Buffer.alloc(SKETCH_LENGTH);
  const n = unit.length;
  for (let r = 0; r < SKETCH_LENGTH; r++) {
    let sum = 0;
    const row = r * n;
    for (let c = 0; c < n; c++) sum += m[row + c]! * unit[c]!;
    out.writeInt8(Math.max(-127, Math.min(127, Math.round(sum * 127 * 4))), r);
  }
  return out;
}
