/* Povreg offline entry app (templates/offline/app.html): register and assess a commune's households without a
   connection. The commune's copy and every draft live in IndexedDB (db.js); every change to a form is written there
   at once; drafts go to the server's API when there is a connection (sync.js). The classification preview runs
   classify.js on the round's rule table; the server classifies what it receives. No framework: plain modules. */

import * as db from "./db.js";
import { CATEGORY_LABELS, GROUP_LABELS, classify, vnd } from "./classify.js";
import { newKey, pendingOf, syncNow } from "./sync.js";

const _ = (text) => (window.gettext ? window.gettext(text) : text);
const format = (text, values) => text.replace(/%\((\w+)\)s/g, (match, name) => String(values[name]));
const $ = (id) => document.getElementById(id);
const body = document.body;
const LANG = (document.documentElement.lang || "vi").startsWith("en") ? "en" : "vi";
const THIS_YEAR = parseInt(body.dataset.thisYear, 10) || new Date().getFullYear();
const WORKING_AGE = [parseInt(body.dataset.workingAgeFrom, 10) || 15, parseInt(body.dataset.workingAgeTo, 10) || 60];
const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const RETRY_MS = 30000;
const SHOWN_ROWS = 100;

const state = {
  meta: null, // the package's facts (db "meta"/"package")
  households: new Map(), // code -> the household as the server last sent it
  drafts: [],
  session: undefined, // undefined: not asked; null: no answer; "signed-out"; or the server's answer
  foreign: null, // the owner of a copy that is not the signed-in user's
  syncing: false,
  lastSync: null,
  retryTimer: null,
};

// --- small helpers ------------------------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function online() {
  return navigator.onLine;
}

const fold = (text) => String(text || "").normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();

