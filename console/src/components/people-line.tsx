/**
 * Named people on the viewer's timeline: each appearance of a person (results.people) as a
 * span of the bar and a button that seeks the player; in a document, the pages they are on
 * (a bar over the document's pages); in a picture without time or page (a photograph, a
 * DOCX's picture), how many. Names come from /api/people (a person named after this
 * analysis is named here too); unnamed people link to the People page.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { clock } from '../format.ts';
import { href } from '../router.ts';

interface PeopleAppearance {
  person_id: string;
  start_seconds: number | null;
  end_seconds: number | null;
  page?: number | null;
}

/** The `people` section's appearances, when the analysis has one. */
function peopleAppearances(results: Record<string, unknown> | null | undefined): PeopleAppearance[] {
  const section = results?.people as { appearances?: PeopleAppearance[] } | undefined;
  return Array.isArray(section?.appearances) ? section.appearances : [];
}

/** The pages a person is on, as a bar over the document's pages (when their count is known) and their numbers. */
function PageMarks(props: { pages: number[]; pageCount: number | null }) {
  const { pages, pageCount } = props;
  return (
    <>
      {pageCount !== null && pageCount > 0 && (
        <div class="timeline-bar" aria-hidden="true">
          {pages
            .filter((p) => p <= pageCount)
            .map((p) => (
              <span
                key={p}
                class="tick"
                style={{ left: `${(100 * (p - 1)) / pageCount}%`, width: `${Math.max(0.5, 100 / pageCount)}%` }}
              />
            ))}
        </div>
      )}
      <span data-testid="person-pages">
        {pages.length === 1 ? 'on page ' : 'on pages '}
        {pages.join(', ')}
      </span>
    </>
  );
}

function PeopleLine(props: {
  api: ApiClient;
  appearances: PeopleAppearance[];
  duration: number;
  pageCount: number | null;
  onSeek: (seconds: number) => void;
}) {
  const { api, appearances } = props;
  const [names, setNames] = useState<Map<string, string | null>>(new Map());
  // Keyed by the ids, not the array (the caller builds a new one on every render).
  const key = [...new Set(appearances.map((a) => a.person_id))].join(',');
  useEffect(() => {
    let live = true;
    const ids = key.split(',').filter(Boolean);
    void Promise.all(
      ids.map((id) =>
        api.people
          .get(id)
          .then((p) => [id, p.name] as const)
          .catch(() => [id, null] as const),
      ),
    ).then((pairs) => live && setNames(new Map(pairs)));
    return () => {
      live = false;
    };
  }, [api, key]);
  const total = props.duration > 0 ? props.duration : Math.max(1, ...appearances.map((a) => a.end_seconds ?? 0));
  const people = [...new Set(appearances.map((a) => a.person_id))];
  return (
    <ul class="people-line" data-testid="people-line">
      {people.map((id) => {
        const name = names.get(id);
        const own = appearances.filter((a) => a.person_id === id);
        const spans = own.filter((a) => a.start_seconds !== null);
        const pages = [...new Set(own.flatMap((a) => (typeof a.page === 'number' ? [a.page] : [])))].sort(
          (a, b) => a - b,
        );
        const inPictures = own.filter((a) => a.start_seconds === null && typeof a.page !== 'number').length;
        return (
          <li key={id}>
            <a href={href(`/people/${id}`)}>{name ?? 'Unnamed person'}</a>
            {pages.length > 0 && <PageMarks pages={pages} pageCount={props.pageCount} />}
            {inPictures > 0 && (
              <span data-testid="person-pictures">
                {inPictures === 1 ? 'in a picture' : `in ${inPictures} pictures`}
              </span>
            )}
            {spans.length > 0 && (
              <div class="timeline-bar" aria-hidden="true">
                {spans.map((a, i) => (
                  <span
                    key={i}
                    class="tick"
                    style={{
                      left: `${(100 * a.start_seconds!) / total}%`,
                      width: `${Math.max(0.5, (100 * ((a.end_seconds ?? a.start_seconds!) - a.start_seconds!)) / total)}%`,
                    }}
                  />
                ))}
              </div>
            )}
            {spans.map((a, i) => (
              <button key={i} type="button" class="link" onClick={() => props.onSeek(a.start_seconds!)}>
                {clock(a.start_seconds)}–{clock(a.end_seconds)}
              </button>
            ))}
          </li>
        );
      })}
    </ul>
  );
}

/** The viewer's "People" section: nothing when the analysis grouped no faces. */
export function PeopleOnTimeline(props: {
  api: ApiClient;
  results: Record<string, unknown> | null | undefined;
  duration: number;
  onSeek: (seconds: number) => void;
}) {
  const appearances = peopleAppearances(props.results);
  const doc = props.results?.document as { pages?: unknown } | undefined;
  const pageCount = typeof doc?.pages === 'number' ? doc.pages : null;
  if (appearances.length === 0) return null;
  return (
    <section aria-labelledby="people-line-title">
      <h2 id="people-line-title">People</h2>
      <PeopleLine
        api={props.api}
        appearances={appearances}
        duration={props.duration}
        pageCount={pageCount}
        onSeek={props.onSeek}
      />
    </section>
  );
}
