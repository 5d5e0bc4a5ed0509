/**
 * The semantic index each process keeps in memory: per tenant, the segment ids, their
 * 64-byte sign codes and 64-byte magnitude bits, loaded from PostgreSQL (the source of
 * truth) and caught up before every search with `id > last seen` (ids only grow). A
 * search computes the Hamming distance of the query's code to every code of the tenant
 * (SimHash; in WebAssembly, with 64-bit POPCNT: a few milliseconds per million codes) and
 * keeps the nearest `pool`; those are re-ranked by the query's own components against
 * their 2-bit codes (sign and magnitude), and the caller re-scores the best `candidates`
 * exactly with their int8 vectors read from PostgreSQL — where deleted or filtered rows
 * simply do not come back. Why this and not HNSW: docs/decisions/0006-semantic-index.md.
 */
import { CODE_BYTES, MAGNITUDE_LEVELS, magnitudeCode, signCode } from '../nlp/vector-codec.ts';
import { hammingOver, HISTOGRAM_SIZE, type CollectFn, type HammingFn } from './hamming-wasm.ts';

/** One page of the index's feed: a tenant's new ids in order and their codes, end to end. */
export interface CodePage {
  tenantId: string;
  ids: number[];
  /** `ids.length` × CODE_BYTES bytes. */
  codes: Buffer;
  /** `ids.length` × CODE_BYTES bytes of magnitude bits; zeros for the rows in `bare`. */
  magnitudes: Buffer;
  /**
   * Rows stored without magnitude bits (written before migration 0012, or by an older
   * worker during a rolling upgrade): their ids (a subset of `ids`, in order) and int8
   * embeddings end to end, from which the index computes the bits itself.
   */
  bare: { ids: number[]; embeddings: Buffer };
}

/** Where the index reads its rows (a repository over `media_segments`). */
export interface CodeSource {
  /** Rows with `id > afterId`, at most `limit` of them in id order, grouped by tenant. */
  codesAfter(afterId: number, limit: number): Promise<{ pages: CodePage[]; rows: number; lastId: number }>;
  /** Rows with `id <= upToId` still in the table (fewer than loaded means some were deleted). */
  countUpTo(upToId: number): Promise<number>;
}

const LOAD_PAGE = 50_000;
/** Rows a new tenant has room for (its ids and magnitude bits: 18 KB; pages of rows grow it at once). */
const INITIAL_CAPACITY = 256;
const WASM_PAGE = 65_536;
/** How often a process re-counts the table to notice deletions (which only cost stale candidates meanwhile). */
export const RECOUNT_INTERVAL_MS = 60_000;
/** The scan's histogram of distances (u32 counters). */
const HISTOGRAM_BYTES = HISTOGRAM_SIZE * 4;

/**
 * A tenant's codes in a WebAssembly memory: codes from offset 0, end to end; a search
 * writes the query's code after the last one, then the module writes the distances, their
 * histogram and the chosen positions after that.
 */
class TenantCodes {
  ids = new Float64Array(INITIAL_CAPACITY);
  /** Magnitude bits, code i at 64 i (in JavaScript memory: only the second stage reads them). */
  magnitudes = new Uint8Array(INITIAL_CAPACITY * CODE_BYTES);
  size = 0;
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private bytes = new Uint8Array(this.memory.buffer);
  private readonly hamming: HammingFn;
  private readonly collect: CollectFn;

  constructor() {
    ({ hamming: this.hamming, collect: this.collect } = hammingOver(this.memory));
  }

  add(page: CodePage): void {
    const { ids } = page;
    const end = this.size + ids.length;
    if (end > this.ids.length) {
      // By a quarter at least, like the codes' memory: linear loading, at most 25 % spare.
      const capacity = Math.max(end, Math.ceil(this.ids.length * 1.25));
      const grown = new Float64Array(capacity);
      grown.set(this.ids.subarray(0, this.size));
      this.ids = grown;
      const magnitudes = new Uint8Array(capacity * CODE_BYTES);
      magnitudes.set(this.magnitudes.subarray(0, this.size * CODE_BYTES));
      this.magnitudes = magnitudes;
    }
    this.ids.set(ids, this.size);
    this.reserve(end * CODE_BYTES);
    this.bytes.set(page.codes.subarray(0, ids.length * CODE_BYTES), this.size * CODE_BYTES);
    this.magnitudes.set(page.magnitudes.subarray(0, ids.length * CODE_BYTES), this.size * CODE_BYTES);
    // Rows stored without the bits: computed here from their embeddings (both lists in id order).
    let at = 0;
    page.bare.ids.forEach((id, b) => {
      while (at < ids.length && ids[at] !== id) at++;
      if (at === ids.length) throw new Error(`segment ${id} without magnitude bits is not on its page`);
      const embedding = page.bare.embeddings.subarray(b * CODE_BYTES * 8, (b + 1) * CODE_BYTES * 8);
      this.magnitudes.set(magnitudeCode(embedding), (this.size + at) * CODE_BYTES);
    });
    this.size = end;
  }

