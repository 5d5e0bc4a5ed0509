/**
 * An image served by the API. With the console's service worker in control, the browser
 * loads it directly (the worker adds the key); without it, the bytes are fetched with the
 * key and shown from a blob URL.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { hasMediaWorker } from '../session.ts';

export function useArtifactUrl(api: ApiClient, src: string | null): string | null {
  const direct = hasMediaWorker();
  const [blobUrl, setBlobUrl] = useState<string | null>(null);
  useEffect(() => {
    if (direct || !src) return;
    let url: string | null = null;
    let live = true;
    api
      .download(src)
      .then((b) => {
        url = URL.createObjectURL(b);
        if (live) setBlobUrl(url);
      })
      .catch(() => undefined);
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [api, src, direct]);
  return direct ? src : blobUrl;
}

export function ArtifactImage(props: {
  api: ApiClient;
  src: string | null;
  alt: string;
  class?: string;
  width?: number;
  height?: number;
  eager?: boolean;
}) {
  const url = useArtifactUrl(props.api, props.src);
  if (!url) return <span class={`${props.class ?? ''} placeholder`} aria-hidden="true" />;
  return (
    <img
      src={url}
      alt={props.alt}
      class={props.class}
      width={props.width}
      height={props.height}
      loading={props.eager ? 'eager' : 'lazy'}
      decoding="async"
    />
  );
}