function amountText(amount) {
  return amount === null || amount === undefined ? "" : String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

/** What the officer typed as an amount of đồng ("1.500.000", "1 500 000", "1500000 đ") → a whole number, null for
 *  nothing, NaN for something else (the rule of surveys/forms.py VndField). */
function parseAmount(text) {
  const value = String(text || "").trim().replace(/\s*(₫|đ|vnđ|vnd)\s*$/i, "").trim();
  if (!value) return null;
  if (!/^(\d+|\d{1,3}([.,\s]\d{3})+)$/.test(value)) return NaN;
  return parseInt(value.replace(/[.,\s]/g, ""), 10);
}

function parseWhole(text) {
  const value = String(text || "").trim();
  if (!value) return null;
  return /^\d+$/.test(value) ? parseInt(value, 10) : NaN;
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

let noticeShownAt = 0;

function notice(message, kind = "info") {
  const box = $("notice-message");
  box.textContent = message || "";
  box.hidden = !message;
  box.dataset.kind = kind;
  noticeShownAt = Date.now();
}

function categoryBadge(category, group) {
  if (!category) return el("span", { class: "muted", text: "—" });
  const text = CATEGORY_LABELS[LANG][category] + (group ? ` (${GROUP_LABELS[LANG][group]})` : "");
  return el("span", { class: `badge cat-${category}`, dataset: { category, source: "server" }, text });
}

const STATUS_LABELS = () => ({
  unfinished: _("Not finished"),
  waiting: _("Waiting to send"),
  sending: _("Being sent"),
  conflict: _("Changed on the server: choose"),
  refused: _("Refused by the server"),
});

function statusBadge(status) {
  return el("span", { class: "status", dataset: { status }, text: STATUS_LABELS()[status] || status });
}

/** The server's reasons, in its words (the request's language); field names are left out: the messages name them. */
function errorText(error) {
  if (!error) return "";
  const errors = error.errors || [];
  if (!errors.length) return format(_("The server answered %(status)s."), { status: error.status });
  return [...new Set(errors.map((e) => e.message))].join(" ");
}

// --- the copy and its drafts ----------------------------------------------------------------------------------------

async function load() {
  state.meta = (await db.get("meta", "package")) || null;
  state.households = new Map((await db.all("households")).map((h) => [h.code, h]));
  state.drafts = (await db.all("drafts")).sort((a, b) => a.seq - b.seq);
}

function nextSeq() {
  return state.drafts.reduce((max, d) => Math.max(max, d.seq || 0), 0) + 1;
}

function draftById(id) {
  return state.drafts.find((d) => d.id === id) || null;
}

function assessmentDraftFor(code) {
  return state.drafts.find((d) => d.kind === "assessment" && d.code === code) || null;
}

function householdDraftFor(code) {
  return state.drafts.find((d) => d.kind === "household" && d.code === code) || null;
}

/** A household to show or assess: the server's, else a new one still a draft on this device. */
function householdFor(code) {
  const known = state.households.get(code);
  if (known) return { ...known, isNew: false };
  const draft = householdDraftFor(code);
  if (!draft) return null;
  const members = draft.body.members || [];
  const head = members.find((m) => m.relation === "head");
  return {
    code, hamlet: draft.body.hamlet || "", address: draft.body.address || "", head_name: head ? head.full_name : "",
    members, version: 0, assessment: null, isNew: true, draft,
  };
}

/** Write one draft at once (every input), unless it is being sent: then nothing changes and false is answered. */
async function writeDraft(draft) {
  let blocked = false;
  const written = await db.update("drafts", draft.id, (stored) => {
    if (stored && stored.status === "sending") {
      blocked = true;
      return null;
    }
    return { ...draft, updated_at: new Date().toISOString() };
  });
  if (blocked) return null;
  const index = state.drafts.findIndex((d) => d.id === draft.id);
  if (index >= 0) state.drafts[index] = written;
  else state.drafts.push(written);
  return written;
}

async function discardDraft(draft, question) {
  if (!window.confirm(question || _("Discard this draft? The server never received it; it is deleted from this device."))) return false;
  // A new household's own assessment goes with it (it could never be sent).
  const goes = [draft, ...(draft.kind === "household" && !state.households.has(draft.code)
    ? state.drafts.filter((d) => d.kind === "assessment" && d.code === draft.code) : [])];
  for (const gone of goes) await db.remove("drafts", gone.id);
  state.drafts = state.drafts.filter((d) => !goes.includes(d));
  return true;
}

// --- the server: who is signed in, the package -----------------------------------------------------------------------

async function checkSession() {
  let response;
  try {
    response = await fetch(body.dataset.sessionUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  } catch (error) {
    state.session = null;
    return;
  }
  if (response.redirected && /\/accounts\/login\//.test(response.url)) {
    state.session = "signed-out";
    return;
  }
  if (!response.ok) {
    state.session = null;
    return;
  }
  state.session = await response.json();
  if (state.meta) {
    if (state.meta.user.id !== state.session.user.id) {
      state.foreign = state.meta.user;
    } else {
      // A signed-in visit: the copy may stay for another POVREG_OFFLINE_DAYS.
      state.foreign = null;
      state.meta = { ...state.meta, expires_at: state.session.expires_at };
      await db.put("meta", state.meta);
    }
  }
}

async function expireIfDue() {
  if (state.meta && Date.now() > Date.parse(state.meta.expires_at)) {
    await db.wipe();
    await load();
    state.foreign = null;
    $("notice-expired").hidden = false;
  }
}

async function takeOffline(code) {
  if (!online()) return;
  const pending = state.drafts.length;
  if (state.meta && state.meta.commune.code !== code && pending) {
    notice(_("Send or discard the drafts of the commune on this device before taking another commune offline."), "warning");
    return;
  }
  notice(_("Downloading the commune's households…"));
  let response;
  try {
    response = await fetch(`${body.dataset.packageUrl}?commune=${encodeURIComponent(code)}`, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    });
  } catch (error) {
    notice(_("No connection: the commune could not be downloaded."), "warning");
    return;
  }
  if (response.redirected && /\/accounts\/login\//.test(response.url)) {
    state.session = "signed-out";
    notice("");
    render();
    return;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !data) {
    notice(data && data.errors ? data.errors.map((e) => e.message).join(" ") : format(_("The server answered %(status)s."), { status: response.status }), "warning");
    return;
  }
  const { households, ...facts } = data;
  await db.replaceCopy({ key: "package", ...facts }, households);
  // Ask the browser not to clear this data when space runs short (it may say no; the note on the page says so).
  if (navigator.storage && navigator.storage.persist) await navigator.storage.persist().catch(() => false);
  await load();
  state.foreign = null;
  notice(format(_("%(count)s households of %(commune)s are on this device."), { count: households.length, commune: facts.commune.name }));
  render();
}

async function removeCopy() {
  const unsent = state.drafts.length;
  const question = unsent
    ? format(_("Remove the offline copy from this device? %(count)s drafts the server does not have yet are deleted with it."), { count: unsent })
    : _("Remove the offline copy (the commune's households) from this device?");
  if (!window.confirm(question)) return;
  await db.wipe();
  await load();
  state.foreign = null;
  notice(_("The offline copy was removed from this device."));
  render();
}

// --- sending -------------------------------------------------------------------------------------------------------

function syncLine(summary) {
  const parts = [format(_("Sent: %(count)s."), { count: summary.sent })];
  if (summary.conflicts) parts.push(format(_("To choose: %(count)s."), { count: summary.conflicts }));
  if (summary.refused) parts.push(format(_("Refused: %(count)s."), { count: summary.refused }));
  if (summary.stopped === "network") parts.push(_("The connection dropped: the rest is sent when it returns."));
  if (summary.stopped === "server") parts.push(_("The server did not answer; it is tried again in a moment."));
  if (summary.stopped === "auth") parts.push(_("Sign in again to send the rest."));
  return parts.join(" ");
}

async function sendNow() {
  if (state.syncing || !online() || state.foreign || !state.meta) return;
  if (!pendingOf(state.drafts).length) return;
  // Only the officer who took the copy sends its drafts: ask who is signed in when it is not known yet.
  if (!state.session || typeof state.session !== "object") await checkSession();
  if (!state.session || typeof state.session !== "object" || state.foreign) {
    render();
    return;
  }
  state.syncing = true;
  clearTimeout(state.retryTimer);
  renderOutbox();
  $("sync-status").textContent = _("Sending…");
  let summary;
  try {
    summary = await syncNow((progress) => {
      $("sync-status").textContent = format(_("Sending… %(done)s of %(total)s"), { done: progress.sent + progress.conflicts + progress.refused, total: progress.total });
    });
  } finally {
    state.syncing = false;
  }
  state.lastSync = summary;
  if (summary.sent || summary.conflicts || summary.refused) notice("");
  if (summary.stopped === "auth") state.session = "signed-out";
  if ((summary.stopped === "network" || summary.stopped === "server") && online()) {
    state.retryTimer = setTimeout(sendNow, RETRY_MS);
  }
  await load();
  render();
  $("sync-status").textContent = syncLine(summary);
}

// --- rendering: the list ---------------------------------------------------------------------------------------------

function renderNet() {
  const isOnline = online();
  $("net").dataset.online = String(isOnline);
  body.classList.toggle("is-offline", !isOnline);
}

function renderNotices() {
  $("notice-insecure").hidden = window.isSecureContext && "serviceWorker" in navigator;
  $("notice-signed-out").hidden = state.session !== "signed-out";
  $("notice-foreign").hidden = !state.foreign;
  $("foreign-who").textContent = state.foreign ? state.foreign.username : "";
  const meta = state.meta;
  $("notice-no-round").hidden = !(meta && !state.foreign && !meta.round);
  $("notice-locked").hidden = !(meta && !state.foreign && meta.round && meta.round.list_locked);
  $("locked-status").textContent = meta && meta.round ? meta.round.list_status_label : "";
}

function renderCopy() {
  const meta = state.meta;
  const has = Boolean(meta) && !state.foreign;
  $("copy-none").hidden = Boolean(meta);
  $("btn-take").disabled = !online() || state.session === "signed-out";
  $("copy-facts").hidden = !has;
  $("copy-actions").hidden = !meta;
  $("btn-refresh").hidden = !has;
  $("btn-new").hidden = !has;
  if (has) {
    $("fact-commune").textContent = `${meta.commune.name} (${meta.commune.code})`;
    $("fact-round").textContent = meta.round
      ? `${meta.round.code} (${meta.round.year}) · ${meta.criteria_set ? meta.criteria_set[`name_${LANG}`] : ""}`
      : "—";
    $("fact-households").textContent = String(state.households.size);
    $("fact-downloaded").textContent = when(meta.downloaded_at);
    $("fact-expires").textContent = when(meta.expires_at);
  }
  if (navigator.storage && navigator.storage.persisted) {
    navigator.storage.persisted().then((yes) => { $("persist-state").dataset.persisted = String(yes); }).catch(() => {});
  }
}

function draftTitle(draft) {
  let name = "";
  if (draft.kind === "household") {
    const head = ((draft.ui && draft.ui.members) || []).find((m) => m.relation === "head");
    name = head ? head.full_name : "";
  } else {
    const household = householdFor(draft.code);
    name = household ? household.head_name : "";
  }
  const kind = draft.kind === "household" ? _("New household") : _("Assessment");
  return `${kind} · ${draft.code || "—"}${name ? " · " + name : ""}`;
}

function draftActions(draft) {
  const actions = [];
  const open = draft.kind === "household" ? `#/household/${draft.id}` : `#/assess/${encodeURIComponent(draft.code)}`;
  if (draft.status === "conflict") {
    actions.push(el("a", { class: "button primary", href: `#/conflict/${draft.id}`, "data-action": "choose", text: _("Choose") }));
  } else if (draft.status !== "sending") {
    actions.push(el("a", { class: "button", href: open, "data-action": "open", text: _("Open") }));
  }
  if (draft.status === "refused") {
    actions.push(el("button", {
      type: "button", "data-action": "retry", text: _("Send again"),
      onclick: async () => {
        await writeDraft({ ...draft, status: "waiting", key: newKey(), error: null, attempts: 0 });
        render();
        sendNow();
      },
    }));
  }
  if (["unfinished", "refused", "waiting"].includes(draft.status)) {
    actions.push(el("button", {
      type: "button", class: "danger", "data-action": "discard", text: _("Discard"),
      onclick: async () => { if (await discardDraft(draft)) render(); },
    }));
  }
  return actions;
}

function renderOutbox() {
  const drafts = state.drafts;
  $("outbox").hidden = !state.meta || Boolean(state.foreign);
  $("outbox-count").textContent = String(drafts.length);
  $("outbox-count").dataset.count = String(drafts.length);
  $("btn-send").disabled = state.syncing || !online() || !pendingOf(drafts).length || state.session === "signed-out";
  const list = $("draft-list");
  list.replaceChildren();
  if (!drafts.length) {
    list.append(el("li", { class: "muted", text: _("Nothing is waiting: everything entered on this device is on the server.") }));
    return;
  }
  for (const draft of drafts) {
    const reason = draft.status === "refused" ? errorText(draft.error) : "";
    list.append(el("li", { dataset: { draft: draft.id, kind: draft.kind, code: draft.code || "", status: draft.status } },
      el("div", {},
        el("div", { class: "what" }, draftTitle(draft), " ", statusBadge(draft.status)),
        el("div", { class: "when", text: format(_("Kept on this device since %(time)s"), { time: when(draft.updated_at) }) }),
      ),
      el("div", { class: "actions" }, draftActions(draft)),
      reason ? el("p", { class: "reason", "data-reason": "", text: reason }) : null,
    ));
  }
}

function renderRegister() {
  const show = Boolean(state.meta) && !state.foreign;
  $("register").hidden = !show;
  if (!show) return;
  const rows = [];
  for (const draft of state.drafts) {
    if (draft.kind === "household" && draft.code && !state.households.has(draft.code)) rows.push(householdFor(draft.code));
  }
  rows.push(...[...state.households.values()].map((h) => ({ ...h, isNew: false })));
  const query = fold($("hh-search").value.trim());
  const matching = query ? rows.filter((h) => fold(`${h.code} ${h.head_name} ${h.hamlet}`).includes(query)) : rows;
  const tbody = $("hh-rows");
  tbody.replaceChildren();
  for (const household of matching.slice(0, SHOWN_ROWS)) {
    const own = assessmentDraftFor(household.code) || (household.isNew ? household.draft : null);
    const target = household.isNew && ["unfinished", "refused"].includes(household.draft.status)
      ? `#/household/${household.draft.id}` : `#/assess/${encodeURIComponent(household.code)}`;
    const assessment = household.assessment;
    tbody.append(el("tr", { dataset: { household: household.code }, class: household.isNew ? "new-household" : null },
      el("td", { class: "code" }, el("a", { href: target, text: household.code })),
      el("td", {}, el("a", { href: target, text: household.head_name || "—" })),
      el("td", { text: household.hamlet || "" }),
      el("td", { class: "num", text: String((household.members || []).length) }),
      el("td", {}, categoryBadge(assessment && assessment.category, assessment && assessment.group)),
      el("td", {}, own ? statusBadge(own.status) : ""),
    ));
  }
  $("hh-more").textContent = matching.length > SHOWN_ROWS
    ? format(_("Showing %(shown)s of %(count)s: search to find the others."), { shown: SHOWN_ROWS, count: matching.length })
    : "";
}

function render() {
  renderNet();
  renderNotices();
  renderCopy();
  renderOutbox();
  renderRegister();
}

// --- the household form (new households) -----------------------------------------------------------------------------

let householdDraft = null; // the draft being edited (not yet written while the officer has typed nothing)

function blankMember(relation) {
  return {
    full_name: "", sex: "M", birth_year: "", relation, ethnicity: "01", citizen_id: "",
    able_to_work: true, social_protection: false, merit: false, disability: false, follow_age: true,
  };
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([code, label]) => el("option", { value: code, text: label })));
  select.value = value;
}

