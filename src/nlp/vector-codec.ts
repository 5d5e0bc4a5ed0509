/**
 * How embeddings are stored and compared. A 512-d unit vector is kept as int8
 * (512 bytes, scaled so its largest component is ±127) for exact scoring, and as its
 * sign bits (64 bytes) for the fast first pass of the index: the Hamming distance of
 * sign codes estimates the angle between two vectors (SimHash), so the true nearest
 * neighbours are almost always among the nearest codes, and the int8 re-scoring puts
 * them in exact order. A second 64-byte plane, the magnitude bits, says for each
 * component whether it is large or small for its vector; with the sign bits that is a
 * 2-bit code that ranks candidates in memory far more closely than the signs alone
 * (docs/decisions/0006-semantic-index.md).
 */
export const CODE_BYTES = 64;
export const CODE_WORDS = CODE_BYTES / 4;

export function quantizeInt8(v: Float32Array): Buffer {
  let max = 0;
  for (const x of v) max = Math.max(max, Math.abs(x));
  const scale = max > 0 ? 127 / max : 0;
  const out = Buffer.alloc(v.length);
  for (let i = 0; i < v.length; i++) out.writeInt8(Math.max(-127, Math.min(127, Math.round(v[i]! * scale))), i);
  return out;
}

export function signCode(v: Float32Array): Buffer {
  const out = Buffer.alloc(CODE_BYTES);
  for (let i = 0; i < v.length && i < CODE_BYTES * 8; i++) if (v[i]! > 0) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/**
 * Magnitude bits of an int8 vector: bit i is set when |x_i| exceeds 0.9816 × the
 * vector's root mean square — the split of a Gaussian's magnitudes that, with the levels
 * in MAGNITUDE_LEVELS, loses least (Lloyd–Max, 4 levels). Compared in integers
 * (2500 · n · x_i² > 2409 · Σ x², 2409/2500 ≈ 0.9816²), so every process computes the same bits.
 */
export function magnitudeCode(int8: Uint8Array): Buffer {
  const x = new Int8Array(int8.buffer, int8.byteOffset, Math.min(int8.length, CODE_BYTES * 8));
  let sumSquares = 0;
  for (const b of x) sumSquares += b * b;
  const out = Buffer.alloc(CODE_BYTES);
  const cut = 2409 * sumSquares;
  for (let i = 0; i < x.length; i++) if (2500 * x.length * x[i]! * x[i]! > cut) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** A component's magnitude as the 2-bit code reconstructs it, in units of the vector's RMS: small, large. */
export const MAGNITUDE_LEVELS = [0.4528, 1.51] as const;

/** Cosine similarity of a float query (any norm) and an int8 vector. */
export function cosineInt8(query: Float32Array, int8: Uint8Array): number {
  return cosinesInt8(query, [int8])[0]!;
}

/**
 * Cosine similarity of a float query (any norm) and each int8 vector: the query's norm
 * once, the bytes read as signed through an Int8Array view (the hot loop of re-scoring a
 * search's candidates: about 1 µs a vector).
 */
export function cosinesInt8(query: Float32Array, vectors: readonly Uint8Array[]): Float64Array {
  let qq = 0;
  for (let i = 0; i < query.length; i++) qq += query[i]! * query[i]!;
  const out = new Float64Array(vectors.length);
  if (qq <= 0) return out;
  const n = query.length;
  for (let v = 0; v < vectors.length; v++) {
    const bytes = vectors[v]!;
    const x = new Int8Array(bytes.buffer, bytes.byteOffset, Math.min(n, bytes.length));
    let dot = 0;
    let xx = 0;
    for (let i = 0; i < x.length; i++) {
      const b = x[i]!;
      dot += query[i]! * b;
      xx += b * b;
    }
    out[v] = xx > 0 ? dot / Math.sqrt(qq * xx) : 0;
  }
  return out;
}

/** Bits set in a 32-bit word. */
export function popcount32(n: number): number {
  n = n - ((n >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
