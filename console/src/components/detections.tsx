/** Objects and faces drawn as labelled boxes over the keyframes they were found on. */
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { clock } from '../format.ts';
import { useArtifactUrl } from './artifact-image.tsx';

export interface DetectionBox {
  label: string;
  kind: 'object' | 'face';
  score: number | null;
  /** x, y, w, h: fractions of the frame (0–1) or pixels (converted when the image loads). */
  box: [number, number, number, number];
}

export interface DetectionFrame {
  seconds: number | null;
  thumb: string | null;
  width: number | null;
  height: number | null;
  boxes: DetectionBox[];
}

export function Detections(props: { api: ApiClient; frames: DetectionFrame[]; onSeek: (s: number) => void }) {
  return (
    <ul class="detections">
      {props.frames.map((f, i) => (
        <DetectionCard key={i} api={props.api} frame={f} onSeek={props.onSeek} />
      ))}
    </ul>
  );
}

function DetectionCard({ api, frame, onSeek }: { api: ApiClient; frame: DetectionFrame; onSeek: (s: number) => void }) {
  const url = useArtifactUrl(api, frame.thumb);
  const [size, setSize] = useState<[number, number] | null>(
    frame.width && frame.height ? [frame.width, frame.height] : null,
  );
  const scale = (b: DetectionBox['box']): [number, number, number, number] | null => {
    const pixels = b.some((v) => v > 1);
    if (!pixels) return b;
    if (!size) return null;
    return [b[0] / size[0], b[1] / size[1], b[2] / size[0], b[3] / size[1]];
  };
  const names = frame.boxes.map((b) => `${b.label}${b.score !== null ? ` ${Math.round(b.score * 100)}%` : ''}`);
  return (
    <li class="detection-card">
      <div class="boxed">
        {url && (
          <img
            src={url}
            alt={`Keyframe${frame.seconds !== null ? ` at ${clock(frame.seconds)}` : ''} with ${names.join(', ')}`}
            loading="lazy"
            onLoad={(e) => {
              const img = e.currentTarget as HTMLImageElement;
              if (!size) setSize([img.naturalWidth, img.naturalHeight]);
            }}
          />
        )}
        {frame.boxes.map((b, i) => {
          const s = scale(b.box);
          if (!s) return null;
          return (
            <span
              key={i}
              class={`box ${b.kind}`}
              aria-hidden="true"
              style={{
                left: `${s[0] * 100}%`,
                top: `${s[1] * 100}%`,
                width: `${s[2] * 100}%`,
                height: `${s[3] * 100}%`,
              }}
            >
              <span class="box-label">{b.label}</span>
            </span>
          );
        })}
      </div>
      <p>
        {frame.seconds !== null && (
          <button type="button" class="link" onClick={() => onSeek(frame.seconds!)}>
            {clock(frame.seconds)}
          </button>
        )}{' '}
        <span>{names.join(', ')}</span>
      </p>
    </li>
  );
}
