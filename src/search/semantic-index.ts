/**
 * The semantic index each process keeps in memory: per tenant, the segment ids and their
 * 64-byte sign codes, loaded from PostgreSQL (the source of truth) and caught up before
 * every search with `id > last seen` (ids only grow). A search scans the tenant's codes
 * by Hamming distance (SimHash), keeps the nearest `candidates`, and the caller re-scores
 * those exactly with their int8 vectors read from PostgreSQL — where deleted or filtered
 * rows simply do not come back. Why this and not HNSW: docs/decisions/0006-semantic-index.md.
 */
import { CODE_WORDS, popcount32 } from '../nlp/vector-codec.ts';

export interface CodeRow {
  id: number;
  tenantId: string;
  code: Buffer;
}

/** Where the index reads its rows (a repository over `media_segments`). */
export interface CodeSource {
  codesAfter(afterId: number, limit: number): Promise<CodeRow[]>;
  /** Rows with `id <= upToId` still in the table (fewer than loaded means some were deleted). */
  countUpTo(upToId: number): Promise<number>;
}

const LOAD_PAGE = 50_000;
const INITIAL_CAPACITY = 1024;
/** How often a process re-counts the table to notice deletions (which only cost stale candidates meanwhile). */
export const RECOUNT_INTERVAL_MS = 60_000;
const MAX_DISTANCE = CODE_WORDS * 32;

class TenantCodes {
  ids = new Float64Array(INITIAL_CAPACITY);
  codes = new Uint32Array(INITIAL_CAPACITY * CODE_WORDS);
  size = 0;

  add(id: number, code: Buffer): void {
    if (this.size === this.ids.length) {
      const ids = new Float64Array(this.ids.length * 2);
      ids.set(this.ids);
      this.ids = ids;
      const codes = new Uint32Array(this.codes.length * 2);
      codes.set(this.codes);
      this.codes = codes;
    }
    this.ids[this.size] = id;
    const base = this.size * CODE_WORDS;
    for (let w = 0; w < CODE_WORDS; w++) this.codes[base + w] = code.readUInt32LE(w * 4);
    this.size++;
  }

  bytes(): number {
    return this.ids.byteLength + this.codes.byteLength;
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
      for (const row of page) {
        let t = this.tenants.get(row.tenantId);
        if (!t) this.tenants.set(row.tenantId, (t = new TenantCodes()));
        t.add(row.id, row.code);
        this.lastId = Math.max(this.lastId, row.id);
        this.rows++;
      }
      if (page.length < LOAD_PAGE) return;
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
    const q = new Uint32Array(CODE_WORDS);
    for (let w = 0; w < CODE_WORDS; w++) q[w] = code.readUInt32LE(w * 4);
    const distances = new Uint16Array(t.size);
    const histogram = new Uint32Array(MAX_DISTANCE + 1);
    const codes = t.codes;
    for (let i = 0, base = 0; i < t.size; i++, base += CODE_WORDS) {
      let d = 0;
      for (let w = 0; w < CODE_WORDS; w++) d += popcount32(codes[base + w]! ^ q[w]!);
      distances[i] = d;
      histogram[d]!++;
    }
    // The distance at which k codes have been seen: take everything nearer, then fill at it.
    let threshold = 0;
    let seen = 0;
    while (threshold <= MAX_DISTANCE && seen + histogram[threshold]! < k) seen += histogram[threshold++]!;
    const out: number[] = [];
    let atThreshold = k - seen;
    for (let i = 0; i < t.size; i++) {
      const d = distances[i]!;
      if (d < threshold) out.push(t.ids[i]!);
      else if (d === threshold && atThreshold > 0) {
        out.push(t.ids[i]!);
        atThreshold--;
      }
    }
    return out;
  }

  /** Bytes held by ids and codes. */
  memoryBytes(): number {
    let sum = 0;
    for (const t of this.tenants.values()) sum += t.bytes();
    return sum;
  }

  size(): number {
    return this.rows;
  }
}
