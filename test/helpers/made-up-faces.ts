/**
 * Made-up face descriptions for tests of grouping and suggestions: unit vectors with chosen
 * cosine similarities, grouped through the service the pipeline uses, in analyses inserted
 * for them (no media, no models).
 */
import type { TestApp } from './app.ts';
import { FACE_VECTOR_LENGTH } from '../../src/domain/people/face-vector.ts';
import type { AppearanceToGroup } from '../../src/domain/people/people.service.ts';

/** A unit vector whose cosine with axis `base` is `c`, the rest along axis `k`. */
export function alike(c: number, k = 1, base = 0): Float32Array {
  const v = new Float32Array(FACE_VECTOR_LENGTH);
  v[base] = c;
  v[k] = Math.sqrt(1 - c * c);
  return v;
}

/** A new analysis of the tenant (processing, an image) for faces to belong to. */
export async function madeUpAnalysis(t: TestApp, tenantId: string): Promise<string> {
  const { rows } = await t.db.pool.query<{ id: string }>(
    `INSERT INTO media_analysis_requests (correlation_id, prompt, prompt_hash, source_url, media_type, status, tenant_id)
     VALUES ('made-up-faces', 'who', repeat('a', 64), 'https://media.example.com/x.jpg', 'image', 'processing', $1)
     RETURNING id`,
    [tenantId],
  );
  return rows[0]!.id;
}

/** One face of a photograph (a still in picture 0 of its analysis), its box at `x`. */
export function still(vector: Float32Array, x: number): AppearanceToGroup {
  const box: [number, number, number, number] = [x, 0.1, 0.2, 0.3];
  return {
    shot: null,
    startSeconds: 0,
    endSeconds: 0,
    frames: 1,
    best: { picture: 0, seconds: 0, shot: null, box, px: 120, score: 0.9, vector },
    faces: [],
    page: null,
    thumbnailFileId: null,
    still: true,
  };
}
