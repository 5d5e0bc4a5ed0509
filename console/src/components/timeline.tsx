/**
 * Shots (or chapters, or extracted frames when neither exists) on a timeline: a bar
 * proportional to the duration and a strip of keyframes; each seeks the player.
 *
 * A keyframe is requested only once its place in the strip comes within a few tiles of
 * view. Native lazy loading let an hour's 300-shot strip request 134 images at once
 * (its distance threshold spans most of the strip), which queued the next page's own
 * requests for seconds behind them (the browser's six connections per host).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { clock } from '../format.ts';
import { ArtifactImage } from './artifact-image.tsx';

export interface TimelineItem {
  start: number;
  end: number;
  title: string;
  thumb: string | null;
}

export function Timeline(props: {
  api: ApiClient;
  items: TimelineItem[];
  duration: number;
  kind: string;
  onSeek: (seconds: number) => void;
}) {
  const { items, duration } = props;
  const strip = useRef<HTMLOListElement>(null);
  const near = useNearTiles(strip, items.length);
  const total = duration > 0 ? duration : Math.max(1, ...items.map((i) => i.end));
  return (
    <div class="timeline" data-testid="timeline">
      <div class="timeline-bar" aria-hidden="true">
        {items.map((it, i) => (
          <span
            key={i}
            class={`tick${i % 2 ? ' odd' : ''}`}
            style={{
              left: `${(100 * it.start) / total}%`,
              width: `${Math.max(0.2, (100 * (it.end - it.start)) / total)}%`,
            }}
          />
        ))}
      </div>
      <ol class="strip" ref={strip} aria-label={`${props.kind} (${items.length})`}>
        {items.map((it, i) => (
          <li key={i}>
            <button type="button" class="shot" onClick={() => props.onSeek(it.start)}>
              {it.thumb && near.has(i) ? (
                <ArtifactImage api={props.api} src={it.thumb} alt="" class="thumb" width={128} height={72} />
              ) : (
                <span class={`thumb${it.thumb ? ' placeholder' : ' none'}`} aria-hidden="true" />
              )}
              <span class="shot-label">
                {it.title} · {clock(it.start)}–{clock(it.end)}
              </span>
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Indices of the strip's tiles within about four tiles of its visible part (once seen, kept). */
function useNearTiles(strip: { current: HTMLOListElement | null }, count: number): Set<number> {
  const [near, setNear] = useState<Set<number>>(() => new Set());
  useEffect(() => {
    const root = strip.current;
    if (!root || typeof IntersectionObserver === 'undefined') {
      setNear(new Set(Array.from({ length: count }, (_, i) => i)));
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        const seen = entries.filter((e) => e.isIntersecting).map((e) => Number((e.target as HTMLElement).dataset.i));
        if (seen.length) setNear((prev) => new Set([...prev, ...seen]));
      },
      { root, rootMargin: '0px 600px' },
    );
    root.querySelectorAll<HTMLElement>(':scope > li').forEach((li, i) => {
      li.dataset.i = String(i);
      observer.observe(li);
    });
    return () => observer.disconnect();
  }, [strip, count]);
  return near;
}
