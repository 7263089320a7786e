// Live pages: each view re-reads its HTML fragment when an event it cares about arrives.
//
// Every piece of recorded data arrives as HTML the server has already escaped; this script
// never builds markup from data itself, it only swaps in those fragments. Live updates read
// /_emulator/events with fetch() rather than EventSource, which cannot send the admin
// token's header, so the token never has to travel in a URL.
import { api } from "./api.js";
import { reselect, selectedId } from "./keys.js";
import { notify } from "./notify.js";
import { applyOs } from "./previews.js";

const body = document.body;
const live = document.getElementById("live");
let refreshQueued = false;
let refreshing = null;
let ready = Promise.resolve();
// The inbox's list keeps still while the reader is on it; the next re-read may bring newer
// sends into it only when asked (the "new sends" bar, a new filter, an action).
let pointerOnList = false;
let showNew = false;

function setLive(state, text) {
  if (!live) return;
  live.dataset.state = state;
  live.textContent = text;
}

function fragmentUrl(part, top) {
  const url = new URL(body.dataset.fragment, window.location.origin);
  if (part === "body") url.searchParams.set("part", "body");
  if (top) url.searchParams.set("top", top);
  return url.pathname + url.search;
}

// On the list: pointer over it, a row chosen with the keyboard, scrolled down, or on an
// older page. Newer sends are then counted in a bar instead of moving the list.
function readerIsOnList() {
  return (
    pointerOnList ||
    selectedId() !== null ||
    window.scrollY > 40 ||
    new URL(body.dataset.fragment, window.location.origin).searchParams.has("cursor")
  );
}

function knownIds(root) {
  return new Set(Array.from(root.querySelectorAll("[data-id]"), (row) => row.dataset.id));
}

// Rows that were not there before this re-read are highlighted for a moment.
function markNew(root, before) {
  if (root.dataset.seen) {
    for (const row of root.querySelectorAll("tr[data-id]")) {
      if (!before.has(row.dataset.id)) row.classList.add("fresh");
    }
  }
  root.dataset.seen = "1";
}

function openDetailIds(root) {
  return Array.from(root.querySelectorAll("details[open]"), (d) => d.closest("[data-id]"))
    .filter(Boolean)
    .map((row) => row.dataset.id);
}

function reopen(root, ids) {
  for (const id of ids) {
    const details = root.querySelector('[data-id="' + CSS.escape(id) + '"] details');
    if (details) details.open = true;
  }
}

// The unread count in the tab title, from the list's own state.
export function showUnread() {
  const state = document.getElementById("list-state");
  const unread = state ? Number(state.dataset.unread || "0") : 0;
  const title = (body.dataset.title || "Inbox") + " · push-emulator";
  document.title = unread > 0 ? "(" + unread + ") " + title : title;
}

// Opening a send marks it read (the inbox's marker and count), once per page.
let markedRead = null;
export function markRead() {
  const heading = document.querySelector(".send-title");
  if (!heading || markedRead === heading.dataset.key) return;
  markedRead = heading.dataset.key;
  const url = "/_emulator/sends/" + encodeURIComponent(heading.dataset.key) + "/read";
  api(url, { method: "POST" }, false).catch(() => {});
}

// Swap a fragment in. The list of the inbox and the journal is replaced on its own, so a
// filter being typed into keeps its focus; a send's page is replaced whole.
export async function load(part) {
  const list = document.getElementById("list");
  const target = part === "list" && list ? list : document.getElementById("content");
  const state = document.getElementById("list-state");
  const keep = part === "list" && state && state.dataset.top && !showNew && readerIsOnList();
  showNew = false;
  const url = fragmentUrl(part, keep ? state.dataset.top : "");
  const response = await api(url, { headers: { Accept: "text/html" } }, true);
  if (response.status === 401) {
    target.innerHTML = '<p class="error-box">The admin token was not accepted.</p>';
    return;
  }
  const html = await response.text();
  const before = knownIds(target);
  const openDetails = openDetailIds(target);
  const selected = selectedId();
  target.innerHTML = html;
  markNew(target, before);
  reopen(target, openDetails);
  reselect(selected);
  applyOs(document);
  showUnread();
  body.dataset.loaded = String(Number(body.dataset.loaded || "0") + 1);
  if (body.dataset.page === "send") markRead();
}

// Many events in a burst (a fan-out, a load test) cause one re-read at a time, with a
// short pause after each, so a load test with the page open costs the server a few page
// renders a second rather than one per request. `withNew` lets newer sends into the list.
export function refresh(withNew = false) {
  if (withNew) showNew = true;
  if (refreshing) {
    refreshQueued = true;
    return;
  }
  refreshing = load(body.dataset.page === "send" ? "body" : "list")
    .catch(() => {}) // the next event or reconnect tries again
    .then(() => new Promise((resolve) => setTimeout(resolve, 150)))
    .finally(() => {
      refreshing = null;
      if (refreshQueued) {
        refreshQueued = false;
        refresh();
      }
    });
}

function relevant(kind, data) {
  if (!body.dataset.events.split(",").includes(kind)) return false;
  if (body.dataset.page !== "send") return true;
  const heading = document.querySelector(".send-title");
  if (!heading) return kind === "reset";
  const id = heading.dataset.id;
  if (kind === "send.status") return String(data.id) === id;
  if (kind === "delivery" || kind === "deliveries") return String(data.sendId) === id;
  return true;
}

function handleBlock(block) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) {
      if (line.startsWith(": connected")) {
        // Subscribed: anything that happened before is picked up by one re-read.
        setLive("live", "live");
        ready.then(() => refresh());
      }
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") kind = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return;
  let parsed = {};
  try {
    parsed = JSON.parse(data.join("\n"));
  } catch (error) {
    return;
  }
  if (kind === "send.status") notify(parsed);
  if (relevant(kind, parsed)) refresh();
}

// Server-Sent Events over fetch(), parsed by hand: blocks separated by a blank line,
// `event:` and `data:` fields, `:` comments (the server's "connected" and keep-alives).
// Every page also hears send.status, for the notifications it may show.
async function listen() {
  const kinds = new Set(body.dataset.events.split(",").concat(["send.status"]));
  const url = "/_emulator/events?kinds=" + encodeURIComponent(Array.from(kinds).join(","));
  for (;;) {
    try {
      const response = await api(url, { headers: { Accept: "text/event-stream" } }, false);
      if (!response.ok || !response.body) throw new Error("events: " + response.status);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          handleBlock(block);
        }
      }
    } catch (error) {
      // fall through to reconnect
    }
    setLive("offline", "reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// With an admin token the page came without data: read it first, then go live.
export function startLive() {
  document.addEventListener("pointerover", (event) => {
    pointerOnList = Boolean(event.target.closest && event.target.closest("#list"));
  });
  document.addEventListener("pointerleave", () => (pointerOnList = false));
  if (body.dataset.auth === "required") {
    ready = load("body").catch(() => setLive("offline", "offline"));
  } else {
    const list = document.getElementById("list") || document.getElementById("content");
    list.dataset.seen = "1";
    showUnread();
    if (body.dataset.page === "send") markRead();
  }
  listen();
}
