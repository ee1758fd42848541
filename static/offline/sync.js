/* Povreg offline entry: sending the drafts to the server's own API when there is a connection.

   Order: new households first, then assessments (an assessment of a household that is itself still a draft waits for
   it), each in the order it was saved, in small batches, one request at a time, one sync at a time (across tabs).
   Every draft carries a key made on the device, sent as the Idempotency-Key header: when an answer is lost on the
   way back, the same request is sent again with the same key and the server answers as the first time instead of
   writing twice (offline/idempotency.py). A draft is deleted only in the same IndexedDB transaction that stores the
   server's answer. Authentication is the officer's session cookie and its CSRF token: no token is kept on the device.

   Outcomes per draft: sent (deleted), conflict (409: someone changed the assessment meanwhile; the server's version is
   kept beside the draft for the officer to choose field by field), refused (another 4xx, e.g. the commune's list is
   already submitted: the draft stays with the server's reason), or unknown (no answer: it stays "sending" and is sent
   again with the same key). Signed out or no connection stops the run; nothing is lost. */

import * as db from "./db.js";

export const API = "/api/v1/";
export const BATCH_SIZE = 5;

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // (randomUUID needs a secure context; this does not)
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function request(method, url, body, key) {
  const headers = {
    Accept: "application/json",
    "Accept-Language": document.documentElement.lang || "vi",
    "X-CSRFToken": csrfToken(),
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { outcome: "network", status: 0, data: null };
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  return { outcome: outcomeOf(response, data), status: response.status, data };
}

function errorsOf(data) {
  return (data && Array.isArray(data.errors)) ? data.errors : [];
}

function outcomeOf(response, data) {
  const status = response.status;
  if (response.redirected && /\/accounts\/login\//.test(response.url)) return "auth";
  if (status >= 200 && status < 300) return "ok";
  if (status === 401) return "auth";
  if (status === 403 && errorsOf(data).some((e) => /CSRF/i.test(e.message || ""))) return "auth";
  if (status === 409) return errorsOf(data).some((e) => e.field === "Idempotency-Key") ? "key" : "conflict";
  if (status === 429 || status >= 500 || !data) return "server";
  return "refused";
}

/** The household as the device keeps it, from the API's answer (citizen IDs are not kept on the device). */
export function householdFromServer(data, previous) {
  return {
    code: data.code,
    hamlet: data.hamlet || "",
    head_name: data.head_name,
    address: data.address || "",
    version: data.version,
    members: (data.members || []).map((m) => ({
      full_name: m.full_name, sex: m.sex, birth_year: m.birth_year, relation: m.relation,
      ethnicity: m.ethnic_group || m.ethnicity, able_to_work: m.able_to_work, social_protection: m.social_protection,
      merit: m.merit, disability: m.disability,
    })),
    assessment: previous ? previous.assessment || null : null,
  };
}

export function assessmentFromServer(data) {
  return {
    version: data.version, basis: data.basis, income_per_capita: data.income_per_capita, score_a: data.score_a,
    score_b: data.score_b, category: data.category, group: data.group || null, deprived: data.deprived || [],
    deprived_count: data.deprived_count, explanation_vi: data.explanation_vi, explanation_en: data.explanation_en,
    updated_at: data.updated_at,
  };
}

function assessmentUrl(roundCode, householdCode) {
  return `${API}assessments/${encodeURIComponent(roundCode)}/${encodeURIComponent(householdCode)}/`;
}

/** Take a draft for sending: only one that is (still) waiting or sending, read and marked in one transaction, so an
 *  edit made on the form meanwhile is never overwritten nor sent half-way. */
function claim(id) {
  return db.update("drafts", id, (draft) => (draft && (draft.status === "waiting" || draft.status === "sending")
    ? { ...draft, status: "sending", attempts: (draft.attempts || 0) + 1, error: null, updated_at: new Date().toISOString() }
    : null));
}

function settle(id, changes) {
  return db.update("drafts", id, (draft) => (draft ? { ...draft, ...changes, updated_at: new Date().toISOString() } : null));
}

/** Signed out: this request wrote nothing. It is only free to change again when no earlier attempt with the same key
 *  may have reached the server (the officer's save starts the count again). */
function afterSignedOut(draft) {
  return { status: draft.attempts > 1 ? "sending" : "waiting" };
}

async function sendHousehold(id) {
  const draft = await claim(id);
  if (!draft) return "skipped";
  const answer = await request("POST", `${API}households/`, draft.body, draft.key);
  if (answer.outcome === "ok") {
    await db.confirmDraft(id, householdFromServer(answer.data, null));
  } else if (answer.outcome === "refused" || answer.outcome === "conflict") {
    await settle(id, { status: "refused", error: { status: answer.status, errors: errorsOf(answer.data) } });
  } else if (answer.outcome === "key") {
    await settle(id, { status: "waiting", key: newKey() });
  } else if (answer.outcome === "auth") {
    await settle(id, afterSignedOut(draft));
  }
  // network or server: stays "sending" (the answer may have been lost): sent again with the same key
  return answer.outcome;
}

async function sendAssessment(id, meta) {
  const draft = await claim(id);
  if (!draft) return "skipped";
  const round = meta.round.code;
  const inputs = draft.body;
  const answer = draft.base_version > 0
    ? await request("PUT", assessmentUrl(round, draft.code), { ...inputs, version: draft.base_version }, draft.key)
    : await request("POST", `${API}assessments/`, { round, household: draft.code, ...inputs }, draft.key);
  if (answer.outcome === "ok") {
    const household = await db.get("households", draft.code);
    if (household) household.assessment = assessmentFromServer(answer.data);
    await db.confirmDraft(id, household);
  } else if (answer.outcome === "conflict") {
    // Someone saved this household's assessment meanwhile: keep theirs beside the draft, for the officer to choose.
    const current = await request("GET", assessmentUrl(round, draft.code));
    if (current.outcome === "ok") {
      await settle(id, { status: "conflict", server: assessmentFromServer(current.data), error: { status: 409, errors: errorsOf(answer.data) } });
    } else {
      await settle(id, { status: "refused", error: { status: answer.status, errors: errorsOf(answer.data) } });
    }
  } else if (answer.outcome === "refused") {
    await settle(id, { status: "refused", error: { status: answer.status, errors: errorsOf(answer.data) } });
  } else if (answer.outcome === "key") {
    await settle(id, { status: "waiting", key: newKey() });
  } else if (answer.outcome === "auth") {
    await settle(id, afterSignedOut(draft));
  }
  return answer.outcome;
}

const STOPS = new Set(["network", "auth", "server"]);

export function pendingOf(drafts) {
  return drafts.filter((d) => d.status === "waiting" || d.status === "sending").sort((a, b) => a.seq - b.seq);
}

async function runSync(onProgress) {
  const summary = { sent: 0, conflicts: 0, refused: 0, waiting: 0, total: 0, stopped: null };
  const meta = await db.get("meta", "package");
  if (!meta) return summary;
  const pending = pendingOf(await db.all("drafts"));
  summary.total = pending.length;
  const report = () => onProgress && onProgress({ ...summary });
  const tally = (outcome) => {
    if (outcome === "ok") summary.sent += 1;
    else if (outcome === "conflict") summary.conflicts += 1;
    else if (outcome === "refused") summary.refused += 1;
    else if (outcome !== "skipped") summary.waiting += 1;
    if (STOPS.has(outcome)) summary.stopped = outcome;
  };
  const households = pending.filter((d) => d.kind === "household");
  for (let start = 0; start < households.length && !summary.stopped; start += BATCH_SIZE) {
    for (const draft of households.slice(start, start + BATCH_SIZE)) {
      tally(await sendHousehold(draft.id));
      if (summary.stopped) break;
    }
    report();
  }
  if (summary.stopped) return summary;
  // An assessment waits while its household is still a draft on the device (not yet on the server).
  const unsentHouseholds = new Set((await db.all("drafts")).filter((d) => d.kind === "household").map((d) => d.body.code));
  const assessments = pending.filter((d) => d.kind === "assessment");
  for (let start = 0; start < assessments.length && !summary.stopped; start += BATCH_SIZE) {
    for (const draft of assessments.slice(start, start + BATCH_SIZE)) {
      if (unsentHouseholds.has(draft.code)) {
        summary.waiting += 1;
        continue;
      }
      if (!meta.round) {
        summary.refused += 1;
        continue;
      }
      tally(await sendAssessment(draft.id, meta));
      if (summary.stopped) break;
    }
    report();
  }
  return summary;
}

let running = null;

/** Send what is waiting; one run at a time (a second call joins the first), one tab at a time where the browser
 *  has Web Locks. */
export function syncNow(onProgress) {
  if (running) return running;
  const job = () => runSync(onProgress);
  running = (navigator.locks ? navigator.locks.request("povreg-offline-sync", job) : job()).finally(() => { running = null; });
  return running;
}