function renderMembers(members, disabled) {
  const box = $("member-rows");
  box.replaceChildren();
  const meta = state.meta;
  members.forEach((member, index) => {
    const row = $("tpl-member").content.firstElementChild.cloneNode(true);
    row.dataset.index = String(index);
    row.querySelector("[data-number]").textContent = String(index + 1);
    for (const input of row.querySelectorAll("[data-f]")) {
      const name = input.dataset.f;
      input.id = `m${index}-${name}`;
      input.name = `members-${index}-${name}`;
      if (name === "sex") fillSelect(input, meta.choices.sex, member.sex);
      else if (name === "relation") fillSelect(input, meta.choices.relation, member.relation);
      else if (name === "ethnicity") fillSelect(input, meta.ethnic_groups.map((g) => [g.code, g.name]), member.ethnicity);
      else if (input.type === "checkbox") input.checked = Boolean(member[name]);
      else input.value = member[name] === null || member[name] === undefined ? "" : String(member[name]);
      input.disabled = disabled;
    }
    for (const label of row.querySelectorAll("label[data-for]")) label.htmlFor = `m${index}-${label.dataset.for}`;
    const remove = row.querySelector("[data-remove-member]");
    remove.hidden = members.length < 2;
    remove.disabled = disabled;
    box.append(row);
  });
}

