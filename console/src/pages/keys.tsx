/** Keys (admin): every tenant's API keys; create one (a new tenant id creates the tenant), revoke one. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, errorText, type ApiClient } from '../api.ts';
import type { ApiKey } from '../../../sdk/src/index.ts';
import { when } from '../format.ts';

export function Keys({ api }: { api: ApiClient }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [denied, setDenied] = useState<string | null>(null);
  const [created, setCreated] = useState<{ tenant: string; key: string } | null>(null);
  const [tenant, setTenant] = useState('');
  const [name, setName] = useState('');
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refresh = async () => {
    try {
      setKeys(await api.admin.listKeys());
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) setDenied('Only an admin key can manage keys.');
      else if (err instanceof ApiError && err.status === 404) setDenied('This server does not offer key management.');
      else setError(errorText(err));
    }
  };
  useEffect(() => {
    void refresh();
  }, [api]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const made = await api.admin.createKey({
        tenant_id: tenant.trim(),
        name: name.trim() || `${tenant.trim()} key`,
        admin,
      });
      setCreated({ tenant: made.tenant_id, key: made.key });
      setTenant('');
      setName('');
      setAdmin(false);
      await refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const revoke = async (k: ApiKey) => {
    setError(null);
    try {
      await api.admin.revokeKey(k.id);
      await refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const tenants = keys ? [...new Set(keys.map((k) => k.tenant_id))] : [];
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      {denied && <p>{denied}</p>}
      {!denied && (
        <>
          <form onSubmit={(e) => void create(e)} class="stack">
            <h2>Create a key</h2>
            <label for="key-tenant">Tenant</label>
            <input
              id="key-tenant"
              type="text"
              required
              list="tenant-list"
              pattern="[A-Za-z0-9._\-]+"
              value={tenant}
              onInput={(e) => setTenant((e.target as HTMLInputElement).value)}
            />
            <datalist id="tenant-list">
              {tenants.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
            <label for="key-name">Name</label>
            <input
              id="key-name"
              type="text"
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
            <label class="check">
              <input
                type="checkbox"
                checked={admin}
                onChange={(e) => setAdmin((e.target as HTMLInputElement).checked)}
              />{' '}
              Admin key
            </label>
            <div>
              <button type="submit">Create key</button>
            </div>
          </form>
          {created && (
            <div class="card" role="status" data-testid="new-key">
              <p>New key for tenant {created.tenant}. It is shown only now.</p>
              <label for="new-key">Key</label>
              <input id="new-key" type="text" readOnly value={created.key} class="secret" />
              <button type="button" onClick={() => setCreated(null)}>
                I have stored it
              </button>
            </div>
          )}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <h2>Keys{tenants.length > 0 && <span class="muted"> ({tenants.length} tenants)</span>}</h2>
          {keys === null && <p>Loading…</p>}
          {keys && (
            <div class="scroll-x">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Tenant</th>
                    <th scope="col">Name</th>
                    <th scope="col">Prefix</th>
                    <th scope="col">Last used</th>
                    <th scope="col">State</th>
                  </tr>
                </thead>
                <tbody>
                  {keys.map((k) => (
                    <tr key={k.id}>
                      <td>{k.tenant_id}</td>
                      <td>
                        {k.name}
                        {k.admin && <span class="badge"> admin</span>}
                      </td>
                      <td>
                        <code>{k.prefix}</code>
                      </td>
                      <td>{when(k.last_used_at)}</td>
                      <td>
                        {k.revoked_at ? (
                          <span class="muted">revoked {when(k.revoked_at)}</span>
                        ) : (
                          <button
                            type="button"
                            class="danger"
                            onClick={() => void revoke(k)}
                            aria-label={`Revoke ${k.name}`}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
