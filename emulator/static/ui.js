// The web inbox's only script: live updates, filters, and the buttons. Served as a file
// because the pages' Content-Security-Policy allows no inline script.
//
// Every piece of recorded data arrives as HTML the server has already escaped; this script
// never builds markup from data itself, it only swaps in those fragments.
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
  const live = document.getElementById("live");
  let refreshQueued = false;
  let refreshing = null;
  let ready = Promise.resolve();

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

  function withPart(url, part) {
    const u = new URL(url, window.location.origin);
    u.searchParams.set("part", part);
    return u.pathname + u.search;
  }

  // Swap a fragment in. The list of the inbox and the journal is replaced on its own, so a
  // filter being typed into keeps its focus; a send's page is replaced whole.
  async function load(part) {
    const target = part === "list" ? document.getElementById("list") || document.getElementById("content")
                                   : document.getElementById("content");
    const url = part === "body" ? withPart(body.dataset.fragment, "body") : body.dataset.fragment;
    const response = await api(url, { headers: { Accept: "text/html" } }, true);
    if (response.status === 401) {
      target.innerHTML = '<p class="error-box">The admin token was not accepted.</p>';
      return;
    }
    const html = await response.text();
    const before = knownIds(target);
    const openDetails = openDetailIds(target);
    target.innerHTML = html;
    markNew(target, before);
    reopen(target, openDetails);
    body.dataset.loaded = String(Number(body.dataset.loaded || "0") + 1);
  }

  function knownIds(root) {
    return new Set(Array.from(root.querySelectorAll("tr[data-id]"), (row) => row.dataset.id));
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
    if (body.dataset.page !== "send") return true;
    const heading = document.querySelector(".send-title");
    if (!heading) return kind === "reset";
    const id = heading.dataset.id;
    if (kind === "send.status") return String(data.id) === id;
    if (kind === "delivery" || kind === "deliveries") return String(data.sendId) === id;
    return true;
  }

  // Server-Sent Events over fetch(), parsed by hand: blocks separated by a blank line,
  // `event:` and `data:` fields, `:` comments (the server's "connected" and keep-alives).
  async function listen() {
    const kinds = body.dataset.events;
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
    typing = setTimeout(() => applyFilters(form), 200);
  });

  document.addEventListener("submit", (event) => {
    if (event.target.id === "filters") {
      event.preventDefault();
      applyFilters(event.target);
    }
  });

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
    } else if (action === "clear") {
      response = await api("/_emulator/sends", { method: "DELETE" }, true);
    } else if (action === "reset") {
      response = await api("/_emulator/reset", { method: "POST" }, true);
    } else if (action === "open" || action === "click") {
      const id = encodeURIComponent(button.dataset.delivery);
      response = await api("/_emulator/deliveries/" + id + "/" + action, { method: "POST" }, true);
    } else {
      return;
    }
    if (!response.ok) {
      window.alert("The emulator answered " + response.status + ": " + (await response.text()));
    }
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
  if (body.dataset.auth === "required") {
    ready = load("body").catch(() => setLive("offline", "offline"));
  } else {
    const list = document.getElementById("list") || document.getElementById("content");
    list.dataset.seen = "1";
  }
  listen();
})();