function readHouseholdForm() {
  const previous = householdDraft ? householdDraft.ui.members : [];
  const members = [...$("member-rows").querySelectorAll("[data-member]")].map((row, index) => {
    const member = { ...(previous[index] || blankMember("other")) };
    for (const input of row.querySelectorAll("[data-f]")) {
      member[input.dataset.f] = input.type === "checkbox" ? input.checked : input.value;
    }
    return member;
  });
  return { code: $("hh-code").value.trim(), hamlet: $("hh-hamlet").value, address: $("hh-address").value, members };
}

/** The API body of a new household (POST /api/v1/households/) from the form's values. */
function householdBody(ui) {
  const members = ui.members.map((m) => ({
    full_name: m.full_name.trim(), sex: m.sex, birth_year: parseWhole(m.birth_year), relation: m.relation,
    ethnicity: m.ethnicity, citizen_id: String(m.citizen_id || "").trim(), able_to_work: Boolean(m.able_to_work),
    social_protection: Boolean(m.social_protection), merit: Boolean(m.merit), disability: Boolean(m.disability),
  }));
  const head = members.find((m) => m.relation === "head");
  const data = {
    code: ui.code.trim(), commune: state.meta.commune.code, head_name: head ? head.full_name : "", members,
    address: ui.address.trim(),
  };
  if (ui.hamlet.trim()) data.hamlet = ui.hamlet.trim().replace(/\s+/g, " ");
  return data;
}

function householdErrors(ui) {
  const errors = [];
  const code = ui.code.trim();
  if (!code) errors.push(["hh-code", _("Enter the household code.")]);
  else if (!CODE_PATTERN.test(code)) errors.push(["hh-code", _("Use letters, digits, dot, dash or underscore (at most 40 characters).")]);
  else if (state.households.has(code) || state.drafts.some((d) => d.kind === "household" && d.code === code && (!householdDraft || d.id !== householdDraft.id))) {
    errors.push(["hh-code", _("This code is already used in the commune's register or in another draft.")]);
  }
  if (!ui.members.length) errors.push([null, _("Add at least one member.")]);
  const heads = ui.members.filter((m) => m.relation === "head").length;
  if (heads === 0) errors.push([null, _("Mark one member as the head of household (relation “Head”).")]);
  if (heads > 1) errors.push([null, _("Only one member can be the head of household.")]);
  ui.members.forEach((m, index) => {
    if (!String(m.full_name || "").trim()) errors.push([`m${index}-full_name`, _("Enter the member's full name.")]);
    const year = parseWhole(m.birth_year);
    if (year === null || Number.isNaN(year) || year < 1900 || year > THIS_YEAR) {
      errors.push([`m${index}-birth_year`, format(_("Enter a birth year from 1900 to %(year)s."), { year: THIS_YEAR })]);
    }
    if (m.citizen_id && !/^\d{12}$/.test(String(m.citizen_id).trim())) errors.push([`m${index}-citizen_id`, _("A citizen ID has exactly 12 digits.")]);
  });
  return errors;
}

function showErrors(box, errors) {
  for (const field of document.querySelectorAll(".field.has-error")) field.classList.remove("has-error");
  for (const input of document.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  box.replaceChildren(...errors.map(([, message]) => el("p", { text: message })));
  box.hidden = !errors.length;
  for (const [id] of errors) {
    const input = id && $(id);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      if (input.closest(".field")) input.closest(".field").classList.add("has-error");
    }
  }
  if (errors.length) box.scrollIntoView({ block: "nearest" });
}

