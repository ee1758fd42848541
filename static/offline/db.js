/* Povreg offline entry: a small promise wrapper over IndexedDB (no library). One database per device and origin,
   "povreg-offline", holding one officer's copy of one commune:
   - meta: the package's facts (user, commune, round, criteria set, expiry) under the key "package";
   - households: the commune's households as the server last sent them (key: code);
   - drafts: what the officer typed, every change written at once (key: a UUID made on the device). A draft is
     deleted only after the server confirmed it (sync.js), or when the officer discards it after a warning. */

export const DB_NAME = "povreg-offline";
const DB_VERSION = 1;
let opening = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function open() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
      if (!db.objectStoreNames.contains("households")) db.createObjectStore("households", { keyPath: "code" });
      if (!db.objectStoreNames.contains("drafts")) {
        const drafts = db.createObjectStore("drafts", { keyPath: "id" });
        drafts.createIndex("seq", "seq");
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab (or the logout guard) wants to delete or upgrade the database: let it.
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
    request.onblocked = () => { /* another tab still has the old version open; it closes on versionchange */ };
  });
  return opening;
}

async function run(stores, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    let result;
    Promise.resolve(work(tx)).then((value) => { result = value; }, (error) => { tx.abort(); reject(error); });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export const get = (store, key) => run([store], "readonly", (tx) => promised(tx.objectStore(store).get(key)));
export const all = (store) => run([store], "readonly", (tx) => promised(tx.objectStore(store).getAll()));
export const put = (store, value) => run([store], "readwrite", (tx) => promised(tx.objectStore(store).put(value)));
export const remove = (store, key) => run([store], "readwrite", (tx) => promised(tx.objectStore(store).delete(key)));
export const count = (store) => run([store], "readonly", (tx) => promised(tx.objectStore(store).count()));

/** Read, change and write one record in one transaction: `mutate(current)` returns the new record, or null to leave
 *  it as it is. Resolves to what was written (or null). */
export function update(store, key, mutate) {
  return run([store], "readwrite", (tx) => new Promise((resolve, reject) => {
    const objects = tx.objectStore(store);
    const reading = objects.get(key);
    reading.onsuccess = () => {
      const next = mutate(reading.result);
      if (next === null || next === undefined) {
        resolve(null);
        return;
      }
      const writing = objects.put(next);
      writing.onsuccess = () => resolve(next);
      writing.onerror = () => reject(writing.error);
    };
    reading.onerror = () => reject(reading.error);
  }));
}

/** Replace the commune's copy (meta and households) in one transaction; drafts are left exactly as they are. */
export function replaceCopy(meta, households) {
  return run(["meta", "households"], "readwrite", (tx) => {
    tx.objectStore("meta").put(meta);
    const store = tx.objectStore("households");
    store.clear();
    for (const household of households) store.put(household);
  });
}

/** Write a confirmed server answer and drop the draft it confirms, in one transaction: never one without the other. */
export function confirmDraft(draftId, household) {
  return run(["households", "drafts"], "readwrite", (tx) => {
    if (household) tx.objectStore("households").put(household);
    tx.objectStore("drafts").delete(draftId);
  });
}

export async function exists() {
  if (indexedDB.databases) {
    const names = (await indexedDB.databases()).map((d) => d.name);
    return names.includes(DB_NAME);
  }
  return true;
}

/** Delete the whole offline copy, drafts included (the callers warn first). */
export async function wipe() {
  if (opening) {
    try { (await opening).close(); } catch (error) { /* never opened */ }
    opening = null;
  }
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => resolve(); // deleted as soon as the other tab lets go (it closes on versionchange)
  });
}
