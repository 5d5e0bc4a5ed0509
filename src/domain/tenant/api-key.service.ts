/**
 * API keys. A key is `ma_<prefix>_<secret>`; only its sha-256 is stored (the secret
 * has 192 bits of entropy, so a fast hash is the right tool, as for session tokens).
 * Verified keys are cached in-process briefly so a status poll costs one query.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../persistence/database.ts';
import type { Repositories } from '../../persistence/repositories.ts';
import type { ApiKeyRow } from '../../persistence/schema.ts';

export interface Principal {
  keyId: string;
  tenantId: string;
  isAdmin: boolean;
}

/** How long a verified key is trusted without asking the database again. */
export const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;
/** Client addresses whose failed authentications are counted at once (the oldest are forgotten). */
const FAILURE_ADDRESSES_MAX = 50_000;

export function hashKey(key: string): string {
  return crypto.hash('sha256', key, 'hex');
}

export function generateKey(): { key: string; prefix: string; hash: string } {
  const prefix = crypto.randomBytes(4).toString('hex');
  const key = `ma_${prefix}_${crypto.randomBytes(24).toString('base64url')}`;
  return { key, prefix, hash: hashKey(key) };
}

export const ADMIN_KEY_FILE = 'admin-api-key';

export class ApiKeyService {
  /** By key hash; unknown keys are cached too (as null), so a flood of bad keys costs one query each per TTL. */
  private readonly cache = new LRUCache<string, { principal: Principal | null }>({
    max: KEY_CACHE_MAX,
    ttl: KEY_CACHE_TTL_MS,
  });
  private readonly db: Db;
  private readonly repos: Pick<Repositories, 'apiKeys'>;
  /** Failed authentications per client address in the current window. */
  private readonly failures: LRUCache<string, { count: number }>;
  private readonly failureLimit: number;

  /**
   * `failureLimit` failed authentications per client address per `failureWindowMs` (0: no
   * limit): past it an address is refused before its key costs a query.
   */
  constructor(
    db: Db,
    repos: Pick<Repositories, 'apiKeys'>,
    opts: { failureLimit?: number; failureWindowMs?: number } = {},
  ) {
    this.db = db;
    this.repos = repos;
    this.failureLimit = opts.failureLimit ?? 0;
    this.failures = new LRUCache({ max: FAILURE_ADDRESSES_MAX, ttl: opts.failureWindowMs ?? 60_000 });
  }

  /**
   * Whether this client address has used up its failed authentications for the window,
   * for this key: a key verified moments ago (in the cache) still passes, so clients that
   * share an address with the one failing (behind one proxy) keep working meanwhile.
   */
  throttled(address: string, key: string | null): boolean {
    if (this.failureLimit === 0 || (this.failures.get(address)?.count ?? 0) < this.failureLimit) return false;
    return !(key && this.cache.get(hashKey(key))?.principal);
  }

  /** Count one failed authentication of this address (the window starts at its first). */
  recordFailure(address: string): void {
    if (this.failureLimit === 0) return;
    const entry = this.failures.get(address);
    if (entry) entry.count++;
    else this.failures.set(address, { count: 1 });
  }

  async create(tenantId: string, name: string, isAdmin = false): Promise<{ key: string; row: ApiKeyRow }> {
    const k = generateKey();
    const row = await this.repos.apiKeys.insert(this.db, { tenantId, name, prefix: k.prefix, hash: k.hash, isAdmin });
    return { key: k.key, row };
  }

  /** Every key of every tenant (hashes included; callers show only the public fields). */
  async list(): Promise<ApiKeyRow[]> {
    return this.repos.apiKeys.list(this.db);
  }

  /** Revokes one key by id; false when there is no such active key. Takes effect here at once. */
  async revoke(id: string): Promise<boolean> {
    const n = await this.repos.apiKeys.revoke(this.db, id);
    this.cache.clear();
    return n > 0;
  }

  /** The principal for a presented key, or null when unknown or revoked. */
  async authenticate(key: string): Promise<Principal | null> {
    if (!/^ma_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/.test(key)) return null;
    const hash = hashKey(key);
    const hit = this.cache.get(hash);
    if (hit) return hit.principal;
    const row = await this.repos.apiKeys.findActiveByHash(this.db, hash);
    const principal = row ? { keyId: row.id, tenantId: row.tenant_id, isAdmin: row.is_admin } : null;
    this.cache.set(hash, { principal });
    if (row) this.repos.apiKeys.touch(this.db, row.id).catch(() => undefined);
    return principal;
  }

  /**
   * On first start with no keys at all, create an admin key, write it to a 0600 file
   * under the data directory and return it so the caller can print it once.
   */
  async ensureBootstrapKey(dataDir: string): Promise<{ key: string; file: string } | null> {
    if ((await this.repos.apiKeys.count(this.db)) > 0) return null;
    const { key } = await this.create('admin', 'bootstrap admin key', true);
    await fs.mkdir(dataDir, { recursive: true });
    const file = path.join(dataDir, ADMIN_KEY_FILE);
    await fs.writeFile(file, key + '\n', { mode: 0o600 });
    await fs.chmod(file, 0o600);
    return { key, file };
  }
}