function draftStateText(draft) {
  if (!draft) return "";
  if (draft.status === "sending") return _("Being sent: it can be changed once the server has answered.");
  return format(_("Kept on this device · %(time)s"), { time: when(draft.updated_at) }) + " · " + STATUS_LABELS()[draft.status];
}

/** The package's suggestion for a new code, moved past the codes this device already used in drafts. */
function suggestedCode() {
  const taken = new Set([...state.households.keys(), ...state.drafts.filter((d) => d.kind === "household").map((d) => d.code)]);
  let code = state.meta.next_code || "";
  const match = code.match(/^(.*?)(\d+)$/);
  if (!match) return code;
  let number = parseInt(match[2], 10);
  while (taken.has(code)) {
    number += 1;
    code = match[1] + String(number).padStart(match[2].length, "0");
  }
  return code;
}

function openHousehold(id) {
  if (!state.meta || state.foreign) return go("#/");
  let draft = id ? draftById(id) : null;
  if (id && !draft) return go("#/");
  if (!draft) {
    draft = {
      id: newKey(), kind: "household", code: "", status: "unfinished", seq: 0, isNew: true,
      ui: { code: suggestedCode(), hamlet: "", address: "", members: [blankMember("head")] }, body: null,
    };
  }
  householdDraft = draft;
  const disabled = draft.status === "sending";
  $("hh-code").value = draft.ui.code;
  $("hh-hamlet").value = draft.ui.hamlet;
  $("hh-address").value = draft.ui.address;
  $("hamlet-list").replaceChildren(...(state.meta.hamlets || []).map((name) => el("option", { value: name })));
  for (const input of $("household-form").querySelectorAll("input, select, button")) input.disabled = disabled;
  renderMembers(draft.ui.members, disabled);
  $("btn-save-assess").hidden = !state.meta.round;
  $("hh-draft-state").textContent = draft.isNew ? "" : draftStateText(draft);
  showErrors($("hh-errors"), draft.status === "refused" ? [[null, errorText(draft.error)]] : []);
}

async function keepHousehold(status) {
  if (!householdDraft.isNew && !draftById(householdDraft.id)) {
    // Sent (or discarded) while the form was open: it is no longer a draft to change here.
    notice(_("This household was sent to the server meanwhile; it is in the list."), "warning");
    go("#/");
    return null;
  }
  const ui = readHouseholdForm();
  const draft = {
    ...householdDraft, ui, code: ui.code.trim(), body: householdBody(ui), status: status || "unfinished",
    seq: householdDraft.seq || nextSeq(), created_at: householdDraft.created_at || new Date().toISOString(),
  };
  delete draft.isNew;
  if (status === "waiting") {
    draft.key = newKey(); // a new body is a new request
    draft.error = null;
    draft.attempts = 0;
  }
  const previousCode = householdDraft.code;
  const written = await writeDraft(draft);
  if (!written) {
    $("hh-draft-state").textContent = draftStateText({ status: "sending" });
    return null;
  }
  const first = householdDraft.isNew;
  householdDraft = written;
  if (previousCode && previousCode !== written.code && !state.households.has(previousCode)) {
    // The new household's own assessment follows its code (a code the server refused, changed by the officer).
    for (const other of state.drafts.filter((d) => d.kind === "assessment" && d.code === previousCode)) {
      await writeDraft({ ...other, code: written.code });
    }
  }
  if (first) history.replaceState(null, "", `#/household/${draft.id}`);
  $("hh-draft-state").textContent = draftStateText(written);
  return written;
}

function onHouseholdInput(event) {
  const target = event.target;
  // "Able to work" follows a new member's birth year (15 to 60 this year) until the officer ticks it by hand.
  const row = target.closest && target.closest("[data-member]");
  if (row) {
    const index = parseInt(row.dataset.index, 10);
    const member = householdDraft.ui.members[index];
    if (target.dataset.f === "able_to_work") member.follow_age = false;
    if (target.dataset.f === "birth_year" && member.follow_age && /^\d{4}$/.test(target.value.trim())) {
      const age = THIS_YEAR - parseInt(target.value, 10);
      row.querySelector("[data-f=able_to_work]").checked = age >= WORKING_AGE[0] && age <= WORKING_AGE[1];
    }
  }
  keepHousehold();
}

async function onHouseholdSubmit(event) {
  event.preventDefault();
  const ui = readHouseholdForm();
  const errors = householdErrors(ui);
  showErrors($("hh-errors"), errors);
  if (errors.length) return;
  const draft = await keepHousehold("waiting");
  if (!draft) return;
  notice(format(_("Household %(code)s is kept on this device, waiting to send."), { code: draft.code }));
  const then = event.submitter && event.submitter.value;
  go(then === "assess" ? `#/assess/${encodeURIComponent(draft.code)}` : "#/");
  sendNow();
}

// --- the assessment form ---------------------------------------------------------------------------------------------

let assessing = null; // { code, draft }

function membersOf(household) {
  return (household.members || []).map((m) => ({ able_to_work: Boolean(m.able_to_work), social_protection: Boolean(m.social_protection) }));
}

function readAssessForm() {
  return {
    income: $("as-income").value, total: $("as-total").value, score: $("as-score").value,
    deprived: [...$("as-indicators").querySelectorAll("input:checked")].map((input) => input.value),
  };
}

