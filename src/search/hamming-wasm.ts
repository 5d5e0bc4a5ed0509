/**
 * Hamming distances of 64-byte sign codes in WebAssembly: eight 64-bit XORs and POPCNTs
 * per code, where JavaScript has only 32-bit bit tricks (about 10× slower at 1M codes).
 * The module is assembled here from its opcodes (nothing to download or build), one
 * function:
 *
 *   hamming(codes, n, query, out): for i < n,
 *     out[i] (u16) = Σ_k popcnt(load64(codes + 64 i + 8 k) ^ load64(query + 8 k)), k < 8
 *
 * over a memory the caller provides (imported as env.memory).
 */

const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i64Load: 0x29,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Xor: 0x85,
  i32WrapI64: 0xa7,
} as const;
const I32 = 0x7f;
const I64 = 0x7e;
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

/** The module's bytes (version 1 binary format: type, import, function, export and code sections). */
export function hammingModuleBytes(): Uint8Array {
  // Params: 0 codes, 1 n, 2 query, 3 out. Locals: 4 i, 5 p (i32); 6..13 the query's words (i64).
  const [codes, n, query, out, i, p] = [0, 1, 2, 3, 4, 5];
  const q = (k: number) => 6 + k;
  const body: number[] = [];
  for (let k = 0; k < 8; k++) body.push(OP.localGet, query, OP.i64Load, 3, ...uleb(8 * k), OP.localSet, q(k));
  body.push(OP.localGet, codes, OP.localSet, p);
  body.push(OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK);
  body.push(OP.localGet, i, OP.localGet, n, OP.i32GeU, OP.brIf, 1);
  // out + 2 i: the address to store at (the distance is pushed next).
  body.push(OP.localGet, out, OP.localGet, i, OP.localGet, i, OP.i32Add, OP.i32Add);
  for (let k = 0; k < 8; k++) {
    body.push(OP.localGet, p, OP.i64Load, 3, ...uleb(8 * k), OP.localGet, q(k), OP.i64Xor, OP.i64Popcnt);
    if (k > 0) body.push(OP.i64Add);
  }
  body.push(OP.i32WrapI64, OP.i32Store16, 1, 0);
  body.push(OP.localGet, p, OP.i32Const, ...sleb(64), OP.i32Add, OP.localSet, p);
  body.push(OP.localGet, i, OP.i32Const, 1, OP.i32Add, OP.localSet, i);
  body.push(OP.br, 0, OP.end, OP.end, OP.end);
  const locals = [2, ...uleb(2), I32, ...uleb(8), I64];
  const func = [...locals, ...body];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    // type: (i32 i32 i32 i32) -> ()
    ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]),
    // import env.memory (min 1 page)
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]),
    // one function of type 0
    ...section(3, [1, 0]),
    // export "hamming"
    ...section(7, [1, ...name('hamming'), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
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

/** `hamming(codes, n, query, out)` over `memory` (byte offsets; `out` 2-byte aligned). */
export type HammingFn = (codes: number, n: number, query: number, out: number) => void;

let compiled: WebAssembly.Module | null = null;

/** An instance of the module over `memory` (the module is compiled once per process). */
export function hammingOver(memory: WebAssembly.Memory): HammingFn {
  compiled ??= new WebAssembly.Module(hammingModuleBytes());
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return instance.exports.hamming as HammingFn;
}
