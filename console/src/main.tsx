/** The console's entry: session, service worker, shell and routes. */
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import './styles.css';
import { ApiClient } from './api.ts';
import { clearKey, getKey, setKey, startMediaWorker } from './session.ts';
import { href, navigate, useRoute } from './router.ts';
import { SignIn } from './pages/sign-in.tsx';
import { Analyze } from './pages/analyze.tsx';
import { Library } from './pages/library.tsx';
import { Viewer } from './pages/viewer.tsx';
import { Webhooks } from './pages/webhooks.tsx';
import { Keys } from './pages/keys.tsx';
import { People } from './pages/people.tsx';

const NAV = [
  { path: '/analyze', label: 'Analyze' },
  { path: '/library', label: 'Library' },
  { path: '/people', label: 'People' },
  { path: '/webhooks', label: 'Webhooks' },
  { path: '/keys', label: 'Keys' },
] as const;

function App() {
  const [key, setSessionKey] = useState(getKey);
  const route = useRoute();
  const api = useMemo(() => (key ? new ApiClient(key) : null), [key]);

  if (!api) {
    return (
      <SignIn
        onSignedIn={(k) => {
          setKey(k);
          setSessionKey(k);
          if (route.path === '/' || route.path === '/sign-in') navigate('/analyze');
        }}
      />
    );
  }
  const signOut = () => {
    clearKey();
    setSessionKey(null);
    navigate('/sign-in');
  };
  const section = route.parts[0] ?? 'analyze';
  let page;
  if (section === 'analyses' && route.parts[1]) {
    page = <Viewer api={api} id={route.parts[1]} startAt={Number(route.query.get('t') ?? '') || 0} />;
  } else if (section === 'library') page = <Library api={api} query={route.query} />;
  else if (section === 'people') page = <People api={api} id={route.parts[1]} />;
  else if (section === 'webhooks') page = <Webhooks api={api} />;
  else if (section === 'keys') page = <Keys api={api} />;
  else page = <Analyze api={api} />;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">media-analysis</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={href(n.path)} aria-current={section === n.path.slice(1) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

async function boot() {
  // The player and images need the worker before the first artifact request; do not block sign-in on it.
  const ready = startMediaWorker();
  if (getKey()) await Promise.race([ready, new Promise((r) => setTimeout(r, 3000))]);
  render(<App />, document.getElementById('app')!);
}

void boot();
