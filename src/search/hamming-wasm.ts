/**
 * Hamming distances of 64-byte sign codes in WebAssembly: eight 64-bit XORs and POPCNTs
 * per code, where JavaScript has only 32-bit bit tricks (several times slower; see
 * docs/decisions/0010-measured-choices.md).
 * The module is assembled here from its opcodes (nothing to download or build), two
 * functions over a memory the caller provides (imported as env.memory):
 *
 *   hamming(codes, n, query, out, hist): for i < n,
 *     d = Σ_k popcnt(load64(codes + 64 i + 8 k) ^ load64(query + 8 k)), k < 8
 *     out[i] (u16) = d; hist[d] (u32) += 1
 *
 *   collect(dists, n, threshold, quota, positions, limit) → count: in order of i, the
 *     positions i with dists[i] < threshold, and the first `quota` with dists[i] =
 *     threshold, written as u32 until `limit` are taken. It compares eight distances at
 *     once (128-bit SIMD) and skips the eight when none is at or below the threshold.
 *
 * The histogram tells the caller the distance at which k codes have been seen; collect
 * then takes them in one pass (both loops in JavaScript cost more than the scan itself).
 */

const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32LtU: 0x49,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Xor: 0x85,
  i32WrapI64: 0xa7,
} as const;
/** The histogram's counters: one per possible distance (0-512). */
export const HISTOGRAM_SIZE = 513;
const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;
/** The prefix of the fixed-width SIMD instructions, and the ones used (their numbers follow it as LEB128). */
const SIMD = 0xfd;
const SIMD_OP = { v128Load: 0x00, i16x8Splat: 0x10, i16x8LeU: 0x34, v128AnyTrue: 0x53 } as const;
const VOID_BLOCK = 0x40;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'utf8')];
}

/** hamming(codes, n, query, out, hist). */
function hammingBody(): number[] {
  // Params: 0 codes, 1 n, 2 query, 3 out, 4 hist. Locals: 5 i, 6 p, 7 d, 8 h (i32); 9..16 the query's words (i64).
  const [codes, n, query, out, hist, i, p, d, h] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const q = (k: number) => 9 + k;
  const body: number[] = [];
  for (let k = 0; k < 8; k++) body.push(OP.localGet, query, OP.i64Load, 3, ...uleb(8 * k), OP.localSet, q(k));
  body.push(OP.localGet, codes, OP.localSet, p);
  body.push(OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK);
  body.push(OP.localGet, i, OP.localGet, n, OP.i32GeU, OP.brIf, 1);
  for (let k = 0; k < 8; k++) {
    body.push(OP.localGet, p, OP.i64Load, 3, ...uleb(8 * k), OP.localGet, q(k), OP.i64Xor, OP.i64Popcnt);
    if (k > 0) body.push(OP.i64Add);
  }
  body.push(OP.i32WrapI64, OP.localSet, d);
  // out[i] = d
  body.push(OP.localGet, out, OP.localGet, i, OP.localGet, i, OP.i32Add, OP.i32Add, OP.localGet, d);
  body.push(OP.i32Store16, 1, 0);
  // hist[d] += 1
  body.push(OP.localGet, hist, OP.localGet, d, OP.i32Const, 2, OP.i32Shl, OP.i32Add, OP.localTee, h);
  body.push(OP.localGet, h, OP.i32Load, 2, 0, OP.i32Const, 1, OP.i32Add, OP.i32Store, 2, 0);
  body.push(OP.localGet, p, OP.i32Const, ...sleb(64), OP.i32Add, OP.localSet, p);
  body.push(OP.localGet, i, OP.i32Const, 1, OP.i32Add, OP.localSet, i);
  body.push(OP.br, 0, OP.end, OP.end, OP.end);
  return [2, ...uleb(4), I32, ...uleb(8), I64, ...body];
}

