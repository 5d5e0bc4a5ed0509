/**
 * Library: the tenant's analyses with filters and cursor paging, and the search box that
 * lists the matching analyses (the same filters apply), each with its best moments (time or
 * page, text); a click opens the viewer at that moment.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, errorText, type ApiClient } from '../api.ts';
import { clock, unsureRuns, when } from '../format.ts';
import { href, navigate } from '../router.ts';
import type { HistoryQuery } from '../../../sdk/src/index.ts';
import type { HistoryItem, SearchAnswer, SearchParams, SearchSegment } from '../types.ts';
import { ArtifactImage } from '../components/artifact-image.tsx';

const STATUSES = ['', 'pending', 'processing', 'completed', 'failed', 'cancelled'];
const TYPES = ['', 'video', 'audio', 'image', 'document'];
const PER_PAGE = 20;
const SEARCH_LIMIT = 20;

export function Library({ api, query }: { api: ApiClient; query: URLSearchParams }) {
  const filters = {
    status: query.get('status') ?? '',
    media_type: query.get('type') ?? '',
    date_from: query.get('from') ?? '',
    date_to: query.get('to') ?? '',
  };
  const q = query.get('q') ?? '';
  const [items, setItems] = useState<HistoryItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const key = `${filters.status}|${filters.media_type}|${filters.date_from}|${filters.date_to}`;

  const load = async (after: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.history({
        per_page: PER_PAGE,
        // From the page's URL: a value the server does not know is its 400 to explain.
        status: (filters.status || undefined) as HistoryQuery['status'],
        media_type: (filters.media_type || undefined) as HistoryQuery['media_type'],
        date_from: filters.date_from ? new Date(filters.date_from).toISOString() : undefined,
        date_to: filters.date_to ? new Date(`${filters.date_to}T23:59:59.999`).toISOString() : undefined,
        cursor: after ?? undefined,
      });
      setItems((prev) => (after ? [...prev, ...page.data] : page.data));
      setCursor(page.pagination.next_cursor);
      setTotal(page.pagination.total);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(null);
  }, [api, key]);

  const apply = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const p = new URLSearchParams();
    for (const name of ['q', 'status', 'type', 'from', 'to']) {
      const v = String(form.get(name) ?? '').trim();
      if (v) p.set(name, v);
    }
    const s = p.toString();
    navigate(`/library${s ? `?${s}` : ''}`);
  };

  return (
    <section aria-labelledby="library-title">
      <h1 id="library-title">Library</h1>
      <form class="filters" onSubmit={apply} role="search" aria-label="Search and filter the library">
        <div class="field grow">
          <label for="lib-q">Search</label>
          <input id="lib-q" name="q" type="search" defaultValue={q} placeholder="Spoken words, objects, text…" />
        </div>
        <div class="field">
          <label for="lib-status">Status</label>
          <select id="lib-status" name="status" defaultValue={filters.status}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'Any'}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="lib-type">Type</label>
          <select id="lib-type" name="type" defaultValue={filters.media_type}>
            {TYPES.map((s) => (
              <option key={s} value={s}>
                {s || 'Any'}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="lib-from">From</label>
          <input id="lib-from" name="from" type="date" defaultValue={filters.date_from} />
        </div>
        <div class="field">
          <label for="lib-to">To</label>
          <input id="lib-to" name="to" type="date" defaultValue={filters.date_to} />
        </div>
        <button type="submit">Apply</button>
      </form>
      {q && <SearchResults api={api} q={q} filters={searchFilters(filters)} />}
      <h2>History{total !== null && <span class="muted"> ({total})</span>}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table class="history">
        <caption class="visually-hidden">Analyses, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Media</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.analysis_id}>
              <td>
                <a href={href(`/analyses/${a.analysis_id}`)} class="filename">
                  {a.original_filename ?? a.source_url ?? a.analysis_id}
                </a>
                <div class="muted clip">{a.prompt}</div>
              </td>
              <td>{a.media_type}</td>
              <td>
                <span class={`badge s-${a.status}`}>{a.status}</span>
              </td>
              <td>{when(a.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && items.length === 0 && !error && <p>No analyses match.</p>}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}

/** The library's filters as the search's parameters (the same analyses the history lists). */
function searchFilters(f: { status: string; media_type: string; date_from: string; date_to: string }): SearchParams {
  return {
    status: (f.status || undefined) as SearchParams['status'],
    media_type: (f.media_type || undefined) as SearchParams['media_type'],
    date_from: f.date_from ? new Date(f.date_from).toISOString() : undefined,
    date_to: f.date_to ? new Date(`${f.date_to}T23:59:59.999`).toISOString() : undefined,
  };
}

/** Where a segment is: its time, its page, or nothing. */
function at(s: SearchSegment): string | null {
  if (s.start_seconds !== null) return clock(s.start_seconds);
  if (s.page !== null) return `page ${s.page}`;
  return null;
}

/** One row per matching analysis (best first), quoting its best segments; each opens the viewer there. */
function SearchResults({ api, q, filters }: { api: ApiClient; q: string; filters: SearchParams }) {
  const [hits, setHits] = useState<SearchAnswer[] | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const key = JSON.stringify(filters);
  useEffect(() => {
    setHits(null);
    setNote(null);
    api
      .search(q, { ...filters, limit: SEARCH_LIMIT })
      .then((r) => setHits(r.data))
      .catch((err: unknown) => {
        setHits([]);
        setNote(
          err instanceof ApiError && err.status === 404 && err.code !== 'ANALYSIS_NOT_FOUND'
            ? 'Search is not available on this server yet.'
            : errorText(err),
        );
      });
  }, [api, q, key]);
  return (
    <section aria-labelledby="search-title" class="search-results">
      <h2 id="search-title">
        Matches for “<span>{q}</span>”
      </h2>
      {hits === null && <p aria-live="polite">Searching…</p>}
      {note && <p class="muted">{note}</p>}
      {hits && hits.length === 0 && !note && <p aria-live="polite">Nothing found.</p>}
      {hits && hits.length > 0 && (
        <ul class="hits" aria-live="polite">
          {hits.map((h) => {
            const best = h.segments[0];
            const thumb = h.segments.find((s) => s.keyframe_url)?.keyframe_url ?? null;
            const name = h.original_filename ?? h.analysis_id;
            return (
              <li key={h.analysis_id} class="hit" data-testid="search-hit">
                <a href={href(`/analyses/${h.analysis_id}`, { t: best?.start_seconds ?? undefined })}>
                  {thumb ? <ArtifactImage api={api} src={thumb} alt="" class="thumb" /> : <span class="thumb none" />}
                  <span class="hit-body">
                    <span class="filename">{name}</span>
                    <span class="muted">
                      {h.media_type} · relevance {Math.round(h.score * 100)}%
                    </span>
                  </span>
                </a>
                <ul class="hit-segments" aria-label={`Best matches in ${name}`}>
                  {h.segments.map((s) => {
                    const where = at(s);
                    return (
                      <li key={s.segment_id}>
                        <a href={href(`/analyses/${h.analysis_id}`, { t: s.start_seconds ?? undefined })}>
                          {where && <span class="time">{where}</span>}
                          <span class="muted"> {s.kind} · </span>
                          <span class="snippet">
                            {unsureRuns(s.text).map((run, i) =>
                              run.unsure ? (
                                <span key={i} class="w unsure" title="heard with low confidence">
                                  {run.text}
                                </span>
                              ) : (
                                run.text
                              ),
                            )}
                          </span>
                        </a>
                      </li>
                    );
                  })}
                </ul>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
