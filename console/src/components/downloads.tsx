/**
 * The viewer's downloads: the JSON result and SRT/WebVTT subtitles (from the export route,
 * built locally when it answers 404) and every stored artifact.
 */
import { useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../api.ts';
import { bytes } from '../format.ts';
import { saveBlob, toSrt, toVtt } from '../subtitles.ts';
import type { AnalysisStatusBody, Artifact } from '../types.ts';

export function Downloads({
  api,
  status,
  artifacts,
}: {
  api: ApiClient;
  status: AnalysisStatusBody;
  artifacts: Artifact[];
}) {
  const [error, setError] = useState<string | null>(null);
  const base = (status.original_filename ?? status.analysis_id).replace(/\.[^.]+$/, '');
  const transcript = status.results?.transcript;
  const get = async (path: string, name: string, fallback: () => Blob | null) => {
    setError(null);
    try {
      saveBlob(await api.blob(path), name);
    } catch (err) {
      const alt = err instanceof ApiError && err.status === 404 ? fallback() : null;
      if (alt) saveBlob(alt, name);
      else setError((err as Error).message);
    }
  };
  const id = encodeURIComponent(status.analysis_id);
  return (
    <section aria-labelledby="dl-title">
      <h2 id="dl-title">Downloads</h2>
      <ul class="downloads">
        <li>
          <button
            type="button"
            class="link"
            onClick={() =>
              void get(
                `/api/media/${id}/export?format=json`,
                `${base}.json`,
                () => new Blob([JSON.stringify(status, null, 2)], { type: 'application/json' }),
              )
            }
          >
            JSON
          </button>
        </li>
        {transcript?.segments && transcript.segments.length > 0 && (
          <>
            <li>
              <button
                type="button"
                class="link"
                onClick={() =>
                  void get(
                    `/api/media/${id}/export?format=srt`,
                    `${base}.srt`,
                    () => new Blob([toSrt(transcript)], { type: 'application/x-subrip' }),
                  )
                }
              >
                SRT subtitles
              </button>
            </li>
            <li>
              <button
                type="button"
                class="link"
                onClick={() =>
                  void get(
                    `/api/media/${id}/export?format=vtt`,
                    `${base}.vtt`,
                    () => new Blob([toVtt(transcript)], { type: 'text/vtt' }),
                  )
                }
              >
                WebVTT subtitles
              </button>
            </li>
          </>
        )}
      </ul>
      {artifacts.length > 0 && (
        <details>
          <summary>Artifacts ({artifacts.length})</summary>
          <ul class="downloads">
            {artifacts.map((a) => (
              <li key={a.id}>
                <button type="button" class="link" onClick={() => void get(a.url, a.name, () => null)}>
                  {a.name}
                </button>{' '}
                <span class="muted">
                  {a.area} · {bytes(a.size_bytes)}
                </span>
              </li>
            ))}
          </ul>
        </details>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
