// The field app's service worker: the app's own files come from the cache when there is no
// connection; calls to the services are never cached (the page keeps its own records, encrypted).
const CACHE = 'amparo-field-v4';
const MODULES = [
  'field.js', 'queue.js', 'vault.js', 'words.js', 'rules.js', 'members.js', 'form.js', 'copy.js', 'conflict.js',
  'find.js', 'waiting.js', 'ui.js', 'assess.js',
];
const SHELL = [
  '/field/', '/static/field/field.css', '/static/field/manifest.webmanifest', '/static/api.js', '/static/i18n.js',
  '/static/console.css', ...MODULES.map((name) => `/static/field/${name}`),
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.pathname.startsWith('/api/') || url.pathname.startsWith('/auth/')) return;
  // Network first, so a new version is seen when online; the cached copy when offline.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});
