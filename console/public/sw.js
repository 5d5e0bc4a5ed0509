/*
 * The console's service worker. <video>, <audio> and <img> cannot send an Authorization
 * header, and the API key must never appear in a URL. So this worker adds the signed-in
 * tab's key to same-origin artifact requests (the media player's Range requests included)
 * and to nothing else. It keeps no key of its own: it asks the page that made the request
 * (which holds the key in session storage) and caches the answer per tab in memory only.
 */
const ARTIFACT_PATH = /^\/api\/(v1\/)?media\/[0-9a-f-]{36}\/artifacts\/[0-9a-f-]{36}$/i;
const ASK_TIMEOUT_MS = 3000;
const keysByClient = new Map();

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'api-key' || !event.source) return;
  if (typeof data.key === 'string' && data.key) keysByClient.set(event.source.id, data.key);
  else keysByClient.delete(event.source.id);
});

async function keyFor(clientId) {
  if (!clientId) return null;
  if (keysByClient.has(clientId)) return keysByClient.get(clientId);
  const client = await self.clients.get(clientId);
  if (!client) return null;
  const key = await new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), ASK_TIMEOUT_MS);
    channel.port1.onmessage = (reply) => {
      clearTimeout(timer);
      resolve(typeof reply.data === 'string' ? reply.data : null);
    };
    client.postMessage({ type: 'need-api-key' }, [channel.port2]);
  });
  if (key) keysByClient.set(clientId, key);
  return key;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !ARTIFACT_PATH.test(url.pathname)) return;
  if (request.headers.has('authorization')) return;
  event.respondWith(
    (async () => {
      const key = await keyFor(event.clientId || event.resultingClientId);
      const headers = new Headers(request.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      return fetch(url.href, { method: 'GET', headers, credentials: 'omit', cache: 'no-store', redirect: 'error' });
    })(),
  );
});
