/**
 * The viewer's media element: the source streamed as video, audio or image, or the
 * document's title and text preview; jumps to the start time once metadata loads.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { useArtifactUrl } from './artifact-image.tsx';
import type { AnalysisStatusBody, Artifact } from '../types.ts';

export function MediaView(props: {
  api: ApiClient;
  kind: string;
  source: Artifact | null;
  results: AnalysisStatusBody['results'];
  onMedia: (el: HTMLMediaElement | null) => void;
  startAt: { current: number };
}) {
  const src = useArtifactUrl(props.api, props.source?.url ?? null);
  const ref = useRef<HTMLMediaElement | null>(null);
  useEffect(() => {
    props.onMedia(ref.current);
    const el = ref.current;
    if (!el) return;
    const jump = () => {
      if (props.startAt.current > 0) el.currentTime = props.startAt.current;
    };
    el.addEventListener('loadedmetadata', jump, { once: true });
    return () => el.removeEventListener('loadedmetadata', jump);
  }, [src]);
  if (!props.source) return <p class="muted">The source media is not stored (it may have expired).</p>;
  if (!src) return <p aria-live="polite">Loading media…</p>;
  const mime = props.source.mime_type ?? '';
  if (props.kind === 'video' || mime.startsWith('video/'))
    return (
      <video
        ref={(el) => {
          ref.current = el;
        }}
        class="player"
        src={src}
        controls
        preload="metadata"
        data-testid="player"
        aria-label="Media player"
      />
    );
  if (props.kind === 'audio' || mime.startsWith('audio/'))
    return (
      <audio
        ref={(el) => {
          ref.current = el;
        }}
        class="player"
        src={src}
        controls
        preload="metadata"
        data-testid="player"
        aria-label="Media player"
      />
    );
  if (props.kind === 'image' || mime.startsWith('image/'))
    return <img class="player" src={src} alt="The analysed image" />;
  const doc = props.results?.document;
  return (
    <div class="document">
      {doc?.title && <h2>{doc.title}</h2>}
      {typeof doc?.pages === 'number' && <p class="muted">{doc.pages} pages</p>}
      {doc?.text_preview && <pre class="doc-text">{doc.text_preview}</pre>}
    </div>
  );
}