/** The inputs the API takes from what was typed, or the errors to fix first (the rules of surveys/forms.py). */
function assessmentInputs(form, household) {
  const spec = state.meta.criteria_set;
  const incomeAlso = (state.meta.round && state.meta.round.income_also) || [];
  const perCapita = parseAmount(form.income);
  const total = parseAmount(form.total);
  const score = spec.score ? parseWhole(form.score) : null;
  const errors = [];
  if (Number.isNaN(perCapita)) errors.push(["as-income", _("Enter a whole amount of đồng, for example 1.500.000.")]);
  if (Number.isNaN(total)) errors.push(["as-total", _("Enter a whole amount of đồng, for example 1.500.000.")]);
  if (Number.isNaN(score) || (score !== null && score > 1000)) errors.push(["as-score", _("Score A is a whole number of points from 0 to 1000.")]);
  if (errors.length) return { errors };
  let income = null;
  if (perCapita !== null && total !== null) errors.push(["as-total", _("Enter either the income per person or the total income, not both.")]);
  else if (perCapita !== null) income = perCapita;
  else if (total !== null) {
    const count = (household.members || []).length;
    if (count < 1) errors.push(["as-total", _("Register the household's members before dividing the income by them.")]);
    else income = Math.floor((total * 2 + count) / (2 * count)); // rounded half up to whole đồng
  }
  if (score !== null && income !== null && !incomeAlso.length) errors.push(["as-score", _("Enter either an income or score A, not both.")]);
  if (score !== null && income === null && incomeAlso.length) {
    errors.push(["as-income", format(_("This round also classifies under %(codes)s, which uses the income per person: enter it beside score A."), { codes: incomeAlso.join(", ") })]);
  }
  if (score === null && income === null && !errors.length) errors.push(["as-income", _("Enter the income per person, or the household's total monthly income.")]);
  if (errors.length) return { errors };
  const inputs = { deprived: form.deprived };
  if (score !== null) inputs.score_a = score;
  if (income !== null) inputs.income_per_capita = income;
  return { inputs, income: score !== null ? null : income, score };
}

function renderPreview(household) {
  const box = $("as-preview");
  const form = readAssessForm();
  const typed = [form.income, form.total, form.score].some((value) => String(value || "").trim());
  if (!typed) {
    box.replaceChildren(el("p", { class: "muted", text: _("Enter the income to see the category.") }));
    return;
  }
  const parsed = assessmentInputs(form, household);
  if (parsed.errors) {
    box.replaceChildren(el("div", { class: "preview-errors" }, parsed.errors.map(([, message]) => el("p", { text: message }))));
    return;
  }
  try {
    const result = classify(state.meta.criteria_set, {
      area: state.meta.round.area_type, income: parsed.income, score_a: parsed.score, deprived: form.deprived,
      members: membersOf(household),
    });
    const group = result.group ? ` (${GROUP_LABELS[LANG][result.group]})` : "";
    box.replaceChildren(el("div", { class: `preview-result cat-${result.category}`, dataset: { category: result.category, group: result.group || "", source: "device" } },
      el("p", { class: "preview-label" }, el("strong", { text: CATEGORY_LABELS[LANG][result.category] }), group),
      el("p", { class: "explanation", text: LANG === "vi" ? result.explanation_vi : result.explanation_en }),
    ));
  } catch (error) {
    box.replaceChildren(el("div", { class: "preview-errors" }, el("p", { text: error.message })));
  }
}

function openAssessment(code) {
  if (!state.meta || state.foreign) return go("#/");
  const household = householdFor(code);
  if (!household || !state.meta.round || !state.meta.criteria_set) {
    notice(!household ? _("This household is not in the offline copy.") : _("No survey round is open for this commune: households can be registered, not assessed."), "warning");
    return go("#/");
  }
  const spec = state.meta.criteria_set;
  const draft = assessmentDraftFor(code);
  const saved = household.assessment;
  assessing = { code, household, draft };
  $("as-code").textContent = code;
  $("as-head").textContent = household.head_name;
  $("as-round").textContent = `${state.meta.round.code} (${state.meta.round.year}) · ${spec[`name_${LANG}`]}`;
  const ui = draft ? draft.ui : {
    income: saved && saved.income_per_capita !== null && saved.income_per_capita !== undefined ? amountText(saved.income_per_capita) : "",
    total: "", score: saved && saved.score_a !== null && saved.score_a !== undefined ? String(saved.score_a) : "",
    deprived: saved ? saved.deprived : [],
  };
  $("as-income").value = ui.income;
  $("as-total").value = ui.total;
  $("as-score").value = ui.score;
  $("as-score-field").hidden = !spec.score;
  if (spec.score) {
    $("as-score-help").textContent = format(_("Line: %(rural)s points rural, %(urban)s urban."), { rural: spec.score.lines.rural, urban: spec.score.lines.urban });
  }
  const incomeAlso = state.meta.round.income_also || [];
  $("as-income-also").hidden = !incomeAlso.length;
  $("as-income-also").textContent = incomeAlso.length
    ? format(_("This round also reports under %(codes)s, which uses the income: enter it even when you enter score A."), { codes: incomeAlso.join(", ") }) : "";
  const count = (household.members || []).length;
  $("as-total-help").textContent = format(_("Divided by the household's %(count)s members."), { count });
  const checked = new Set(ui.deprived);
  $("as-indicators").replaceChildren(...spec.indicators.map((indicator) => el("li", {},
    el("input", { type: "checkbox", name: "deprived", value: indicator.code, id: `dep-${indicator.code}`, checked: checked.has(indicator.code), "aria-describedby": `thr-${indicator.code}` }),
    el("label", { for: `dep-${indicator.code}`, text: indicator[`name_${LANG}`] }),
    el("small", { class: "threshold", id: `thr-${indicator.code}`, text: indicator[`threshold_${LANG}`] }),
  )));
  const members = membersOf(household);
  const able = members.filter((m) => m.able_to_work).length;
  const sp = members.filter((m) => m.social_protection).length;
  const facts = [
    [_("Area in this round"), ({ urban: _("urban"), rural: _("rural") })[state.meta.round.area_type] || state.meta.round.area_type],
    [_("Members"), format(_("%(count)s · %(able)s able to work · %(sp)s social-protection beneficiaries"), { count, able, sp })],
    [_("Saved on the server"), saved ? `${CATEGORY_LABELS[LANG][saved.category]} · ${when(saved.updated_at)}` : (household.isNew ? _("New household: not on the server yet") : _("Not assessed yet"))],
  ];
  $("as-facts").replaceChildren(...facts.map(([term, value]) => el("div", {}, el("dt", { text: term }), el("dd", { text: value }))));
  const disabled = Boolean(draft && draft.status === "sending");
  for (const input of $("assess-form").querySelectorAll("input, button")) input.disabled = disabled;
  $("btn-discard-assess").hidden = !draft;
  $("as-draft-state").textContent = draftStateText(draft);
  showErrors($("as-errors"), draft && draft.status === "refused" ? [[null, errorText(draft.error)]] : []);
  renderPreview(household);
}