  /** Positions (in id order) of the `k` codes nearest to `query` by Hamming distance, ties in id order. */
  nearest(query: Buffer, k: number): Int32Array {
    const n = this.size;
    const take = Math.min(k, n);
    const queryAt = n * CODE_BYTES;
    const distancesAt = queryAt + CODE_BYTES;
    const histogramAt = (distancesAt + n * 2 + 3) & ~3;
    const positionsAt = histogramAt + HISTOGRAM_BYTES;
    this.reserve(positionsAt + take * 4);
    this.bytes.set(query.subarray(0, CODE_BYTES), queryAt);
    this.bytes.fill(0, histogramAt, positionsAt);
    this.hamming(0, n, queryAt, distancesAt, histogramAt);
    // The distance at which `take` codes have been seen: take everything nearer, then fill at it.
    const histogram = new Uint32Array(this.memory.buffer, histogramAt, HISTOGRAM_SIZE);
    let threshold = 0;
    let seen = 0;
    while (seen + histogram[threshold]! < take) seen += histogram[threshold++]!;
    const count = this.collect(distancesAt, n, threshold, take - seen, positionsAt, take);
    return new Int32Array(this.memory.buffer, positionsAt, count).slice();
  }

  /** Grows the memory to hold `bytes`, by at least a quarter (loading stays linear; at most 25 % spare). */
  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.max(Math.ceil((bytes - have) / WASM_PAGE), Math.ceil(have / WASM_PAGE / 4));
    this.memory.grow(pages);
    this.bytes = new Uint8Array(this.memory.buffer);
  }

  /** The codes' bytes (code i at 64 i; valid until the next add). */
  codeBytes(): Uint8Array {
    return this.bytes;
  }

  byteSize(): number {
    return this.ids.byteLength + this.magnitudes.byteLength + this.memory.buffer.byteLength;
  }
}

/** What one build of the index holds: each tenant's codes, and how far into the table it has read. */
interface Loaded {
  tenants: Map<string, TenantCodes>;
  lastId: number;
  rows: number;
}

const emptyLoad = (): Loaded => ({ tenants: new Map(), lastId: 0, rows: 0 });

export class SemanticIndex {
  private loaded: Loaded = emptyLoad();
  /** A complete rebuild, swapped in by the next catch-up (which first brings it up to date). */
  private pending: Loaded | null = null;
  private lastRecount = 0;
  private catchingUp: Promise<void> | null = null;
  private rebuilding: Promise<void> | null = null;
  private readonly source: CodeSource;
  private readonly recountIntervalMs: number;
  private readonly onRebuildError: (err: unknown) => void;

  constructor(source: CodeSource, opts: { recountIntervalMs?: number; onRebuildError?: (err: unknown) => void } = {}) {
    this.source = source;
    this.recountIntervalMs = opts.recountIntervalMs ?? RECOUNT_INTERVAL_MS;
    this.onRebuildError = opts.onRebuildError ?? (() => undefined);
  }

  private get tenants(): Map<string, TenantCodes> {
    return this.loaded.tenants;
  }

