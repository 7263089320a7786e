// The admin token and the emulator's JSON and HTML routes; the browser's own storage.
//
// Admin token: when the emulator has one, the pages carry no data and the script fetches it
// with `Authorization: Bearer <token>`. The token is read once from `?token=` (then removed
// from the address bar) or asked for, and kept in sessionStorage for this tab only.

const TOKEN_KEY = "push-emulator-admin-token";

// localStorage, which privacy settings may refuse: a choice then lasts for this page only.
export function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch (error) {
    return null;
  }
}

export function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch (error) {
    // storage refused: the choice lasts for this page only
  }
}

export function takeTokenFromUrl() {
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
export async function api(url, options, ask) {
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
