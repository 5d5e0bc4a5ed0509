/** Sign in with an API key; the key is checked against the API before it is kept. */
import { useState } from 'preact/hooks';
import { ApiClient, ApiError, errorText } from '../api.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKeyValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return setError('Enter an API key.');
    setBusy(true);
    setError(null);
    try {
      await new ApiClient(trimmed).history({ per_page: 1 });
      onSignedIn(trimmed);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That API key was not accepted.'
          : `Could not sign in: ${errorText(err)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in</h1>
      <p>Use an API key of your tenant. It is kept in this tab only and removed when you sign out or close it.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKeyValue((e.target as HTMLInputElement).value)}
          aria-describedby={error ? 'sign-in-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
