/** The viewer's moderation section. */
import { clock } from '../format.ts';
import { Facts } from './facts.tsx';

/** The moderation verdict and the strongest frame; the per-frame scores stay in the JSON download. */
export function Moderation({ value, onSeek }: { value: unknown; onSeek: (s: number) => void }) {
  const m = value as {
    status?: string;
    verdict?: string;
    strongest?: { seconds: number; class: string; score: number } | null;
    notes?: string[];
    error?: { message?: string };
  };
  if (!m || typeof m !== 'object' || (!m.verdict && !m.status)) return <Facts value={value} />;
  return (
    <div data-testid="moderation">
      <p>
        Verdict: <strong class={`verdict v-${m.verdict ?? 'unknown'}`}>{m.verdict ?? m.status}</strong>
      </p>
      {m.strongest && (
        <p>
          Strongest: {m.strongest.class} {Math.round(m.strongest.score * 100)}% at{' '}
          <button type="button" class="cite" onClick={() => onSeek(m.strongest!.seconds)}>
            {clock(m.strongest.seconds)}
          </button>
        </p>
      )}
      {m.error?.message && <p class="error">{m.error.message}</p>}
      {m.notes && m.notes.length > 0 && <p class="muted">{m.notes.join(' ')}</p>}
    </div>
  );
}
