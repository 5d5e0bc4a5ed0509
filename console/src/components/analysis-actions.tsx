/** The viewer's actions on one analysis: retry, cancel, and delete (after a confirmation). */
import { useState } from 'preact/hooks';
import { errorText, type ApiClient } from '../api.ts';
import { navigate } from '../router.ts';
import type { AnalysisStatusBody } from '../types.ts';

export const ACTIVE = new Set(['pending', 'processing']);

export function Actions({
  api,
  status,
  onChanged,
}: {
  api: ApiClient;
  status: AnalysisStatusBody;
  onChanged: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const run = async (fn: () => Promise<unknown>, after?: () => void) => {
    setError(null);
    try {
      await fn();
      (after ?? onChanged)();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const id = status.analysis_id;
  return (
    <div class="actions">
      {(status.status === 'failed' || status.status === 'cancelled') && (
        <button type="button" onClick={() => void run(() => api.retry(id))}>
          Retry
        </button>
      )}
      {ACTIVE.has(status.status) && (
        <button type="button" onClick={() => void run(() => api.cancel(id))}>
          Cancel
        </button>
      )}
      {!confirming ? (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete
        </button>
      ) : (
        <span role="group" aria-label="Confirm delete">
          <span>Delete this analysis and its files? </span>
          <button
            type="button"
            class="danger"
            onClick={() =>
              void run(
                () => api.delete(id),
                () => navigate('/library'),
              )
            }
          >
            Yes, delete
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </span>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
