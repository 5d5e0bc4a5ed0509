/** Analyze: drop or pick files (or paste a URL), a prompt and options; upload, then live progress. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, type ApiClient, type AnalyzeFields } from '../api.ts';
import { StageProgress, useLiveStatus } from '../components/progress.tsx';
import { bytes } from '../format.ts';
import { href } from '../router.ts';

/** Option switches the console offers; only those the server's OpenAPI document lists are shown. */
const OPTION_LABELS: Array<{ name: string; label: string; on: boolean }> = [
  { name: 'extract_frames', label: 'Frames', on: true },
  { name: 'generate_contact_sheet', label: 'Contact sheet', on: true },
  { name: 'transcribe_audio', label: 'Transcription', on: true },
  { name: 'ocr', label: 'On-screen text (OCR) in video', on: false },
  { name: 'detect_objects', label: 'Objects', on: true },
  { name: 'objects', label: 'Objects', on: true },
  { name: 'detect_faces', label: 'Faces', on: true },
  { name: 'faces', label: 'Faces', on: true },
  { name: 'moderation', label: 'Moderation', on: true },
  { name: 'detect_shots', label: 'Shots', on: true },
  { name: 'shots', label: 'Shots', on: true },
];

interface Submission {
  localId: number;
  label: string;
  size: number | null;
  sent: number;
  analysisId: string | null;
  error: string | null;
}

/** Reads which analyze options this server accepts from its public OpenAPI document. */
function useServerOptions(): Set<string> | null {
  const [names, setNames] = useState<Set<string> | null>(null);
  useEffect(() => {
    fetch('/openapi.json', { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : null))
      .then((doc: unknown) => setNames(optionNames(doc)))
      .catch(() => setNames(new Set(['extract_frames', 'generate_contact_sheet', 'transcribe_audio', 'ocr'])));
  }, []);
  return names;
}

type OptionsSchema = { $ref?: string; properties?: Record<string, { type?: string }> };

function optionNames(doc: unknown): Set<string> {
  const found = new Set<string>();
  // The options are a component of the document (`#/components/schemas/AnalysisOptions`).
  const resolve = (schema: OptionsSchema | undefined): OptionsSchema | undefined => {
    const name = schema?.$ref?.replace('#/components/schemas/', '');
    const components = (doc as { components?: { schemas?: Record<string, OptionsSchema> } }).components;
    return name ? components?.schemas?.[name] : schema;
  };
  const visit = (node: unknown, depth: number) => {
    if (!node || typeof node !== 'object' || depth > 12) return;
    const rec = node as Record<string, unknown>;
    const props = rec.properties as Record<string, unknown> | undefined;
    const options = resolve(props?.options as OptionsSchema | undefined);
    if (props?.prompt && options?.properties) {
      for (const [k, v] of Object.entries(options.properties)) if (v.type === 'boolean') found.add(k);
    }
    for (const v of Object.values(rec)) visit(v, depth + 1);
  };
  visit(doc, 0);
  return found;
}

