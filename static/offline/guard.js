/* Povreg offline entry: the offline copy leaves the device with the officer. Before the logout form (on every page)
   is sent, the copy (households, drafts) and the entry app's kept files are deleted; when drafts the server does
   not have yet remain, the officer is asked first and may stay signed in to send them. Without a connection the
   logout cannot reach the server, so nothing is deleted. Messages come from the form's data attributes (translated
   on the server). */

import * as db from "./db.js";

function csrfFromCookie() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function leave(form) {
  if (await db.exists()) {
    if (!navigator.onLine) {
      window.alert(form.dataset.offlineMessage);
      return false;
    }
    const unsent = (await db.all("drafts")).length;
    if (unsent && !window.confirm(form.dataset.unsentMessage.replace("{n}", String(unsent)))) return false;
    await db.wipe();
  }
  if (window.caches) {
    for (const name of await caches.keys()) if (name.startsWith("povreg-offline-")) await caches.delete(name);
  }
  return true;
}

for (const form of document.querySelectorAll("form[data-offline-guard]")) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.guardDone) return;
    event.preventDefault();
    let go = true;
    try {
      go = await leave(form);
    } catch (error) {
      go = true; // a storage error never keeps the officer signed in
    }
    if (!go) return;
    // A page kept by the service worker may carry an older token than the session's: use the cookie's.
    const token = csrfFromCookie();
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (token && input) input.value = token;
    form.dataset.guardDone = "1";
    form.submit();
  });
}
