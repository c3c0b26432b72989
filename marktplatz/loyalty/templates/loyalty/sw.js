// Marktplatz service worker: keeps the city card page for offline use.
const CACHE = "marktplatz-card-v1";
const CARD_URL = "{{ card_url|escapejs }}";

self.addEventListener("install", (event) => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.pathname !== CARD_URL) {
    return;
  }
  // Network first; the last copy of the card page when offline.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(CARD_URL, copy));
        }
        return response;
      })
      .catch(() => caches.match(CARD_URL)),
  );
});
