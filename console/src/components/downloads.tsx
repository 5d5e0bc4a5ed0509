/**
 * The viewer's downloads: the JSON result and SRT/WebVTT subtitles (the SDK's exports of the
 * API's export routes, built locally when the server has none) and every stored artifact.
 */
import { useState } from 'preact/hooks';
import { ApiError, errorText, type ApiClient } from '../api.ts';
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
  const get = async (file: () => Promise<Blob>, name: string, fallback: () => Blob | null) => {
    setError(null);
    try {
      saveBlob(await file(), name);
    } catch (err) {
      // 404: this server has no such export; 409: no result yet (the page's status still is one).
      const alt = err instanceof ApiError && (err.status === 404 || err.status === 409) ? fallback() : null;
      if (alt) saveBlob(alt, name);
      else setError(errorText(err));
    }
  };
  const id = status.analysis_id;
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
                () => api.exportFile(id, 'result', 'json'),
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
                    () => api.exportFile(id, 'transcript', 'srt'),
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
                    () => api.exportFile(id, 'transcript', 'vtt'),
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
                <button
                  type="button"
                  class="link"
                  onClick={() =>
                    void get(
                      () => api.download(a.url),
                      a.name,
                      () => null,
                    )
                  }
                >
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
