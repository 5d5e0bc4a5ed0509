/**
 * The signed-in API key lives in this tab's session storage only (gone when the tab
 * closes), never in a URL, a cookie or a log. The service worker gets it on request.
 */
const STORAGE_KEY = 'media-analysis:api-key';

export function getKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function setKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
  tellWorker(key);
}

export function clearKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  tellWorker(null);
}

function tellWorker(key: string | null): void {
  navigator.serviceWorker?.controller?.postMessage({ type: 'api-key', key });
}

/**
 * Registers the worker that authorises the player's and images' artifact requests, and
 * answers its key questions. Resolves once this page is controlled by it (or at once when
 * service workers are unavailable; the viewer then falls back to downloading media).
 */
export async function startMediaWorker(): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as { type?: string } | null;
    if (data?.type === 'need-api-key') event.ports[0]?.postMessage(getKey());
  });
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((resolve) => {
        navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
      });
    }
    // Saves the worker a round trip on the first image.
    const key = getKey();
    if (key) tellWorker(key);
    return true;
  } catch {
    return false;
  }
}

export function hasMediaWorker(): boolean {
  return Boolean(navigator.serviceWorker?.controller);
}
