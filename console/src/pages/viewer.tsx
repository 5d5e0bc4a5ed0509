/**
 * The result viewer: the media (streamed with Range requests), the answer with its cited
 * times, contact sheet, timeline, transcript, detections, moderation, on-screen text,
 * entities, technical facts, stage timings, downloads and actions. Media-derived text is
 * only ever rendered as text.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, type ApiClient } from '../api.ts';
import { ACTIVE, Actions } from '../components/analysis-actions.tsx';
import { ArtifactImage } from '../components/artifact-image.tsx';
import { Detections } from '../components/detections.tsx';
import { Downloads } from '../components/downloads.tsx';
import { Facts } from '../components/facts.tsx';
import { MediaView } from '../components/media-view.tsx';
import { Moderation } from '../components/moderation.tsx';
import { StageProgress, useLiveStatus } from '../components/progress.tsx';
import { Timeline } from '../components/timeline.tsx';
import { PeopleOnTimeline } from '../components/people-line.tsx';
import { TranscriptView } from '../components/transcript.tsx';
import { clock, when } from '../format.ts';
import {
  answerParts,
  summaryBesideAnswer,
  artifactLookup,
  detectionFrames,
  duration,
  keywords,
  labelCounts,
  screenText,
  sourceArtifact,
  stageTimings,
  timeline,
} from '../results-model.ts';
import type { AnalysisStatusBody, Artifact } from '../types.ts';

type Load =
  | { state: 'loading' }
  | { state: 'missing' }
  | { state: 'error'; message: string }
  | { state: 'ready'; status: AnalysisStatusBody; artifacts: Artifact[] };

export function Viewer({ api, id, startAt }: { api: ApiClient; id: string; startAt: number }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let live = true;
    performance.mark('viewer:request');
    setLoad((l) => (l.state === 'ready' ? l : { state: 'loading' }));
    Promise.all([api.status(id), api.artifacts(id).catch((): Artifact[] => [])])
      .then(([status, artifacts]) => {
        performance.mark('viewer:data');
        if (live) setLoad({ state: 'ready', status, artifacts });
      })
      .catch((err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && (err.status === 404 || err.status === 400 || err.status === 410))
          setLoad({ state: 'missing' });
        else setLoad({ state: 'error', message: errorText(err) });
      });
    return () => {
      live = false;
    };
  }, [api, id, reload]);

  if (load.state === 'loading') return <p aria-live="polite">Loading…</p>;
  if (load.state === 'missing')
    return (
      <section aria-labelledby="nf-title" data-testid="not-found">
        <h1 id="nf-title">Analysis not found</h1>
        <p>There is no analysis with this id for your API key's tenant.</p>
        <p>
          <a href="#/library">Back to the library</a>
        </p>
      </section>
    );
  if (load.state === 'error')
    return (
      <p class="error" role="alert">
        {load.message}
      </p>
    );
  return (
    <Loaded
      api={api}
      status={load.status}
      artifacts={load.artifacts}
      startAt={startAt}
      onChanged={() => setReload((n) => n + 1)}
    />
  );
}

function Loaded(props: {
  api: ApiClient;
  status: AnalysisStatusBody;
  artifacts: Artifact[];
  startAt: number;
  onChanged: () => void;
}) {
  const { api, status, artifacts } = props;
  const results = status.results;
  const active = ACTIVE.has(status.status);
  const live = useLiveStatus(api, active ? status.analysis_id : null);
  useEffect(() => {
    if (active && live && !ACTIVE.has(live.status)) props.onChanged();
  }, [live?.status]);

  const lookup = useMemo(() => artifactLookup(artifacts), [artifacts]);
  const source = sourceArtifact(artifacts);
  const [media, setMedia] = useState<HTMLMediaElement | null>(null);
  const seekTo = useRef<number>(props.startAt);
  const seek = (seconds: number) => {
    if (!media) {
      seekTo.current = seconds;
      return;
    }
    media.currentTime = seconds;
    media.focus();
  };
  const title = status.original_filename ?? status.source_url ?? status.analysis_id;
  const line = useMemo(() => timeline(results, lookup), [results, lookup]);
  const detections = useMemo(() => detectionFrames(results, lookup), [results, lookup]);
  const answer = useMemo(() => answerParts(results), [results]);
  const summary = summaryBesideAnswer(status.result_summary, results?.answer?.text);
  const text = screenText(results);
  const kw = keywords(results);
  const labels = labelCounts(results);
  const timings = stageTimings(status);
  const contactSheet = lookup(results?.contact_sheet?.path ?? null);
  const transcript = results?.transcript ?? null;
  const mediaKind = status.media_type;

  return (
    <article class="viewer" aria-labelledby="viewer-title">
      <header class="viewer-head">
        <h1 id="viewer-title" class="filename" data-testid="viewer-title">
          {title}
        </h1>
        <p class="muted">
          <span class={`badge s-${status.status}`} data-testid="viewer-status">
            {status.status}
          </span>{' '}
          {mediaKind} · created {when(status.created_at)}
          {status.model_used && ` · model ${status.model_used}`}
        </p>
        <p class="prompt">
          <span class="muted">Prompt: </span>
          {status.prompt}
        </p>
        <Actions api={api} status={status} onChanged={props.onChanged} />
      </header>
      {active && live && <StageProgress state={live} label={title} />}
      {status.error_message && (
        <p class="error" role="alert">
          {status.error_code}: {status.error_message}
        </p>
      )}

      <div class="viewer-grid">
        <div class="viewer-main">
          <MediaView
            api={api}
            kind={mediaKind}
            source={source}
            results={results}
            onMedia={(el) => {
              setMedia(el);
            }}
            startAt={seekTo}
          />
          <section aria-labelledby="answer-title">
            <h2 id="answer-title">Answer</h2>
            <p class="answer" data-testid="answer">
              {answer.parts.length === 0 && <span class="muted">{results?.answer?.note ?? 'No answer.'}</span>}
              {answer.parts.map((p, i) =>
                typeof p === 'string' ? (
                  <span key={i}>{p}</span>
                ) : (
                  <button key={i} type="button" class="cite" onClick={() => seek(p.seconds)}>
                    {p.label}
                  </button>
                ),
              )}
            </p>
            {answer.citations.length > 0 && (
              <ul class="citations" aria-label="Citations">
                {answer.citations.map((c, i) => (
                  <li key={i}>
                    <button type="button" class="cite" onClick={() => seek(c.seconds)}>
                      {clock(c.seconds)}
                    </button>{' '}
                    <span>{c.label}</span>
                  </li>
                ))}
              </ul>
            )}
            {summary && (
              <p class="muted summary" data-testid="summary">
                {summary}
              </p>
            )}
          </section>
          {transcript && (
            <section aria-labelledby="transcript-title">
              <h2 id="transcript-title">Transcript</h2>
              <TranscriptView transcript={transcript} media={media} onSeek={seek} />
            </section>
          )}
        </div>
        <div class="viewer-side">
          {line.items.length > 0 && (
            <section aria-labelledby="timeline-title">
              <h2 id="timeline-title">{line.kind}</h2>
              <Timeline api={api} items={line.items} kind={line.kind} duration={duration(results)} onSeek={seek} />
            </section>
          )}
          <PeopleOnTimeline api={api} results={results} duration={duration(results)} onSeek={seek} />
          {contactSheet && (
            <section aria-labelledby="sheet-title">
              <h2 id="sheet-title">Contact sheet</h2>
              <ArtifactImage
                api={api}
                src={contactSheet}
                alt={`Contact sheet of ${title}`}
                class="contact-sheet"
                eager
              />
            </section>
          )}
          {(detections.length > 0 || labels.length > 0) && (
            <section aria-labelledby="det-title">
              <h2 id="det-title">Objects and faces</h2>
              <p data-testid="object-labels">{labels.map(([l, n]) => `${l} (${n})`).join(', ')}</p>
              <Detections api={api} frames={detections} onSeek={seek} />
            </section>
          )}
          {results?.moderation && (
            <section aria-labelledby="mod-title">
              <h2 id="mod-title">Moderation</h2>
              <Moderation value={results.moderation} onSeek={seek} />
            </section>
          )}
          {text.length > 0 && (
            <section aria-labelledby="ocr-title">
              <h2 id="ocr-title">On-screen text</h2>
              <ul class="ocr" data-testid="ocr">
                {text.map((t, i) => (
                  <li key={i}>
                    {t.seconds.length > 0 && (
                      <button type="button" class="cite" onClick={() => seek(t.seconds[0]!)}>
                        {clock(t.seconds[0])}
                      </button>
                    )}{' '}
                    <span>{t.text}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {(kw.entities.length > 0 || kw.keywords.length > 0) && (
            <section aria-labelledby="kw-title" data-testid="keywords">
              <h2 id="kw-title">Entities and keywords</h2>
              {kw.entities.map(([kind, names]) => (
                <p key={kind}>
                  {kind}: {names.join(', ')}
                </p>
              ))}
              {kw.keywords.length > 0 && <p>Keywords: {kw.keywords.join(', ')}</p>}
            </section>
          )}
          {(results?.probe || results?.intake) && (
            <section aria-labelledby="tech-title">
              <h2 id="tech-title">Technical facts</h2>
              <details>
                <summary>Probe and intake</summary>
                <Facts value={{ intake: results?.intake, probe: results?.probe }} />
              </details>
            </section>
          )}
          {timings.length > 0 && (
            <section aria-labelledby="timing-title">
              <h2 id="timing-title">Stage timings</h2>
              <table class="timings">
                <thead>
                  <tr>
                    <th scope="col">Stage</th>
                    <th scope="col">Time</th>
                  </tr>
                </thead>
                <tbody>
                  {timings.map((t) => (
                    <tr key={t.stage}>
                      <td>{t.stage}</td>
                      <td>{t.ms === null ? (t.status ?? '–') : `${t.ms} ms`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <Downloads api={api} status={status} artifacts={artifacts} />
        </div>
      </div>
    </article>
  );
}
