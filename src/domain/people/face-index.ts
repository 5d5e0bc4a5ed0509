/**
 * One tenant's faces held in memory for matching: the int8 sketch of every stored
 * appearance (face-vector.ts) in one contiguous buffer, and the sketch's signs packed as
 * bits. A match scans the bits first (Hamming distance: eight 32-bit words a face, the
 * angle between two sketches as random hyperplanes see it), keeps the PREFILTER closest,
 * re-ranks those on their int8 sketches, and hands the best few to the exact comparison.
 * bench/people.bench.ts measures the recall of this path against an exact comparison with
 * every stored vector.
 *
 * Rows only ever arrive with growing ids (appended as the index catches up with the
 * database); a deleted or moved appearance may linger here, but candidates are read back
 * from PostgreSQL with their current person, so a stale one is simply not found.
 */
import { SKETCH_LENGTH } from './face-vector.ts';

/** 32-bit words of sign bits a face. */
const WORDS = SKETCH_LENGTH / 32;
/** Faces kept from the bit scan for the int8 re-rank. */
export const PREFILTER = 1024;
/** Room for faces allocated at first (the buffers double as they fill). */
const INITIAL_CAPACITY = 1024;

/** Bits set in a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The signs of a sketch as WORDS words (bit i set when entry i is positive). */
export function signWords(sketch: Int8Array, into = new Uint32Array(WORDS), at = 0): Uint32Array {
  for (let w = 0; w < WORDS; w++) {
    let word = 0;
    for (let b = 0; b < 32; b++) if (sketch[w * 32 + b]! > 0) word |= 1 << b;
    into[at + w] = word >>> 0;
  }
  return into;
}

function int8(b: Buffer): Int8Array {
  return new Int8Array(b.buffer, b.byteOffset, b.length);
}

export class FaceIndex {
  /** The id of the last appearance appended (the catch-up reads what came after). */
  lastId = '0';
  private count = 0;
  private ids = new Float64Array(INITIAL_CAPACITY);
  private sketches = new Int8Array(INITIAL_CAPACITY * SKETCH_LENGTH);
  private bits = new Uint32Array(INITIAL_CAPACITY * WORDS);
  /** Scratch for one scan's distances (reused: matches of a tenant run one at a time, under its lock). */
  private distances = new Uint16Array(INITIAL_CAPACITY);

  get size(): number {
    return this.count;
  }

  /** Memory held, in bytes. */
  get bytes(): number {
    return this.ids.byteLength + this.sketches.byteLength + this.bits.byteLength + this.distances.byteLength;
  }

  /** Appends appearances (ids ascending, after `lastId`) with their sketches end to end. */
  append(ids: readonly string[], sketches: Buffer): void {
    if (sketches.length !== ids.length * SKETCH_LENGTH) throw new Error('one sketch per id');
    // Two catch-ups that read the same rows (a match and a suggestion at once) append them once.
    const skip = ids.findIndex((id) => Number(id) > Number(this.lastId));
    if (skip < 0) return;
    if (skip > 0) return this.append(ids.slice(skip), sketches.subarray(skip * SKETCH_LENGTH));
    this.reserve(this.count + ids.length);
    const codes = int8(sketches);
    this.sketches.set(codes, this.count * SKETCH_LENGTH);
    for (let k = 0; k < ids.length; k++) {
      this.ids[this.count + k] = Number(ids[k]);
      signWords(codes.subarray(k * SKETCH_LENGTH, (k + 1) * SKETCH_LENGTH), this.bits, (this.count + k) * WORDS);
    }
    this.count += ids.length;
    this.lastId = ids.at(-1)!;
  }

  /** The ids of the `k` stored faces whose sketches are closest to `query`, best first. */
  candidates(query: Buffer, k: number): string[] {
    const n = this.count;
    if (n === 0) return [];
    const q = int8(query);
    const qb = signWords(q);
    const d = this.distances;
    const bits = this.bits;
    const [q0, q1, q2, q3, q4, q5, q6, q7] = qb as unknown as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    // Hamming distances to every face, and how many faces sit at each distance.
    const histogram = new Uint32Array(SKETCH_LENGTH + 1);
    for (let i = 0, b = 0; i < n; i++, b += WORDS) {
      const dist =
        popcount(bits[b]! ^ q0) +
        popcount(bits[b + 1]! ^ q1) +
        popcount(bits[b + 2]! ^ q2) +
        popcount(bits[b + 3]! ^ q3) +
        popcount(bits[b + 4]! ^ q4) +
        popcount(bits[b + 5]! ^ q5) +
        popcount(bits[b + 6]! ^ q6) +
        popcount(bits[b + 7]! ^ q7);
      d[i] = dist;
      histogram[dist]!++;
    }
    // The PREFILTER closest: every face under the cut-off distance, then faces at it until full.
    let cut = 0;
    for (let seen = 0; cut <= SKETCH_LENGTH && seen + histogram[cut]! < PREFILTER; cut++) seen += histogram[cut]!;
    const kept: number[] = [];
    const atCut: number[] = [];
    for (let i = 0; i < n; i++) {
      if (d[i]! < cut) kept.push(i);
      else if (d[i] === cut && atCut.length < PREFILTER) atCut.push(i);
    }
    for (const i of atCut) {
      if (kept.length >= PREFILTER) break;
      kept.push(i);
    }
    // Re-rank those on their int8 sketches.
    const s = this.sketches;
    const scored = kept.map((i) => {
      let dot = 0;
      const base = i * SKETCH_LENGTH;
      for (let j = 0; j < SKETCH_LENGTH; j++) dot += q[j]! * s[base + j]!;
      return { i, dot };
    });
    scored.sort((a, b) => b.dot - a.dot);
    return scored.slice(0, k).map(({ i }) => String(this.ids[i]));
  }

  private reserve(needed: number): void {
    if (needed <= this.ids.length) return;
    let capacity = this.ids.length;
    while (capacity < needed) capacity *= 2;
    const ids = new Float64Array(capacity);
    ids.set(this.ids.subarray(0, this.count));
    const sketches = new Int8Array(capacity * SKETCH_LENGTH);
    sketches.set(this.sketches.subarray(0, this.count * SKETCH_LENGTH));
    const bits = new Uint32Array(capacity * WORDS);
    bits.set(this.bits.subarray(0, this.count * WORDS));
    this.ids = ids;
    this.sketches = sketches;
    this.bits = bits;
    this.distances = new Uint16Array(capacity);
  }
}