async function keepAssessment(status) {
  const { code, household } = assessing;
  let draft = assessing.draft;
  const form = readAssessForm();
  if (!draft || !draftById(draft.id)) {
    // A new draft starts from the version this device holds now (the server's, after any earlier send).
    const current = state.households.get(code);
    draft = {
      id: newKey(), kind: "assessment", code, seq: nextSeq(), created_at: new Date().toISOString(),
      base_version: current && current.assessment ? current.assessment.version : 0,
    };
  }
  const parsed = assessmentInputs(form, household);
  const next = { ...draft, ui: form, body: parsed.inputs || draft.body || null, status: status || "unfinished" };
  if (status === "waiting") {
    next.key = newKey();
    next.error = null;
    next.attempts = 0;
    delete next.server;
  }
  const written = await writeDraft(next);
  if (!written) {
    $("as-draft-state").textContent = draftStateText({ status: "sending" });
    return null;
  }
  assessing.draft = written;
  $("btn-discard-assess").hidden = false;
  $("as-draft-state").textContent = draftStateText(written);
  return written;
}

async function onAssessInput() {
  renderPreview(assessing.household);
  await keepAssessment();
}

async function onAssessSubmit(event) {
  event.preventDefault();
  const parsed = assessmentInputs(readAssessForm(), assessing.household);
  showErrors($("as-errors"), parsed.errors || []);
  if (parsed.errors) return;
  const warn = state.meta.income_warn || {};
  const income = parsed.inputs.income_per_capita;
  if (income !== undefined && ((warn.above && income > warn.above) || (warn.below && income > 0 && income < warn.below))) {
    const question = format(_("%(income)s per person per month looks implausible (a yearly or household total, or a zero too many or too few?). Keep it as entered?"), { income: vnd(income) });
    if (!window.confirm(question)) return;
  }
  const draft = await keepAssessment("waiting");
  if (!draft) return;
  notice(format(_("The assessment of %(code)s is kept on this device, waiting to send."), { code: draft.code }));
  go("#/");
  sendNow();
}

// --- a conflict: both versions side by side ------------------------------------------------------------------------------

let resolving = null;

function incomeTestText(values) {
  if (values.score_a !== null && values.score_a !== undefined) {
    const income = values.income_per_capita !== null && values.income_per_capita !== undefined ? ` · ${vnd(values.income_per_capita)}` : "";
    return format(_("score A %(score)s"), { score: values.score_a }) + income;
  }
  return values.income_per_capita !== null && values.income_per_capita !== undefined ? vnd(values.income_per_capita) : "—";
}

function conflictRows(draft) {
  const spec = state.meta.criteria_set;
  const mine = draft.body || { deprived: [] };
  const theirs = draft.server;
  const rows = [];
  const same = (a, b) => (a === undefined ? null : a) === (b === undefined ? null : b);
  if (!same(mine.income_per_capita, theirs.income_per_capita) || !same(mine.score_a, theirs.score_a)) {
    rows.push({ field: "income", label: spec.score ? _("Income per person or score A") : _("Income per person per month (VND)"),
      mine: incomeTestText(mine), theirs: incomeTestText(theirs) });
  }
  const mineSet = new Set(mine.deprived || []);
  const theirSet = new Set(theirs.deprived || []);
  for (const indicator of spec.indicators) {
    if (mineSet.has(indicator.code) !== theirSet.has(indicator.code)) {
      rows.push({
        field: `dep:${indicator.code}`, label: indicator[`name_${LANG}`],
        mine: mineSet.has(indicator.code) ? _("Deprived") : _("Not deprived"),
        theirs: theirSet.has(indicator.code) ? _("Deprived") : _("Not deprived"),
      });
    }
  }
  return rows;
}

function openConflict(id) {
  const draft = draftById(id);
  if (!draft || draft.status !== "conflict" || !draft.server || !state.meta) return go("#/");
  resolving = draft;
  const household = householdFor(draft.code);
  $("cf-code").textContent = draft.code;
  $("cf-head").textContent = household ? household.head_name : "";
  const rows = conflictRows(draft);
  const tbody = $("cf-rows");
  tbody.replaceChildren();
  for (const row of rows) {
    const name = `choice-${row.field}`;
    const cell = (side, text, checked) => el("td", { dataset: { side } },
      el("label", {}, el("input", { type: "radio", name, value: side, checked, "data-field": row.field }), el("span", { text })));
    tbody.append(el("tr", { dataset: { field: row.field } },
      el("th", { scope: "row", text: row.label }), cell("device", row.mine, true), cell("server", row.theirs, false)));
  }
  if (!rows.length) tbody.append(el("tr", {}, el("td", { colspan: "3", class: "same", text: _("The two versions have the same values; sending yours only confirms them.") })));
  const theirs = draft.server;
  $("cf-meta").textContent = format(_("On the server: %(category)s, version %(version)s, saved %(time)s."), {
    category: CATEGORY_LABELS[LANG][theirs.category] || theirs.category, version: theirs.version, time: when(theirs.updated_at),
  });
}

