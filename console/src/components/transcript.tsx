/**
 * The transcript: every word clickable (seeks the player), the word being spoken
 * highlighted as the media plays. Built straight into the DOM with textContent: an hour of
 * speech is thousands of words, and this keeps opening the viewer fast while treating the
 * words strictly as text. Highlighting touches two elements per change, not the tree.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { clock, indexAt } from '../format.ts';
import type { Transcript } from '../types.ts';

export interface TimedWord {
  start: number;
  end: number;
  text: string;
  /** The local engine was unsure of it (below its calibrated confidence). */
  unsure: boolean;
}

export interface TranscriptLines {
  segments: Array<{ start: number; end: number; first: number; count: number }>;
  words: TimedWord[];
}

/**
 * The transcript as lines of clickable words. The local engine gives every word its times
 * (`words`, beside the segments): each goes to the segment it starts in, or the nearest
 * one before it. A provider's segments carry no word times: a segment is then one "word".
 */
export function transcriptLines(t: Transcript): TranscriptLines {
  const timed = t.words ?? [];
  const segments: TranscriptLines['segments'] = [];
  const words: TimedWord[] = [];
  const source =
    t.segments.length > 0
      ? t.segments
      : timed.length > 0
        ? [{ start: timed[0]!.start, end: timed[timed.length - 1]!.end, text: t.text }]
        : t.text
          ? [{ start: 0, end: 0, text: t.text }]
          : [];
  let next = 0;
  source.forEach((seg, i) => {
    const first = words.length;
    const following = source[i + 1];
    while (next < timed.length && (!following || timed[next]!.start < following.start)) {
      const w = timed[next++]!;
      words.push({ start: w.start, end: w.end, text: w.word, unsure: w.low_confidence === true });
    }
    if (words.length === first) words.push({ start: seg.start, end: seg.end, text: seg.text.trim(), unsure: false });
    segments.push({ start: seg.start, end: seg.end, first, count: words.length - first });
  });
  return { segments, words };
}

export function TranscriptView(props: {
  transcript: Transcript;
  media: HTMLMediaElement | null;
  onSeek: (seconds: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const followRef = useRef(follow);
  followRef.current = follow;
  const lines = useRef<TranscriptLines>({ segments: [], words: [] });
  const wordEls = useRef<HTMLElement[]>([]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    lines.current = transcriptLines(props.transcript);
    const { segments, words } = lines.current;
    const frag = document.createDocumentFragment();
    const all: HTMLElement[] = new Array(words.length);
    for (const seg of segments) {
      const p = document.createElement('p');
      p.className = 'seg';
      const time = document.createElement('button');
      time.type = 'button';
      time.className = 'seg-time';
      time.dataset.t = String(seg.start);
      time.textContent = clock(seg.start);
      time.setAttribute('aria-label', `Play from ${clock(seg.start)}`);
      p.append(time);
      for (let i = seg.first; i < seg.first + seg.count; i++) {
        const w = document.createElement('span');
        w.className = words[i]!.unsure ? 'w unsure' : 'w';
        w.dataset.i = String(i);
        // The space inside the word keeps the node count at one per word.
        w.textContent = `${words[i]!.text} `;
        p.append(w);
        all[i] = w;
      }
      frag.append(p);
    }
    el.replaceChildren(frag);
    performance.mark('viewer:transcript');
    wordEls.current = all;
  }, [props.transcript]);

  // Highlight the word at the playhead; only the old and the new element change.
  useEffect(() => {
    const media = props.media;
    if (!media) return;
    const starts = new Float64Array(lines.current.words.map((w) => w.start));
    let current = -1;
    let frame = 0;
    const update = () => {
      const i = indexAt(starts, media.currentTime);
      if (i === current) return;
      wordEls.current[current]?.classList.remove('now');
      current = i;
      const el = wordEls.current[i];
      if (!el) return;
      el.classList.add('now');
      if (followRef.current && box.current) {
        const top = el.offsetTop - box.current.offsetTop;
        if (top < box.current.scrollTop || top > box.current.scrollTop + box.current.clientHeight - 24)
          box.current.scrollTop = Math.max(0, top - box.current.clientHeight / 3);
      }
    };
    const loop = () => {
      update();
      frame = media.paused ? 0 : requestAnimationFrame(loop);
    };
    const onPlay = () => {
      if (!frame) frame = requestAnimationFrame(loop);
    };
    media.addEventListener('timeupdate', update);
    media.addEventListener('seeked', update);
    media.addEventListener('play', onPlay);
    update();
    return () => {
      cancelAnimationFrame(frame);
      media.removeEventListener('timeupdate', update);
      media.removeEventListener('seeked', update);
      media.removeEventListener('play', onPlay);
    };
  }, [props.media, props.transcript]);

  const onClick = (e: MouseEvent) => {
    const target = e.target as HTMLElement;
    const time = target.closest<HTMLElement>('[data-t]');
    if (time) return props.onSeek(Number(time.dataset.t));
    const word = target.closest<HTMLElement>('[data-i]');
    if (word) {
      const w = lines.current.words[Number(word.dataset.i)];
      if (w) props.onSeek(w.start);
    }
  };

  return (
    <div class="transcript">
      <label class="check">
        <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} />{' '}
        Follow playback
      </label>
      {props.transcript.language && <p class="muted">Language: {props.transcript.language}</p>}
      {(props.transcript.low_confidence_words ?? 0) > 0 && (
        <p class="muted" data-testid="unsure-legend">
          Words underlined with dots are ones the local speech engine was unsure of.
        </p>
      )}
      <div
        ref={box}
        class="transcript-text"
        data-testid="transcript"
        onClick={onClick}
        tabIndex={0}
        role="region"
        aria-label="Transcript; click a word to play from it"
      />
    </div>
  );
}
