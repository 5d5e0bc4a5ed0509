/**
 * Shots (or chapters, or extracted frames when neither exists) on a timeline: a bar
 * proportional to the duration and a strip of keyframes; each seeks the player.
 */
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
      <ol class="strip" aria-label={`${props.kind} (${items.length})`}>
        {items.map((it, i) => (
          <li key={i}>
            <button type="button" class="shot" onClick={() => props.onSeek(it.start)}>
              {it.thumb ? (
                <ArtifactImage api={props.api} src={it.thumb} alt="" class="thumb" width={128} height={72} />
              ) : (
                <span class="thumb none" aria-hidden="true" />
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