export function Analyze({ api }: { api: ApiClient }) {
  const [files, setFiles] = useState<File[]>([]);
  const [url, setUrl] = useState('');
  const [prompt, setPrompt] = useState('Describe what is said and shown.');
  const [options, setOptions] = useState<Record<string, boolean>>({});
  const [frameCount, setFrameCount] = useState('');
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [submissions, setSubmissions] = useState<Submission[]>([]);
  const nextId = useRef(1);
  const serverOptions = useServerOptions();
  const shown = OPTION_LABELS.filter((o) => serverOptions?.has(o.name));

  const update = (localId: number, patch: Partial<Submission>) =>
    setSubmissions((all) => all.map((s) => (s.localId === localId ? { ...s, ...patch } : s)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!prompt.trim()) return setError('Write a prompt.');
    if (files.length === 0 && !url.trim()) return setError('Choose a file or paste a URL.');
    const opts: Record<string, unknown> = {};
    // Only what differs from the server's defaults is sent, so media-specific defaults still apply.
    for (const o of shown) if ((options[o.name] ?? o.on) !== o.on) opts[o.name] = options[o.name];
    if (frameCount) opts.frame_count = Number(frameCount);
    const fields: AnalyzeFields = { prompt: prompt.trim(), ...(Object.keys(opts).length ? { options: opts } : {}) };
    const jobs: Array<{ sub: Submission; run: (sub: Submission) => Promise<{ analysis_id: string }> }> = [];
    for (const file of files) {
      const sub = {
        localId: nextId.current++,
        label: file.name,
        size: file.size,
        sent: 0,
        analysisId: null,
        error: null,
      };
      jobs.push({
        sub,
        run: (s) => api.analyzeUpload(file, fields, (sent) => update(s.localId, { sent })),
      });
    }
    if (url.trim()) {
      const sub = { localId: nextId.current++, label: url.trim(), size: null, sent: 0, analysisId: null, error: null };
      jobs.push({ sub, run: () => api.analyze({ ...fields, url: url.trim() }) });
    }
    setSubmissions((all) => [...jobs.map((j) => j.sub), ...all]);
    setFiles([]);
    setUrl('');
    for (const job of jobs) {
      try {
        const accepted = await job.run(job.sub);
        update(job.sub.localId, { analysisId: accepted.analysis_id, sent: job.sub.size ?? 0 });
      } catch (err) {
        update(job.sub.localId, { error: errorText(err) });
      }
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const dropped = Array.from(e.dataTransfer?.files ?? []);
    if (dropped.length) setFiles((f) => [...f, ...dropped]);
  };

  return (
    <section aria-labelledby="analyze-title">
      <h1 id="analyze-title">Analyze</h1>
      <form onSubmit={(e) => void submit(e)} class="stack">
        <div
          class={`drop${dragging ? ' dragging' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <p>Drop files here, or</p>
          <label class="button" for="files">
            Choose files
          </label>
          <input
            id="files"
            class="visually-hidden"
            type="file"
            multiple
            onChange={(e) => {
              const input = e.target as HTMLInputElement;
              setFiles((f) => [...f, ...Array.from(input.files ?? [])]);
              input.value = '';
            }}
          />
          {files.length > 0 && (
            <ul class="files" aria-label="Chosen files">
              {files.map((f, i) => (
                <li key={`${f.name}-${i}`}>
                  <span class="filename">{f.name}</span> <span class="muted">{bytes(f.size)}</span>{' '}
                  <button
                    type="button"
                    class="link"
                    aria-label={`Remove ${f.name}`}
                    onClick={() => setFiles((all) => all.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <label for="media-url">Or a media URL</label>
        <input
          id="media-url"
          type="url"
          placeholder="https://example.com/video.mp4"
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
        />
        <label for="prompt">Prompt</label>
        <textarea
          id="prompt"
          rows={3}
          value={prompt}
          onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)}
        />
        <fieldset>
          <legend>Options</legend>
          {serverOptions === null && <p class="muted">Loading the server's options…</p>}
          {shown.map((o) => (
            <label class="check" key={o.name}>
              <input
                type="checkbox"
                checked={options[o.name] ?? o.on}
                onChange={(e) => setOptions({ ...options, [o.name]: (e.target as HTMLInputElement).checked })}
              />{' '}
              {o.label}
            </label>
          ))}
          <label for="frame-count">Frames to extract (optional)</label>
          <input
            id="frame-count"
            type="number"
            min={1}
            max={100}
            inputMode="numeric"
            value={frameCount}
            onInput={(e) => setFrameCount((e.target as HTMLInputElement).value)}
          />
        </fieldset>
        <button type="submit">Analyze</button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {submissions.length > 0 && (
        <section aria-labelledby="submissions-title">
          <h2 id="submissions-title">Submitted</h2>
          <ul class="cards">
            {submissions.map((s) => (
              <SubmissionCard key={s.localId} api={api} sub={s} />
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

function SubmissionCard({ api, sub }: { api: ApiClient; sub: Submission }) {
  const live = useLiveStatus(api, sub.analysisId);
  return (
    <li class="card" data-testid="submission">
      <p>
        <span class="filename">{sub.label}</span>
      </p>
      {sub.error && (
        <p class="error" role="alert">
          {sub.error}
        </p>
      )}
      {!sub.analysisId && !sub.error && sub.size !== null && (
        <>
          <progress max={sub.size || 1} value={sub.sent} aria-label={`Upload of ${sub.label}`} />
          <span class="muted">
            {' '}
            Uploading {bytes(sub.sent)} of {bytes(sub.size)}
          </span>
        </>
      )}
      {sub.analysisId && live && <StageProgress state={live} label={sub.label} />}
      {sub.analysisId && (
        <p>
          <a href={href(`/analyses/${sub.analysisId}`)}>Open result</a>
        </p>
      )}
    </li>
  );
}
