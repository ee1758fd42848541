/* Povreg offline entry: service worker (served by offline.views.service_worker; its scope is {{ shell_url }}).
   It keeps the entry app's page and files so that the app opens without a connection. It never keeps household data:
   that lives in IndexedDB, written by the app itself. The API and the package pass straight to the network.
   - static files: cache first (their addresses change with their content in production);
   - the page, the JavaScript catalog and the manifest: network first, the kept copy when there is no connection
     (or no answer within a few seconds: a weak signal should not leave the officer waiting). */
"use strict";

const VERSION = "{{ version }}";
const CACHE = "povreg-offline-" + VERSION;
const SHELL = "{{ shell_url }}";
const ASSETS = {{ assets_json|safe }};
const STATIC_PREFIX = {{ static_prefix_json|safe }};
const NETWORK_WAIT_MS = 4000;

async function keepShell(cache) {
  // Only the real page, never a login page it was redirected to.
  try {
    const response = await fetch(SHELL, { credentials: "same-origin", cache: "no-store" });
    if (response.ok && !response.redirected) await cache.put(SHELL, response);
  } catch (error) {
    /* offline while installing: the page is kept on its next visit */
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS.map((url) => new Request(url, { credentials: "same-origin", cache: "no-cache" })));
    await keepShell(cache);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("povreg-offline-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (response.ok && !response.redirected && response.type === "basic") await cache.put(key, response.clone());
    return response;
  });
  try {
    return await withTimeout(network, NETWORK_WAIT_MS);
  } catch (error) {
    const kept = await cache.match(key, { ignoreSearch: true, ignoreVary: true });
    if (kept) {
      network.catch(() => {}); // a late answer still refreshes the copy
      return kept;
    }
    return network.catch(() => new Response(
      "<!doctype html><meta charset=utf-8><title>Povreg</title><p>Không có kết nối. / No connection.</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
    ));
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(networkFirst(request, SHELL));
  } else if (url.pathname.startsWith(STATIC_PREFIX) && ASSETS.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  }
  // Anything else (the API, the package, other pages) goes to the network as usual: never kept here.
});
