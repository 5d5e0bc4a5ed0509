/**
 * The semantic index each process keeps in memory: per tenant, the segment ids and their
 * 64-byte sign codes, loaded from PostgreSQL (the source of truth) and caught up before
 * every search with `id > last seen` (ids only grow). A search computes the Hamming
 * distance of the query's code to every code of the tenant (SimHash; in WebAssembly, with
 * 64-bit POPCNT: a few milliseconds per million codes), keeps the nearest `candidates`,
 * and the caller re-scores those exactly with their int8 vectors read from PostgreSQL —
 * where deleted or filtered rows simply do not come back. Why this and not HNSW:
 * docs/decisions/0006-semantic-index.md.
 */
import { CODE_BYTES } from '../nlp/vector-codec.ts';
import { hammingOver, type HammingFn } from './hamming-wasm.ts';

/** One page of the index's feed: a tenant's new ids in order and their codes, end to end. */
export interface CodePage {
  tenantId: string;
  ids: number[];
  /** `ids.length` × CODE_BYTES bytes. */
  codes: Buffer;
}

/** Where the index reads its rows (a repository over `media_segments`). */
export interface CodeSource {
  /** Rows with `id > afterId`, at most `limit` of them in id order, grouped by tenant. */
  codesAfter(afterId: number, limit: number): Promise<{ pages: CodePage[]; rows: number; lastId: number }>;
  /** Rows with `id <= upToId` still in the table (fewer than loaded means some were deleted). */
  countUpTo(upToId: number): Promise<number>;
}

const LOAD_PAGE = 50_000;
const INITIAL_CAPACITY = 1024;
const WASM_PAGE = 65_536;
/** How often a process re-counts the table to notice deletions (which only cost stale candidates meanwhile). */
export const RECOUNT_INTERVAL_MS = 60_000;
const MAX_DISTANCE = CODE_BYTES * 8;

/**
 * A tenant's codes in a WebAssembly memory: codes from offset 0, end to end; a search
 * writes the query's code after the last one and reads the distances after that.
 */
class TenantCodes {
  ids = new Float64Array(INITIAL_CAPACITY);
  size = 0;
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private bytes = new Uint8Array(this.memory.buffer);
  private readonly hamming: HammingFn = hammingOver(this.memory);

  add(ids: readonly number[], codes: Buffer): void {
    const end = this.size + ids.length;
    if (end > this.ids.length) {
      const grown = new Float64Array(Math.max(end, this.ids.length * 2));
      grown.set(this.ids.subarray(0, this.size));
      this.ids = grown;
    }
    this.ids.set(ids, this.size);
    this.reserve(end * CODE_BYTES);
    this.bytes.set(codes.subarray(0, ids.length * CODE_BYTES), this.size * CODE_BYTES);
    this.size = end;
  }

  /** Hamming distances of every code to `query` (a view valid until the next add or search). */
  distances(query: Buffer): Uint16Array {
    const queryAt = this.size * CODE_BYTES;
    const outAt = queryAt + CODE_BYTES;
    this.reserve(outAt + this.size * 2);
    this.bytes.set(query.subarray(0, CODE_BYTES), queryAt);
    this.hamming(0, this.size, queryAt, outAt);
    return new Uint16Array(this.memory.buffer, outAt, this.size);
  }

  /** Grows the memory to hold `bytes`, by at least a quarter (loading stays linear; at most 25 % spare). */
  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.max(Math.ceil((bytes - have) / WASM_PAGE), Math.ceil(have / WASM_PAGE / 4));
    this.memory.grow(pages);
    this.bytes = new Uint8Array(this.memory.buffer);
  }

  byteSize(): number {
    return this.ids.byteLength + this.memory.buffer.byteLength;
  }
}

export class SemanticIndex {
  private tenants = new Map<string, TenantCodes>();
  private lastId = 0;
  private rows = 0;
  private lastRecount = 0;
  private catchingUp: Promise<void> | null = null;
  private readonly source: CodeSource;

  constructor(source: CodeSource) {
    this.source = source;
  }

  /** Loads every row added since the last call (one call at a time; concurrent callers share it). */
  catchUp(): Promise<void> {
    this.catchingUp ??= this.load().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  private async load(): Promise<void> {
    if (Date.now() - this.lastRecount > RECOUNT_INTERVAL_MS) {
      this.lastRecount = Date.now();
      // Rows were deleted (analyses deleted or re-processed): load the table again.
      if (this.rows > 0 && (await this.source.countUpTo(this.lastId)) < this.rows) this.reset();
    }
    for (;;) {
      const page = await this.source.codesAfter(this.lastId, LOAD_PAGE);
      for (const p of page.pages) {
        let t = this.tenants.get(p.tenantId);
        if (!t) this.tenants.set(p.tenantId, (t = new TenantCodes()));
        t.add(p.ids, p.codes);
      }
      this.rows += page.rows;
      this.lastId = Math.max(this.lastId, page.lastId);
      if (page.rows < LOAD_PAGE) return;
    }
  }

  private reset(): void {
    this.tenants = new Map();
    this.lastId = 0;
    this.rows = 0;
  }

  /** The ids of the tenant's `k` segments whose codes are nearest to `code` (ties in id order). */
  nearest(tenantId: string, code: Buffer, k: number): number[] {
    const t = this.tenants.get(tenantId);
    if (!t || t.size === 0 || k <= 0) return [];
    const distances = t.distances(code);
    const histogram = new Uint32Array(MAX_DISTANCE + 1);
    for (let i = 0; i < distances.length; i++) histogram[distances[i]!]!++;
    // The distance at which k codes have been seen: take everything nearer, then fill at it.
    let threshold = 0;
    let seen = 0;
    while (threshold <= MAX_DISTANCE && seen + histogram[threshold]! < k) seen += histogram[threshold++]!;
    const out: number[] = [];
    let atThreshold = k - seen;
    for (let i = 0; i < distances.length; i++) {
      const d = distances[i]!;
      if (d < threshold) out.push(t.ids[i]!);
      else if (d === threshold && atThreshold > 0) {
        out.push(t.ids[i]!);
        atThreshold--;
      }
    }
    return out;
  }

  /** Bytes held by ids and codes (with the room reserved for growth and the distances). */
  memoryBytes(): number {
    let sum = 0;
    for (const t of this.tenants.values()) sum += t.byteSize();
    return sum;
  }

  size(): number {
    return this.rows;
  }
}