  /** Loads every row added since the last call (one call at a time; concurrent callers share it). */
  catchUp(): Promise<void> {
    this.catchingUp ??= this.load().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  /** The rebuild under way after deletions has read the table (resolved when there is none). */
  rebuilt(): Promise<void> {
    return this.rebuilding ?? Promise.resolve();
  }

  private async load(): Promise<void> {
    if (!this.rebuilding && !this.pending && Date.now() - this.lastRecount >= this.recountIntervalMs) {
      this.lastRecount = Date.now();
      if (this.loaded.rows > 0) this.rebuildIfDeleted(this.loaded);
    }
    await fill(this.source, this.loaded);
    // The swap happens here, inside a catch-up, after the rebuild has read what was added
    // while it ran: the build a search scans is never behind the one it replaces.
    const next = this.pending;
    if (next) {
      this.pending = null;
      await fill(this.source, next);
      this.loaded = next;
    }
  }

  /**
   * Rows were deleted (analyses deleted or re-processed) when fewer rows remain up to the
   * last id read than were read: the table is loaded again beside the index in use, which
   * keeps answering meanwhile (its deleted rows only take candidate slots: PostgreSQL never
   * returns them), and the next catch-up swaps the new build in. No search waits for a
   * rebuild (a second or more per 100,000 segments). A failure is reported to
   * `onRebuildError` and leaves the index in use; the next recount tries again.
   */
  private rebuildIfDeleted(current: Loaded): void {
    const { lastId, rows } = current;
    this.rebuilding = (async () => {
      if ((await this.source.countUpTo(lastId)) >= rows) return;
      const fresh = emptyLoad();
      await fill(this.source, fresh);
      this.pending = fresh;
    })()
      .catch((err: unknown) => this.onRebuildError(err))
      .finally(() => {
        this.rebuilding = null;
      });
  }

  /** The ids of the tenant's `k` segments whose codes are nearest to `code` (ties in id order). */
  nearest(tenantId: string, code: Buffer, k: number): number[] {
    const t = this.tenants.get(tenantId);
    if (!t || t.size === 0 || k <= 0) return [];
    return Array.from(t.nearest(code, k), (i) => t.ids[i]!);
  }

  /**
   * Two stages in memory: the `pool` codes nearest to the query's code by Hamming distance,
   * then those re-ranked by the query's own components against their 2-bit codes (the
   * asymmetric estimate of the dot product, Σ q_i · sign_i · level_i, where level_i is the
   * small or large magnitude of MAGNITUDE_LEVELS: the query is not reduced to bits, and
   * the magnitude bit says which components carry the vector), returning the ids of the
   * best `k` (as a set, in id order: the caller re-scores them exactly).
   * Candidates for exact re-scoring: a pool of thousands costs a few milliseconds here and
   * lets `k` be a couple of hundred rows read from PostgreSQL instead of a thousand.
   */
  nearestTo(tenantId: string, query: Float32Array, k: number, pool: number): number[] {
    const t = this.tenants.get(tenantId);
    if (!t || t.size === 0 || k <= 0) return [];
    const positions = t.nearest(signCode(query), Math.max(k, pool));
    if (positions.length <= k) return Array.from(positions, (i) => t.ids[i]!);
    const lut = bitSums(query);
    const signs = t.codeBytes();
    const magnitudes = t.magnitudes;
    // Σ q_i s_i (a + b m_i) with s_i = ±1, m_i ∈ {0, 1}, P(bits) = Σ_{bit set} q_i:
    // = 2a P(s) + 2b P(s ∧ m) − b P(m) − a Σ q_i, the last term the same for every code.
    const [small, large] = MAGNITUDE_LEVELS;
    const a2 = 2 * small;
    const b = large - small;
    const scores = new Float64Array(positions.length);
    for (let c = 0; c < positions.length; c++) {
      const at = positions[c]! * CODE_BYTES;
      let sign = 0;
      let both = 0;
      let big = 0;
      for (let j = 0; j < CODE_BYTES; j++) {
        const s = signs[at + j]!;
        const m = magnitudes[at + j]!;
        sign += lut[(j << 8) | s]!;
        both += lut[(j << 8) | (s & m)]!;
        big += lut[(j << 8) | m]!;
      }
      scores[c] = a2 * sign + b * (2 * both - big);
    }
    // The k best as a set (their order does not matter: they are re-scored exactly): everything
    // above the k-th best score, then ties at it in id order.
    const kth = Float64Array.from(scores).sort()[scores.length - k]!;
    let quota = k - scores.filter((x) => x > kth).length;
    const out: number[] = [];
    for (let c = 0; c < positions.length; c++) {
      if (scores[c]! > kth || (scores[c] === kth && quota-- > 0)) out.push(t.ids[positions[c]!]!);
    }
    return out;
  }

  /**
   * Bytes held by ids, codes and magnitude bits (with the room reserved for growth and the
   * distances), a complete rebuild waiting to be swapped in included; not a rebuild still reading.
   */
  memoryBytes(): number {
    let sum = 0;
    for (const build of [this.loaded, this.pending]) for (const t of build?.tenants.values() ?? []) sum += t.byteSize();
    return sum;
  }

  size(): number {
    return this.loaded.rows;
  }

  /** Segments of one tenant in the index (what that tenant may be told: never the others' volume). */
  tenantSize(tenantId: string): number {
    return this.tenants.get(tenantId)?.size ?? 0;
  }
}

/** Reads the rows after `into.lastId` into `into`, a page at a time, until a page comes back short. */
async function fill(source: CodeSource, into: Loaded): Promise<void> {
  for (;;) {
    const page = await source.codesAfter(into.lastId, LOAD_PAGE);
    for (const p of page.pages) {
      let t = into.tenants.get(p.tenantId);
      if (!t) into.tenants.set(p.tenantId, (t = new TenantCodes()));
      t.add(p);
    }
    into.rows += page.rows;
    into.lastId = Math.max(into.lastId, page.lastId);
    if (page.rows < LOAD_PAGE) return;
  }
}

const LUT = new Float64Array(CODE_BYTES * 256);

/**
 * For each byte position j of a code and each byte value b: the sum of the query's
 * components 8j + k over the bits k set in b: a code's Σ over its 64 bytes is Σ_{bit set} q_i.
 */
function bitSums(query: Float32Array): Float64Array {
  for (let j = 0; j < CODE_BYTES; j++) {
    const base = j << 8;
    LUT[base] = 0;
    for (let b = 1; b < 256; b++) {
      const low = b & -b;
      LUT[base | b] = LUT[base | (b ^ low)]! + (query[(j << 3) + 31 - Math.clz32(low)] ?? 0);
    }
  }
  return LUT;
}
