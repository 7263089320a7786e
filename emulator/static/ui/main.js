// The web inbox's script, started by every page: filters, buttons and the colour scheme here;
// live updates, keys, notifications and the previews' controls in the modules beside it.
// Served as files because the pages' Content-Security-Policy allows no inline script.
import { api, store, takeTokenFromUrl } from "./api.js";
import { listenForKeys } from "./keys.js";
import { refresh, startLive } from "./live.js";
import { showNotifyState, toggleNotify } from "./notify.js";
import { applyOs, chooseOs, expand } from "./previews.js";

const body = document.body;

// -- filters: the address holds them, so a filtered inbox is a bookmark ---------------------

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
  refresh(true); // a new filter is a new list
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

// -- the colour scheme: auto (the system's), light, dark; theme.js applies it early --------

const THEME_KEY = "push-emulator-theme";
const THEMES = ["auto", "light", "dark"];
const themeButton = document.getElementById("theme");

function showTheme() {
  if (themeButton) themeButton.textContent = "Theme: " + (document.documentElement.dataset.theme || "auto");
}

function nextTheme() {
  const now = document.documentElement.dataset.theme || "auto";
  const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
  if (next === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = next;
  store(THEME_KEY, next === "auto" ? null : next);
  showTheme();
}

// -- buttons -----------------------------------------------------------------------------

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

// Buttons that change nothing on the server.
const LOCAL = {
  copy: (button) => {
    const source = document.getElementById(button.dataset.target);
    return source ? copy(source.textContent, button) : null;
  },
  theme: nextTheme,
  notify: toggleNotify,
  expand: expand,
  os: chooseOs,
  "show-new": () => {
    window.scrollTo(0, 0);
    refresh(true);
  },
};

// Buttons that call the inspection API: the request each makes.
const CALLS = {
  clear: () => ["/_emulator/sends", "DELETE"],
  reset: () => ["/_emulator/reset", "POST"],
  "read-all": () => ["/_emulator/sends/read", "POST"],
  dispatch: (b) => ["/_emulator/sends/" + encodeURIComponent(b.dataset.key) + "/dispatch", "POST"],
  open: (b) => ["/_emulator/deliveries/" + encodeURIComponent(b.dataset.delivery) + "/open", "POST"],
  click: (b) => ["/_emulator/deliveries/" + encodeURIComponent(b.dataset.delivery) + "/click", "POST"],
};

async function act(button) {
  const action = button.dataset.action;
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  if (LOCAL[action]) {
    await LOCAL[action](button);
    return;
  }
  if (!CALLS[action]) return;
  const [url, method] = CALLS[action](button);
  const response = await api(url, { method: method }, true);
  if (!response.ok) {
    window.alert("The emulator answered " + response.status + ": " + (await response.text()));
  }
  refresh(true);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-action]");
  if (button) {
    event.preventDefault();
    act(button);
  }
});

// -- start -------------------------------------------------------------------------------

takeTokenFromUrl();
showTheme();
showNotifyState();
applyOs(document);
listenForKeys();
startLive();
