// The web inbox's script: live updates, filters, keys, notifications and the buttons. Served
// as a file because the pages' Content-Security-Policy allows no inline script.
//
// Every piece of recorded data arrives as HTML the server has already escaped; this script
// never builds markup from data itself, it only swaps in those fragments. The one place it
// shows recorded text on its own is a browser notification, which takes plain text.
//
// Admin token: when the emulator has one, the pages carry no data and this script fetches
// it with `Authorization: Bearer <token>`. The token is read once from `?token=` (then
// removed from the address bar) or asked for, and kept in sessionStorage for this tab only.
// Live updates read /_emulator/events with fetch() rather than EventSource, which cannot
// send that header, so the token never has to travel in a URL.
"use strict";

(function () {
  const body = document.body;
  const TOKEN_KEY = "push-emulator-admin-token";
  const THEME_KEY = "push-emulator-theme";
  const NOTIFY_KEY = "push-emulator-notify";
  const OS_KEY = "push-emulator-os";
  const live = document.getElementById("live");
  let refreshQueued = false;
  let refreshing = null;
  let ready = Promise.resolve();
  // The live list of the inbox: the newest send the reader has been shown (`top`), and
  // whether the next re-read may bring newer ones into the list or only count them.
  let pointerOnList = false;
  let showNew = false;

  function stored(key) {
    try {
      return localStorage.getItem(key);
    } catch (error) {
      return null;
    }
  }

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (error) {
      // storage refused: the choice lasts for this page only
    }
  }

  function takeTokenFromUrl() {
    const url = new URL(window.location.href);
    const token = url.searchParams.get("token");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  function authHeaders() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: "Bearer " + token } : {};
  }

  // fetch() with the admin token. On a 401 the token is asked for (once per page, and only
  // where `ask` is set: the events stream just tries again later) and the call repeated.
  let asked = false;
  async function api(url, options, ask) {
    const send = () => {
      const opts = Object.assign({}, options || {});
      opts.headers = Object.assign({}, opts.headers || {}, authHeaders());
      return fetch(url, opts);
    };
    const used = sessionStorage.getItem(TOKEN_KEY);
    let response = await send();
    if (response.status !== 401) return response;
    if (sessionStorage.getItem(TOKEN_KEY) !== used) return send(); // given meanwhile
    if (ask && !asked) {
      asked = true;
      const token = window.prompt("This emulator has an admin token. Enter it to see its data:");
      if (token) {
        sessionStorage.setItem(TOKEN_KEY, token.trim());
        response = await send();
      }
    }
    return response;
  }

  function setLive(state, text) {
    if (!live) return;
    live.dataset.state = state;
    live.textContent = text;
  }

  function fragmentUrl(part, top) {
    const u = new URL(body.dataset.fragment, window.location.origin);
    if (part === "body") u.searchParams.set("part", "body");
    if (top) u.searchParams.set("top", top);
    return u.pathname + u.search;
  }

  // The list keeps still while the reader is on it: pointer over it, a row chosen with the
  // keyboard, scrolled down, or on an older page. Newer sends are then counted in a bar.
  function readerIsOnList() {
    return (
      pointerOnList ||
      document.querySelector("#list .selected") !== null ||
      window.scrollY > 40 ||
      new URL(body.dataset.fragment, window.location.origin).searchParams.has("cursor")
    );
  }

  // Swap a fragment in. The list of the inbox and the journal is replaced on its own, so a
  // filter being typed into keeps its focus; a send's page is replaced whole.
  async function load(part) {
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
    return Array.from(root.querySelectorAll("details[open]"), (d) => d.closest("[data-id]") && d.closest("[data-id]").dataset.id).filter(Boolean);
  }

  function reopen(root, ids) {
    for (const id of ids) {
      const details = root.querySelector('[data-id="' + CSS.escape(id) + '"] details');
      if (details) details.open = true;
    }
  }

  // The unread count in the tab title, from the list's own state.
  function showUnread() {
    const state = document.getElementById("list-state");
    const unread = state ? Number(state.dataset.unread || "0") : 0;
    const title = (body.dataset.title || "Inbox") + " · push-emulator";
    document.title = unread > 0 ? "(" + unread + ") " + title : title;
  }

  // Opening a send marks it read (the inbox's marker and count).
  let markedRead = null;
  function markRead() {
    const heading = document.querySelector(".send-title");
    if (!heading || markedRead === heading.dataset.key) return;
    markedRead = heading.dataset.key;
    api("/_emulator/sends/" + encodeURIComponent(heading.dataset.key) + "/read", { method: "POST" }, false).catch(() => {});
  }

  // Many events in a burst (a fan-out, a load test) cause one re-read at a time, with a
  // short pause after each, so a load test with the page open costs the server a few page
  // renders a second rather than one per request.
  function refresh() {
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
    if (kind === "delivery") return String(data.sendId) === id;
    return true;
  }

  // -- browser notifications (opt-in) ----------------------------------------------------

  const notifyButton = document.getElementById("notify");

  function notifying() {
    return stored(NOTIFY_KEY) === "on" && "Notification" in window && Notification.permission === "granted";
  }

  function showNotifyState() {
    if (!notifyButton) return;
    if (!("Notification" in window)) {
      notifyButton.hidden = true;
      return;
    }
    const on = notifying();
    notifyButton.setAttribute("aria-pressed", on ? "true" : "false");
    notifyButton.textContent = on ? "Notifying" : "Notify me";
  }

  // Asked for on a click only, never on load.
  async function toggleNotify() {
    if (!("Notification" in window)) return;
    if (notifying()) {
      store(NOTIFY_KEY, null);
    } else {
      const permission = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
      if (permission === "granted") store(NOTIFY_KEY, "on");
      else window.alert("The browser did not allow notifications (" + permission + ").");
    }
    showNotifyState();
  }

  // A send has been fanned out: say what its first device was shown, as text only.
  function notify(data) {
    if (!notifying() || data.status !== "Completed") return;
    const title = data.title ? String(data.title) : "(no title)";
    const message = data.message ? String(data.message) : data.title === null ? "Reached no device" : "";
    try {
      const shown = new Notification(title, { body: message, tag: "push-emulator-" + data.id });
      shown.onclick = () => {
        window.focus();
        if (data.trackingId) window.location.href = "/_emulator/ui/sends/" + encodeURIComponent(data.trackingId);
      };
    } catch (error) {
      // some browsers only notify from a service worker; the inbox still updates
    }
  }

  // -- the event stream ------------------------------------------------------------------

  // Server-Sent Events over fetch(), parsed by hand: blocks separated by a blank line,
  // `event:` and `data:` fields, `:` comments (the server's "connected" and keep-alives).
  async function listen() {
    const kinds = Array.from(new Set(body.dataset.events.split(",").concat(["send.status"]))).join(",");
    for (;;) {
      try {
        const response = await api("/_emulator/events?kinds=" + encodeURIComponent(kinds), {
          headers: { Accept: "text/event-stream" },
        }, false);
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

  function handleBlock(block) {
    let kind = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        if (line.startsWith(": connected")) {
          // Subscribed: anything that happened before is picked up by one re-read.
          setLive("live", "live");
          ready.then(refresh);
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

  // -- filters ---------------------------------------------------------------------------

  let typing = null;

  function applyFilters(form) {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value)) params.set(name, String(value));
    }
    const query = params.toString();
    history.replaceState(null, "", form.getAttribute("action") + (query ? "?" + query : ""));
    const fragment = new URL(body.dataset.fragment, window.location.origin);
    body.dataset.fragment = fragment.pathname + (query ? "?" + query : "");
    showNew = true; // a new filter is a new list
    refresh();
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("#filters");
    if (form && event.target.tagName === "SELECT") applyFilters(form);
  });

  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("#filters");
    if (!form || event.target.tagName !== "INPUT") return;
    clearTimeout(typing);
    typing = setTimeout(() => applyFilters(form), 250);
  });

  document.addEventListener("submit", (event) => {
    if (event.target.id === "filters") {
      event.preventDefault();
      applyFilters(event.target);
    }
  });

  document.addEventListener("pointerover", (event) => {
    pointerOnList = Boolean(event.target.closest && event.target.closest("#list"));
  });
  document.addEventListener("pointerleave", () => (pointerOnList = false));

  // -- keys: j / k move, Enter opens, / searches, Esc goes back ----------------------------

  function rows() {
    return Array.from(document.querySelectorAll("#list tr[data-id], #list .feed-item"));
  }

  function selectedId() {
    const row = document.querySelector("#list .selected");
    return row ? row.dataset.id : null;
  }

  function reselect(id) {
    if (id === null) return;
    const row = rows().find((r) => r.dataset.id === id);
    if (row) row.classList.add("selected");
  }

  function move(step) {
    const all = rows();
    if (all.length === 0) return;
    const at = all.findIndex((r) => r.classList.contains("selected"));
    const next = all[Math.min(all.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
    for (const row of all) row.classList.remove("selected");
    next.classList.add("selected");
    next.scrollIntoView({ block: "nearest" });
  }

  function openSelected() {
    const row = document.querySelector("#list .selected");
    if (!row) return false;
    if (row.dataset.href) {
      window.location.href = row.dataset.href;
      return true;
    }
    const details = row.querySelector("details");
    if (details) details.open = !details.open;
    return true;
  }

  function goBack() {
    const back = document.querySelector(".back a");
    if (!back) return false;
    const cameFromHere = document.referrer && new URL(document.referrer).origin === window.location.origin;
    if (cameFromHere && history.length > 1) history.back();
    else window.location.href = back.href;
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typingInto = event.target.closest && event.target.closest("input, select, textarea");
    if (event.key === "Escape") {
      if (typingInto) {
        event.target.blur();
      } else if (document.querySelector("#list .selected")) {
        for (const row of rows()) row.classList.remove("selected");
      } else {
        goBack();
      }
      return;
    }
    if (typingInto) return;
    if (event.key === "j") {
      move(1);
      event.preventDefault();
    } else if (event.key === "k") {
      move(-1);
      event.preventDefault();
    } else if (event.key === "Enter") {
      if (openSelected()) event.preventDefault();
    } else if (event.key === "/") {
      const search = document.querySelector("#filters input[name=q]");
      if (search) {
        search.focus();
        search.select();
        event.preventDefault();
      }
    }
  });

  // -- the colour scheme -----------------------------------------------------------------

  const themeButton = document.getElementById("theme");
  const THEMES = ["auto", "light", "dark"];

  function showTheme() {
    const theme = document.documentElement.dataset.theme || "auto";
    if (themeButton) themeButton.textContent = "Theme: " + theme;
  }

  function nextTheme() {
    const now = document.documentElement.dataset.theme || "auto";
    const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
    if (next === "auto") {
      delete document.documentElement.dataset.theme;
      store(THEME_KEY, null);
    } else {
      document.documentElement.dataset.theme = next;
      store(THEME_KEY, next);
    }
    showTheme();
  }

  // -- previews: the desktop OS of a Chromium browser, expanded or not ----------------------

  function applyOs(root) {
    const chosen = stored(OS_KEY);
    for (const device of root.querySelectorAll(".os-chooser")) {
      const frame = device.parentElement;
      const variants = Array.from(frame.querySelectorAll(".os-variant"));
      const key = variants.some((v) => v.dataset.os === chosen) ? chosen : variants[0].dataset.os;
      for (const variant of variants) variant.classList.toggle("hidden", variant.dataset.os !== key);
      for (const button of device.querySelectorAll("button")) button.classList.toggle("current", button.dataset.os === key);
    }
  }

  function expand(button) {
    const preview = button.closest(".n");
    const open = preview.classList.toggle("expanded");
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "Collapse" : "Expand";
  }

  // -- buttons ---------------------------------------------------------------------------

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      // Without clipboard permission (plain http on another host): select it for Ctrl+C.
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = label), 1200);
  }

  async function act(button) {
    const action = button.dataset.action;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    let response = null;
    if (action === "copy") {
      const source = document.getElementById(button.dataset.target);
      if (source) await copy(source.textContent, button);
      return;
    } else if (action === "theme") {
      nextTheme();
      return;
    } else if (action === "notify") {
      await toggleNotify();
      return;
    } else if (action === "expand") {
      expand(button);
      return;
    } else if (action === "os") {
      store(OS_KEY, button.dataset.os);
      applyOs(document);
      return;
    } else if (action === "show-new") {
      showNew = true;
      window.scrollTo(0, 0);
      refresh();
      return;
    } else if (action === "clear") {
      response = await api("/_emulator/sends", { method: "DELETE" }, true);
    } else if (action === "reset") {
      response = await api("/_emulator/reset", { method: "POST" }, true);
    } else if (action === "read-all") {
      response = await api("/_emulator/sends/read", { method: "POST" }, true);
    } else if (action === "dispatch") {
      response = await api("/_emulator/sends/" + encodeURIComponent(button.dataset.key) + "/dispatch", { method: "POST" }, true);
    } else if (action === "open" || action === "click") {
      const id = encodeURIComponent(button.dataset.delivery);
      response = await api("/_emulator/deliveries/" + id + "/" + action, { method: "POST" }, true);
    } else {
      return;
    }
    if (!response.ok) {
      window.alert("The emulator answered " + response.status + ": " + (await response.text()));
    }
    showNew = true;
    refresh();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-action]");
    if (button) {
      event.preventDefault();
      act(button);
    }
  });

  // -- start -----------------------------------------------------------------------------

  takeTokenFromUrl();
  showTheme();
  showNotifyState();
  if (body.dataset.auth === "required") {
    ready = load("body").catch(() => setLive("offline", "offline"));
  } else {
    const list = document.getElementById("list") || document.getElementById("content");
    list.dataset.seen = "1";
    applyOs(document);
    showUnread();
    if (body.dataset.page === "send") markRead();
  }
  listen();
})();
