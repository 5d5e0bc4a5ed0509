/**
 * Live progress of one analysis: server-sent events when the API has them, otherwise a
 * status poll. Names the current stage and lists the stages with their states.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type ApiClient, type ProgressEvent } from '../api.ts';
import type { AnalysisStatusBody, StageState } from '../types.ts';

const FINAL = new Set(['completed', 'failed', 'cancelled', 'deleted']);
const POLL_MS = 1000;

export interface LiveState {
  status: string;
  progress: number;
  currentStage: string | null;
  stages: StageState[];
  errorMessage: string | null;
  via: 'events' | 'polling';
}

function fromStatus(s: AnalysisStatusBody, via: LiveState['via']): LiveState {
  return {
    status: s.status,
    progress: s.progress,
    currentStage: s.current_stage ?? null,
    stages: s.stages ?? [],
    errorMessage: s.error_message,
    via,
  };
}

/** Follows one analysis until it is final; the caller gets every change. */
export function useLiveStatus(api: ApiClient, id: string | null): LiveState | null {
  const [state, setState] = useState<LiveState | null>(null);
  useEffect(() => {
    if (!id) return;
    const abort = new AbortController();
    let stopped = false;
    const refresh = async (via: LiveState['via']) => {
      const s = await api.status(id);
      if (!stopped) setState(fromStatus(s, via));
      return s;
    };
    const poll = async () => {
      while (!stopped) {
        try {
          const s = await refresh('polling');
          if (FINAL.has(s.status)) return;
        } catch {
          /* keep trying: the worker may be busy or the network brief */
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    const follow = async () => {
      let initial: AnalysisStatusBody;
      try {
        initial = await refresh('events');
      } catch {
        return poll();
      }
      if (FINAL.has(initial.status)) return;
      try {
        await api.follow(
          id,
          (type: string, data: ProgressEvent) => {
            if (stopped) return;
            setState((prev) => merge(prev, type, data));
            if (FINAL.has(type) || (typeof data.status === 'string' && FINAL.has(data.status))) {
              // The final event may be slim; read the full status once.
              void refresh('events').catch(() => undefined);
              abort.abort();
            }
          },
          abort.signal,
        );
      } catch (err) {
        if (abort.signal.aborted) return;
        if (!(err instanceof ApiError) || err.status === 404 || err.status === 0) return poll();
      }
      if (!stopped && !abort.signal.aborted) return poll();
    };
    void follow();
    return () => {
      stopped = true;
      abort.abort();
    };
  }, [api, id]);
  return state;
}

/** One event into the state: `status`/`progress` carry the row's fields, `stage` one stage's change. */
export function merge(prev: LiveState | null, type: string, e: ProgressEvent): LiveState {
  const base: LiveState = prev ?? {
    status: 'pending',
    progress: 0,
    currentStage: null,
    stages: [],
    errorMessage: null,
    via: 'events',
  };
  const stageName = typeof e.stage === 'string' ? e.stage : typeof e.name === 'string' ? e.name : null;
  const stageState = [e.stage_status, e.state, type === 'stage' ? e.status : undefined].find(
    (v): v is string => typeof v === 'string',
  );
  let current = (e.current_stage ?? undefined) as string | null | undefined;
  let stages = Array.isArray(e.stages) ? e.stages : base.stages;
  if (stageName && stageState) {
    const found = stages.some((s) => s.name === stageName);
    stages = found
      ? stages.map((s) => (s.name === stageName ? { ...s, status: stageState } : s))
      : [...stages, { name: stageName, status: stageState }];
    if (current === undefined && (stageState === 'started' || stageState === 'running')) current = stageName;
  }
  const stage = current;
  const status = FINAL.has(type) ? type : type !== 'stage' && typeof e.status === 'string' ? e.status : base.status;
  return {
    ...base,
    status,
    progress: typeof e.progress === 'number' ? e.progress : base.progress,
    currentStage: stage === undefined ? base.currentStage : stage,
    stages,
    errorMessage: typeof e.error_message === 'string' ? e.error_message : base.errorMessage,
    via: 'events',
  };
}

export function StageProgress({ state, label }: { state: LiveState; label: string }) {
  const final = FINAL.has(state.status);
  return (
    <div class="live" data-status={state.status} data-via={state.via}>
      <p class="live-line" aria-live="polite">
        <span class={`badge s-${state.status}`} data-testid="live-status">
          {state.status}
        </span>{' '}
        {!final && state.currentStage && (
          <span data-testid="current-stage">
            Stage: <strong>{state.currentStage}</strong>
          </span>
        )}
      </p>
      <progress max={100} value={state.progress} aria-label={`${label} analysis progress`}>
        {state.progress}%
      </progress>
      {state.stages.length > 0 && (
        <ol class="stages" aria-label="Stages">
          {state.stages.map((s) => (
            <li key={s.name} class={`stage st-${s.status}`}>
              <span>{s.name}</span> <span class="muted">{s.status}</span>
              {typeof s.duration_ms === 'number' && <span class="muted"> · {s.duration_ms} ms</span>}
            </li>
          ))}
        </ol>
      )}
      {state.errorMessage && <p class="error">{state.errorMessage}</p>}
    </div>
  );
}
