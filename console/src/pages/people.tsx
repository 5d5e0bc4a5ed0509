/** People: faces grouped across the library — name them, merge two (suggested ones first), open their moments, correct or forget. */
import { useEffect, useState } from 'preact/hooks';
import { errorText, type ApiClient } from '../api.ts';
import { href } from '../router.ts';
import { ArtifactImage } from '../components/artifact-image.tsx';
import { clock } from '../format.ts';

type PersonPage = Awaited<ReturnType<ApiClient['people']['list']>>;
type Person = PersonPage['data'][number];
type PersonDetail = Awaited<ReturnType<ApiClient['people']['get']>>;
type Suggestion = Awaited<ReturnType<ApiClient['people']['suggestions']>>['data'][number];

export function People({ api, id }: { api: ApiClient; id?: string | undefined }) {
  const [list, setList] = useState<Person[] | null>(null);
  const [detail, setDetail] = useState<PersonDetail | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [name, setName] = useState('');
  const [mergeWith, setMergeWith] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = async () => {
    try {
      setList((await api.people.list({ per_page: 100 })).data);
      if (id) {
        const [d, s] = await Promise.all([api.people.get(id), api.people.suggestions(id, { limit: 5 })]);
        setDetail(d);
        setSuggestions(s.data);
        setName(d.name ?? '');
      } else {
        setDetail(null);
        setSuggestions([]);
      }
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void refresh();
  }, [api, id]);

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

  return (
    <section aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      <p class="muted">
        Faces grouped across your analyses. A person is joined only when the faces are very alike: the same person in
        two different photographs often stays two people — merge them here.
      </p>
      {message && <p role="status">{message}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {detail && (
        <article aria-labelledby="person-title" class="stack">
          <h2 id="person-title">{detail.name ?? 'Unnamed person'}</h2>
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => api.people.rename(detail.id, name.trim() || null), 'Saved.');
            }}
          >
            <div class="field grow">
              <label for="person-name">Name</label>
              <input id="person-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={200} />
            </div>
            <button type="submit">Save name</button>
          </form>
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              if (mergeWith) void act(() => api.people.merge(detail.id, mergeWith), 'Merged.');
            }}
          >
            <div class="field grow">
              <label for="person-merge">Same person as</label>
              <select id="person-merge" value={mergeWith} onChange={(e) => setMergeWith(e.currentTarget.value)}>
                <option value="">choose…</option>
                {(list ?? [])
                  .filter((p) => p.id !== detail.id)
                  .map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name ?? `unnamed (${p.face_count} faces)`} — {p.id.slice(0, 8)}
                    </option>
                  ))}
              </select>
            </div>
            <button type="submit" disabled={!mergeWith}>
              Merge into this person
            </button>
          </form>
          {suggestions.length > 0 && (
            <>
              <h3>Possibly the same person</h3>
              <p class="muted">Faces alike, never on screen together: check the faces, and merge if it is them.</p>
              <ul class="hits" aria-label="Possibly the same person">
                {suggestions.map((s) => (
                  <li key={s.person.id} class="hit">
                    <a href={href(`/people/${s.person.id}`)}>
                      <ArtifactImage api={api} src={s.person.thumbnail_url} alt="" class="thumb" />
                      <span class="hit-body">
                        <span class="filename">{s.person.name ?? 'Unnamed'}</span>
                        <span class="muted">
                          {s.person.face_count} appearances · similarity {s.similarity.toFixed(2)}
                        </span>
                      </span>
                    </a>
                    <button
                      type="button"
                      class="link"
                      onClick={() => void act(() => api.people.merge(detail.id, s.person.id), 'Merged.')}
                    >
                      Same person: merge
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Appearances</h3>
          <ul class="hits">
            {detail.appearances.map((a) => (
              <li key={a.id} class="hit">
                <a href={href(`/analyses/${a.analysis_id}`, { t: a.start_seconds ?? undefined })}>
                  <ArtifactImage api={api} src={a.thumbnail_url} alt="" class="thumb" />
                  <span class="hit-body">
                    {a.page !== null
                      ? `on page ${a.page}`
                      : a.start_seconds === null
                        ? 'in a picture'
                        : `${clock(a.start_seconds)}–${clock(a.end_seconds ?? a.start_seconds)}`}
                  </span>
                </a>
                <button
                  type="button"
                  class="link"
                  onClick={() =>
                    void act(() => api.people.removeFace(detail.id, a.id), 'The face is now a person of its own.')
                  }
                >
                  Not this person
                </button>
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() =>
              void act(async () => {
                await api.people.forget(detail.id);
                location.hash = href('/people');
              }, 'Forgotten, with the face descriptions.')
            }
          >
            Forget this person
          </button>
        </article>
      )}
      <h2>Everyone{list && <span class="muted"> ({list.length})</span>}</h2>
      {list && list.length === 0 && <p>No faces were grouped yet (or face recognition is off).</p>}
      <ul class="hits">
        {(list ?? []).map((p) => (
          <li key={p.id} class="hit">
            <a href={href(`/people/${p.id}`)} aria-current={p.id === id ? 'page' : undefined}>
              <ArtifactImage api={api} src={p.thumbnail_url} alt="" class="thumb" />
              <span class="hit-body">
                <span class="filename">{p.name ?? 'Unnamed'}</span>
                <span class="muted">
                  {p.face_count} appearances in {p.analysis_ids.length} analyses
                </span>
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