async function onResolve(event) {
  event.preventDefault();
  const draft = resolving;
  const mine = draft.body || { deprived: [] };
  const theirs = draft.server;
  const choice = (field) => {
    const picked = $("cf-rows").querySelector(`input[data-field="${CSS.escape(field)}"]:checked`);
    return picked ? picked.value : "device";
  };
  const merged = { deprived: [] };
  const source = choice("income") === "server" ? theirs : mine;
  if (source.income_per_capita !== null && source.income_per_capita !== undefined) merged.income_per_capita = source.income_per_capita;
  if (source.score_a !== null && source.score_a !== undefined) merged.score_a = source.score_a;
  const mineSet = new Set(mine.deprived || []);
  const theirSet = new Set(theirs.deprived || []);
  for (const indicator of state.meta.criteria_set.indicators) {
    const side = mineSet.has(indicator.code) === theirSet.has(indicator.code) ? mineSet : (choice(`dep:${indicator.code}`) === "server" ? theirSet : mineSet);
    if (side.has(indicator.code)) merged.deprived.push(indicator.code);
  }
  const ui = {
    income: merged.income_per_capita !== undefined ? amountText(merged.income_per_capita) : "", total: "",
    score: merged.score_a !== undefined ? String(merged.score_a) : "", deprived: merged.deprived,
  };
  const next = { ...draft, body: merged, ui, base_version: theirs.version, status: "waiting", key: newKey(), error: null };
  delete next.server;
  await writeDraft(next);
  notice(format(_("Your choice for %(code)s is waiting to send, based on the server's version %(version)s."), { code: draft.code, version: theirs.version }));
  go("#/");
  sendNow();
}

async function onTakeServer() {
  const draft = resolving;
  if (!window.confirm(_("Keep the server's version and discard what this device has for this household?"))) return;
  const household = state.households.get(draft.code);
  if (household) household.assessment = draft.server;
  await db.confirmDraft(draft.id, household || null);
  await load();
  go("#/");
}

// --- routing ---------------------------------------------------------------------------------------------------------

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function show(view) {
  for (const section of document.querySelectorAll("main > section[data-view]")) section.hidden = section.dataset.view !== view;
  window.scrollTo(0, 0);
}

function route() {
  if (Date.now() - noticeShownAt > 1500) notice("");
  const match = (location.hash || "#/").match(/^#\/([a-z]*)\/?(.*)$/) || [];
  const view = match[1] || "";
  const argument = decodeURIComponent(match[2] || "");
  if (view === "new") {
    show("household");
    openHousehold(null);
  } else if (view === "household") {
    show("household");
    openHousehold(argument);
  } else if (view === "assess") {
    show("assess");
    openAssessment(argument);
  } else if (view === "conflict") {
    show("conflict");
    openConflict(argument);
  } else {
    show("home");
    render();
  }
}

// --- start -----------------------------------------------------------------------------------------------------------

async function refreshFromServer() {
  if (!online()) return;
  await checkSession();
  await expireIfDue();
  render();
  if (state.session && state.session !== "signed-out") sendNow();
}

async function start() {
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => {});
  }
  $("household-form").addEventListener("input", onHouseholdInput);
  $("household-form").addEventListener("submit", onHouseholdSubmit);
  $("btn-add-member").addEventListener("click", () => {
    const ui = readHouseholdForm();
    ui.members.push(blankMember(ui.members.length ? "other" : "head"));
    householdDraft = { ...householdDraft, ui };
    renderMembers(ui.members, false);
    keepHousehold();
    const last = $("member-rows").lastElementChild;
    if (last) last.querySelector("[data-f=full_name]").focus();
  });
  $("member-rows").addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-member]");
    if (!button) return;
    const index = parseInt(button.closest("[data-member]").dataset.index, 10);
    const ui = readHouseholdForm();
    ui.members.splice(index, 1);
    householdDraft = { ...householdDraft, ui };
    renderMembers(ui.members, false);
    keepHousehold();
  });
  $("btn-discard-household").addEventListener("click", async () => {
    if (householdDraft.isNew || (await discardDraft(householdDraft))) go("#/");
  });
  $("assess-form").addEventListener("input", onAssessInput);
  $("assess-form").addEventListener("submit", onAssessSubmit);
  $("btn-discard-assess").addEventListener("click", async () => {
    if (assessing.draft && (await discardDraft(assessing.draft))) go("#/");
  });
  $("conflict-form").addEventListener("submit", onResolve);
  $("btn-take-server").addEventListener("click", onTakeServer);
  $("btn-take").addEventListener("click", () => takeOffline($("commune-select").value));
  $("btn-refresh").addEventListener("click", () => state.meta && takeOffline(state.meta.commune.code));
  $("btn-remove").addEventListener("click", removeCopy);
  $("btn-send").addEventListener("click", sendNow);
  $("hh-search").addEventListener("input", renderRegister);
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { renderNet(); setTimeout(refreshFromServer, 500); });
  window.addEventListener("offline", () => { renderNet(); render(); });

  await load();
  if (online()) await checkSession();
  await expireIfDue();
  body.dataset.ready = "true";
  route();
  if (online() && state.session && state.session !== "signed-out") sendNow();
}

start();