/** collect(dists, n, threshold, quota, positions, limit) → count. */
function collectBody(): number[] {
  // Params: 0 dists, 1 n, 2 threshold, 3 quota, 4 positions, 5 limit. Locals: 6 i, 7 c, 8 d (i32), 9 t (v128).
  const [dists, n, threshold, quota, positions, limit, i, c, d, t] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const body: number[] = [];
  // t = the threshold in each of eight 16-bit lanes
  body.push(OP.localGet, threshold, SIMD, ...uleb(SIMD_OP.i16x8Splat), OP.localSet, t);
  body.push(OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK);
  body.push(OP.localGet, i, OP.localGet, n, OP.i32GeU, OP.brIf, 1);
  body.push(OP.localGet, c, OP.localGet, limit, OP.i32GeU, OP.brIf, 1);
  // Eight distances at once: when all eight are above the threshold (most of the codes), skip
  // them. The pool is a few thousand of a million codes, so this loop rarely looks at one alone.
  body.push(OP.localGet, i, OP.i32Const, 8, OP.i32Add, OP.localGet, n, OP.i32LeU, OP.if, VOID_BLOCK);
  body.push(OP.localGet, dists, OP.localGet, i, OP.localGet, i, OP.i32Add, OP.i32Add);
  body.push(SIMD, ...uleb(SIMD_OP.v128Load), 0, 0, OP.localGet, t, SIMD, ...uleb(SIMD_OP.i16x8LeU));
  body.push(SIMD, ...uleb(SIMD_OP.v128AnyTrue), OP.i32Eqz, OP.if, VOID_BLOCK);
  body.push(OP.localGet, i, OP.i32Const, 8, OP.i32Add, OP.localSet, i, OP.br, 2);
  body.push(OP.end, OP.end);
  // d = dists[i]
  body.push(OP.localGet, dists, OP.localGet, i, OP.localGet, i, OP.i32Add, OP.i32Add, OP.i32Load16U, 1, 0);
  body.push(OP.localSet, d);
  // take = d < threshold | (d == threshold & quota != 0)
  body.push(OP.localGet, d, OP.localGet, threshold, OP.i32LtU);
  body.push(OP.localGet, d, OP.localGet, threshold, OP.i32Eq, OP.localGet, quota, OP.i32Eqz, OP.i32Eqz, OP.i32And);
  body.push(OP.i32Or, OP.if, VOID_BLOCK);
  // positions[c] = i; c += 1; a code at the threshold uses up the quota
  body.push(OP.localGet, positions, OP.localGet, c, OP.i32Const, 2, OP.i32Shl, OP.i32Add, OP.localGet, i);
  body.push(OP.i32Store, 2, 0);
  body.push(OP.localGet, c, OP.i32Const, 1, OP.i32Add, OP.localSet, c);
  body.push(OP.localGet, d, OP.localGet, threshold, OP.i32Eq, OP.if, VOID_BLOCK);
  body.push(OP.localGet, quota, OP.i32Const, 1, OP.i32Sub, OP.localSet, quota);
  body.push(OP.end, OP.end);
  body.push(OP.localGet, i, OP.i32Const, 1, OP.i32Add, OP.localSet, i);
  body.push(OP.br, 0, OP.end, OP.end, OP.localGet, c, OP.end);
  return [2, ...uleb(3), I32, ...uleb(1), V128, ...body];
}

/** The module's bytes (version 1 binary format: type, import, function, export and code sections). */
export function hammingModuleBytes(): Uint8Array {
  const bodies = [hammingBody(), collectBody()];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    // types: 0 (i32 ×5) -> (), 1 (i32 ×6) -> (i32)
    ...section(1, [2, 0x60, 5, I32, I32, I32, I32, I32, 0, 0x60, 6, I32, I32, I32, I32, I32, I32, 1, I32]),
    // import env.memory (min 1 page)
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]),
    // two functions, of types 0 and 1
    ...section(3, [2, 0, 1]),
    ...section(7, [2, ...name('hamming'), 0x00, 0, ...name('collect'), 0x00, 1]),
    ...section(10, [2, ...bodies.flatMap((b) => [...uleb(b.length), ...b])]),
  ]);
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** `hamming(codes, n, query, out, hist)` over `memory` (byte offsets; `out` 2-byte, `hist` 4-byte aligned). */
export type HammingFn = (codes: number, n: number, query: number, out: number, hist: number) => void;
/** `collect(dists, n, threshold, quota, positions, limit)` → how many positions were written. */
export type CollectFn = (
  dists: number,
  n: number,
  threshold: number,
  quota: number,
  positions: number,
  limit: number,
) => number;

let compiled: WebAssembly.Module | null = null;

/** An instance of the module over `memory` (the module is compiled once per process). */
export function hammingOver(memory: WebAssembly.Memory): { hamming: HammingFn; collect: CollectFn } {
  compiled ??= new WebAssembly.Module(hammingModuleBytes());
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return { hamming: instance.exports.hamming as HammingFn, collect: instance.exports.collect as CollectFn };
}
