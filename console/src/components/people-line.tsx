/**
 * Named people on the viewer's timeline: each appearance of a person (results.people) as a
 * span of the bar and a button that seeks the player. Names come from /api/people (a person
 * named after this analysis is named here too); unnamed people link to the People page.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { clock } from '../format.ts';
import { href } from '../router.ts';

interface PeopleAppearance {
  person_id: string;
  start_seconds: number | null;
  end_seconds: number | null;
}

/** The `people` section's appearances, when the analysis has one. */
function peopleAppearances(results: Record<string, unknown> | null | undefined): PeopleAppearance[] {
  const section = results?.people as { appearances?: PeopleAppearance[] } | undefined;
  return Array.isArray(section?.appearances) ? section.appearances : [];
}

function PeopleLine(props: {
  api: ApiClient;
  appearances: PeopleAppearance[];
  duration: number;
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
        const spans = appearances.filter((a) => a.person_id === id && a.start_seconds !== null);
        return (
          <li key={id}>
            <a href={href(`/people/${id}`)}>{name ?? 'Unnamed person'}</a>
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
  if (appearances.length === 0) return null;
  return (
    <section aria-labelledby="people-line-title">
      <h2 id="people-line-title">People</h2>
      <PeopleLine api={props.api} appearances={appearances} duration={props.duration} onSeek={props.onSeek} />
    </section>
  );
}
