/** Any JSON section shown as nested definition lists: always as text, depth- and size-capped. */
const MAX_DEPTH = 4;
const MAX_ITEMS = 50;

function label(key: string): string {
  return key.replace(/_/g, ' ');
}

export function Facts({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (value === null || value === undefined) return <span class="muted">–</span>;
  if (typeof value !== 'object') return <span>{String(value)}</span>;
  if (depth >= MAX_DEPTH) return <span class="muted">…</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="muted">none</span>;
    if (value.every((v) => typeof v !== 'object' || v === null))
      return <span>{value.slice(0, MAX_ITEMS).map(String).join(', ')}</span>;
    return (
      <ol class="facts-list">
        {value.slice(0, MAX_ITEMS).map((v, i) => (
          <li key={i}>
            <Facts value={v} depth={depth + 1} />
          </li>
        ))}
        {value.length > MAX_ITEMS && <li class="muted">… {value.length - MAX_ITEMS} more</li>}
      </ol>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>).slice(0, MAX_ITEMS);
  return (
    <dl class="facts">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{label(k)}</dt>
          <dd>
            <Facts value={v} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
