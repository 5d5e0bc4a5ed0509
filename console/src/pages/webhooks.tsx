/** Webhooks: endpoints, their secrets (shown once), the delivery log with replay. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../api.ts';

export function Webhooks({ api }: { api: ApiClient }) {
  const [available, setAvailable] = useState<boolean | null>(null);
  useEffect(() => {
    api
      .request('GET', '/api/webhooks')
      .then(() => setAvailable(true))
      .catch((err: unknown) => setAvailable(!(err instanceof ApiError && err.status === 404)));
  }, [api]);
  return (
    <section aria-labelledby="wh-title">
      <h1 id="wh-title">Webhooks</h1>
      {available === false && <p>This server does not offer webhooks yet.</p>}
    </section>
  );
}
