/**
 * Stable fingerprints of requests: canonical JSON (keys sorted) hashed with SHA-256,
 * so equal requests hash equally whatever the key order the client sent.
 */
import crypto from 'node:crypto';
import type { AnalysisConfig } from '../../contract/analysis.types.ts';

/** Canonical JSON: object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function sha256Hex(s: string | Buffer): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

/**
 * Same media + prompt + config → same hash. Media identity is the upload's sha-256, or
 * the source URL for downloads (its bytes are not known yet).
 */
export function promptHash(
  prompt: string,
  config: AnalysisConfig,
  media: { sha256?: string | null; url?: string | null },
): string {
  return sha256Hex(canonicalJson({ prompt, config, media: media.sha256 ?? media.url ?? null }));
}
