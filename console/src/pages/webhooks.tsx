/** Webhooks: endpoints, their signing secrets (shown once), the delivery log with replay. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, errorText, type ApiClient } from '../api.ts';
import type { WebhookDelivery as Delivery, WebhookEndpoint as Endpoint } from '../../../sdk/src/index.ts';
import { when } from '../format.ts';

const LOG_PAGE = 20;

export function Webhooks({ api }: { api: ApiClient }) {
  const [endpoints, setEndpoints] = useState<Endpoint[] | null>(null);
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = async () => {
    try {
      const [list, log] = await Promise.all([api.webhooks.list(), api.webhooks.deliveries({ limit: LOG_PAGE })]);
      setEndpoints(list);
      setDeliveries(log.data);
      setCursor(log.next_cursor);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setUnavailable(true);
      else setError(errorText(err));
    }
  };
  useEffect(() => {
    void refresh();
  }, [api]);

  const act = async (fn: () => Promise<unknown>, done: string) => {
    setError(null);
    setMessage(null);
    try {
      await fn();
      setMessage(done);
      await refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const create = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const made = await api.webhooks.create({
        url: url.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      setSecret({ url: made.url, secret: made.secret });
      setUrl('');
      setDescription('');
    }, 'Endpoint added.');
  };

  const more = async () => {
    if (!cursor) return;
    const log = await api.webhooks.deliveries({ limit: LOG_PAGE, cursor });
    setDeliveries((d) => [...d, ...log.data]);
    setCursor(log.next_cursor);
  };

  if (unavailable)
    return (
      <section aria-labelledby="wh-title">
        <h1 id="wh-title">Webhooks</h1>
        <p>This server does not offer webhooks.</p>
      </section>
    );

  return (
    <section aria-labelledby="wh-title">
      <h1 id="wh-title">Webhooks</h1>
      <form onSubmit={create} class="stack">
        <h2>Add an endpoint</h2>
        <label for="wh-url">Receiver URL</label>
        <input
          id="wh-url"
          type="url"
          required
          placeholder="https://example.com/hooks/media"
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
        />
        <label for="wh-desc">Description (optional)</label>
        <input
          id="wh-desc"
          type="text"
          value={description}
          onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Add endpoint</button>
      </form>
      {secret && (
        <div class="card" role="status" data-testid="webhook-secret">
          <p>
            Signing secret for <span class="filename">{secret.url}</span>. It is shown only now: store it in your
            receiver.
          </p>
          <label for="wh-secret">Secret</label>
          <input id="wh-secret" type="text" readOnly value={secret.secret} class="secret" />
          <button type="button" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </div>
      )}
      {message && <p role="status">{message}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h2>Endpoints</h2>
      {endpoints === null && <p>Loading…</p>}
      {endpoints && endpoints.length === 0 && <p>No endpoints yet.</p>}
      {endpoints && endpoints.length > 0 && (
        <ul class="cards">
          {endpoints.map((ep) => (
            <li key={ep.id} class="card">
              <p>
                <span class="filename">{ep.url}</span>{' '}
                <span class={`badge ${ep.enabled ? 's-completed' : 's-failed'}`}>
                  {ep.enabled ? 'enabled' : 'disabled'}
                </span>
              </p>
              {ep.description && <p class="muted">{ep.description}</p>}
              <p class="muted">Events: {ep.events.join(', ')}</p>
              {ep.disabled_reason && <p class="error">{ep.disabled_reason}</p>}
              <div class="actions">
                <button type="button" onClick={() => void act(() => api.webhooks.test(ep.id), 'Test ping sent.')}>
                  Send test
                </button>{' '}
                <button
                  type="button"
                  onClick={() =>
                    void act(async () => {
                      const r = await api.webhooks.rotateSecret(ep.id);
                      setSecret({ url: ep.url, secret: r.secret });
                    }, 'Secret rotated.')
                  }
                >
                  Rotate secret
                </button>{' '}
                <button
                  type="button"
                  class="danger"
                  onClick={() => void act(() => api.webhooks.delete(ep.id), 'Endpoint deleted.')}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <h2>Delivery log</h2>
      {deliveries.length === 0 ? (
        <p>No deliveries yet.</p>
      ) : (
        <div class="scroll-x">
          <table class="deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col">Response</th>
                <th scope="col">When</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td>
                    {d.event_type}
                    <div class="muted filename">{d.url}</div>
                  </td>
                  <td>
                    {d.state} ({d.attempts})
                  </td>
                  <td>{d.last_status ?? d.last_error ?? '–'}</td>
                  <td>{when(d.created_at)}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() => void act(() => api.webhooks.redeliver(d.id), 'Delivery sent again.')}
                    >
                      Replay
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => void more()}>
          Older deliveries
        </button>
      )}
    </section>
  );
}
