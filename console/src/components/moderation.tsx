/** The viewer's moderation section. */
import { clock } from '../format.ts';
import type { ModerationSection } from '../types.ts';

/** The moderation verdict and the strongest frame; the per-frame scores stay in the JSON download. */
export function Moderation({ value: m, onSeek }: { value: ModerationSection; onSeek: (s: number) => void }) {
  return (
    <div data-testid="moderation">
      <p>
        Verdict:{' '}
        <strong class={`verdict v-${m.verdict}`}>{m.status === 'failed' ? 'not determined' : m.verdict}</strong>
      </p>
      {m.basis && <p class="muted">{m.basis}</p>}
      {m.strongest && (
        <p>
          Strongest: {m.strongest.class} {Math.round(m.strongest.score * 100)}% at{' '}
          <button type="button" class="cite" onClick={() => onSeek(m.strongest!.seconds)}>
            {clock(m.strongest.seconds)}
          </button>
        </p>
      )}
      {m.error && <p class="error">{m.error.message}</p>}
      {m.notes.length > 0 && <p class="muted">{m.notes.join(' ')}</p>}
    </div>
  );
}
