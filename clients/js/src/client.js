// The client of a running emulator's /_emulator API: what was sent, waits, events, control.
import { EVENT_KINDS, FIXTURE_FILES, QUERY_PARAMETERS } from "./generated.js";
import { jsonLines, serverSentEvents } from "./streams.js";

export const DEFAULT_URL = "http://127.0.0.1:8080";
const CONTROL_PREFIX = "/_emulator";
const REST_PREFIX = "/rest";
// A wait's answer can take its whole timeout; the request itself gets this much more.
const WAIT_MARGIN_MS = 30_000;
const NEAR_MISS_TITLE = 60;

function environment(name) {
  return globalThis.process?.env?.[name] || undefined;
}

/** $PUSH_EMULATOR_URL, else 127.0.0.1 on $EMULATOR_PORT, else http://127.0.0.1:8080. */
export function defaultUrl() {
  const port = environment("EMULATOR_PORT");
  return environment("PUSH_EMULATOR_URL") ?? (port ? `http://127.0.0.1:${port}` : DEFAULT_URL);
}

/** The emulator answered with an error; `status`, and the envelope as `body`. */
export class EmulatorError extends Error {
  constructor(status, message, body) {
    super(`HTTP ${status}: ${message}`);
    this.name = "EmulatorError";
    this.status = status;
    this.body = body;
  }
}

function titleOf(item) {
  const content = item.content ?? {};
  const title = content.content?.title ?? content.multiLangContent?.contents?.[0]?.title;
  return title === undefined || title === null ? "" : String(title).slice(0, NEAR_MISS_TITLE);
}

/** Too few sends matched in time; the message lists the newest sends that did not match. */
export class WaitTimeoutError extends Error {
  constructor(body) {
    const nearMisses = body.nearMisses ?? [];
    const lines = [String(body.message ?? "timed out")];
    if (nearMisses.length > 0) {
      lines.push("Most recent sends that did not match:");
      for (const item of nearMisses) {
        lines.push(
          `  ${item.receivedAt} ${item.status.padEnd(9)} trackingId=${item.trackingId} ` +
            `apiUser=${item.apiUser} deliveries=${item.deliveryCount} ` +
            `title=${JSON.stringify(titleOf(item))}`,
        );
      }
    } else {
      lines.push("No other sends were recorded.");
    }
    super(lines.join("\n"));
    this.name = "WaitTimeoutError";
    this.body = body;
    this.matched = body.matched ?? 0;
    this.nearMisses = nearMisses;
  }
}

function queryString(operation, given) {
  const known = QUERY_PARAMETERS[operation] ?? [];
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!known.includes(name)) {
      throw new TypeError(
        `unknown filter ${JSON.stringify(name)} for ${operation}; known: ${known.join(", ")}`,
      );
    }
    if (value === undefined || value === null) continue;
    params.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

// What PATCH /_emulator/devices/{token} may change.
const DEVICE_CHANGES = Object.freeze(["status", "engaged", "language", "contactKey", "outcome"]);

// Web push tokens may be URLs: every character but the unreserved ones is escaped.
function devicePath(token) {
  return `/devices/${encodeURIComponent(token)}`;
}

function contactPath(tableId, contactKey) {
  return `/contacts/${encodeURIComponent(tableId)}/${encodeURIComponent(contactKey)}`;
}

async function bodyOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function refusal(response) {
  const body = await bodyOf(response);
  const message = typeof body === "object" && body !== null ? body.message : body;
  return new EmulatorError(response.status, String(message), body);
}

/** Reads and controls a running emulator: `sends()`, `lastSend()`, `waitForSends()`, … */
export class EmulatorClient {
  constructor({
    url = defaultUrl(),
    adminToken = environment("EMULATOR_ADMIN_TOKEN"),
    timeout = 30_000,
    apiUser = undefined,
  } = {}) {
    this.url = url.replace(/\/+$/, "");
    this.restUrl = this.url + REST_PREFIX;
    this.timeout = timeout;
    this.headers = adminToken ? { Authorization: `Bearer ${adminToken}` } : {};
    // With `apiUser`, every read, wait and clear is that API user's alone (see scoped()).
    this.apiUser = apiUser;
    this.#options = { url: this.url, adminToken, timeout };
    this.faults = {
      /** The rules in force, with how often each fired. */
      list: () => this.#call("GET", "/faults"),
      /** Replace every rule (an array); counters start again. */
      set: (rules) => this.#call("PUT", "/faults", rules),
      /** Add one rule after those in force, which keep their counters. */
      add: (rule) => this.#call("POST", "/faults", rule),
      /** Remove one rule by its id; resolves with those left. */
      remove: (id) => this.#call("DELETE", `/faults/${encodeURIComponent(id)}`),
      clear: () => this.#call("DELETE", "/faults"),
    };
    this.rateLimits = {
      get: () => this.#call("GET", "/rate-limits"),
      /** `{default?: {capacity, refillPerSecond}, users?: {[userkey]: {...}}}`; buckets restart full. */
      set: (limits) => this.#call("PUT", "/rate-limits", limits),
    };
    this.clock = {
      get: () => this.#call("GET", "/clock"),
      /** `{mode: "real"}`, `{mode: "frozen", at?}` or `{mode: "offset", offsetSeconds}`. */
      set: (setting) => this.#call("PUT", "/clock", setting),
      advance: (seconds) => this.#call("POST", "/clock/advance", { seconds }),
    };
    this.webhooks = {
      /** The webhooks in force, with how many attempts each made. */
      list: () => this.#call("GET", "/webhooks"),
      /** Replace every webhook: `[{url, events?, secret?, delayMs?, headers?}]`. */
      set: (webhooks) => this.#call("PUT", "/webhooks", webhooks),
      clear: () => this.#call("DELETE", "/webhooks"),
      /** The attempt log, newest first (`webhook`, `eventKind`, `result`, `limit`, …). */
      deliveries: async (filters = {}) =>
        (await this.#call("GET", "/webhooks/deliveries" + queryString("GET /_emulator/webhooks/deliveries", filters)))
          .items,
      /** Resolves once `count` matching attempts are logged; a WaitTimeoutError after `timeout` s. */
      waitForDeliveries: async ({ count = 1, timeout = 10, ...filters } = {}) => {
        const query = queryString("GET /_emulator/webhooks/deliveries/wait", { ...filters, count, timeout });
        const response = await this.#fetch("GET", "/webhooks/deliveries/wait" + query, {
          timeout: timeout * 1000 + WAIT_MARGIN_MS,
        });
        if (response.status === 408) throw new WaitTimeoutError(await response.json());
        if (!response.ok) throw await refusal(response);
        return (await response.json()).items;
      },
    };
  }

  #options;

  /** The filters, limited to this client's API user when it has one. */
  #scoped(filters = {}) {
    if (this.apiUser === undefined) return filters;
    if (filters.apiUser !== undefined && filters.apiUser !== this.apiUser) {
      throw new TypeError(`this client is scoped to API user ${JSON.stringify(this.apiUser)}, not ${JSON.stringify(filters.apiUser)}`);
    }
    return { ...filters, apiUser: this.apiUser };
  }

  #scopeQuery(operation) {
    return this.apiUser === undefined ? "" : queryString(operation, { apiUser: this.apiUser });
  }

  /** Every item of a cursor-paged listing. */
  async #everyPage(path, operation, filters) {
    const read = (query) => this.#call("GET", path + queryString(operation, query));
    const items = [];
    for await (const item of this.#items(read, filters, filters.limit !== undefined)) items.push(item);
    return items;
  }

  /** Items page after page from `readPage(filters)`, following nextCursor (one page if `onePage`). */
  async *#items(readPage, filters, onePage = false) {
    let cursor = filters.cursor;
    do {
      const page = await readPage({ ...filters, cursor });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor && !onePage);
  }

  async #fetch(method, path, { body, timeout = this.timeout, signal } = {}) {
    const headers = { ...this.headers };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(this.url + CONTROL_PREFIX + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ?? (timeout ? AbortSignal.timeout(timeout) : undefined),
    });
  }

  async #call(method, path, body) {
    const response = await this.#fetch(method, path, { body });
    if (!response.ok) throw await refusal(response);
    return response.json();
  }

  // Sends

  /** One page: `{items, nextCursor}`; pass `cursor: nextCursor` for the next one. */
  async sendsPage(filters = {}) {
    return this.#call("GET", "/sends" + queryString("GET /_emulator/sends", this.#scoped(filters)));
  }

  /** Matching sends, newest first (`limit`, default 50). */
  async sends(filters = {}) {
    return (await this.sendsPage(filters)).items;
  }

  /** Every matching send, newest first, page after page. */
  async *iterateSends(filters = {}) {
    yield* this.#items((query) => this.sendsPage(query), filters);
  }

  /** The newest send with this tracking id (or transaction id), with its deliveries. */
  async send(trackingId) {
    return this.#call("GET", `/sends/${encodeURIComponent(trackingId)}`);
  }

  /** The newest matching send with its deliveries; rejects when there is none. */
  async lastSend(filters = {}) {
    const [newest] = await this.sends({ ...filters, limit: 1 });
    if (newest === undefined) {
      const which = Object.keys(filters).length ? ` matching ${JSON.stringify(filters)}` : "";
      throw new Error(`no send recorded${which}`);
    }
    return this.send(newest.trackingId);
  }

  /**
   * Resolves once `count` matching sends are Completed (or in the `status` given), with
   * them; the server waits, nothing polls. Rejects with a WaitTimeoutError listing the near
   * misses after `timeout` seconds.
   */
  async waitForSends({ count = 1, timeout = 10, ...filters } = {}) {
    const query = queryString("GET /_emulator/sends/wait", { ...this.#scoped(filters), count, timeout });
    const response = await this.#fetch("GET", "/sends/wait" + query, {
      timeout: timeout * 1000 + WAIT_MARGIN_MS,
    });
    if (response.status === 408) throw new WaitTimeoutError(await response.json());
    if (!response.ok) throw await refusal(response);
    return (await response.json()).items;
  }

  /** Clear every send and delivery; resolves with how many sends went. */
  async clearSends() {
    return (await this.#call("DELETE", "/sends" + this.#scopeQuery("DELETE /_emulator/sends"))).deleted;
  }

  /** Every matching send with its deliveries, oldest first, read as the NDJSON streams. */
  async *export(filters = {}) {
    const query = queryString("GET /_emulator/export", this.#scoped(filters));
    const response = await this.#fetch("GET", "/export" + query, { timeout: 0 });
    if (!response.ok) throw await refusal(response);
    yield* jsonLines(response.body);
  }

  // The journal

  /** One page of the /rest journal: `{items, nextCursor}`. */
  async requestsPage(filters = {}) {
    return this.#call("GET", "/requests" + queryString("GET /_emulator/requests", this.#scoped(filters)));
  }

  /** Requests under /rest, refused ones included, newest first. */
  async requests(filters = {}) {
    return (await this.requestsPage(filters)).items;
  }

  async clearRequests() {
    return (await this.#call("DELETE", "/requests" + this.#scopeQuery("DELETE /_emulator/requests"))).deleted;
  }

  // Events

  /**
   * The live event stream: `for await (const {kind, data} of client.events({kinds, signal}))`.
   * It ends when `signal` aborts (or on `close()`); `await stream.ready` resolves once the
   * server has subscribed it, so nothing sent after that is missed.
   */
  events({ kinds, signal } = {}) {
    for (const kind of kinds ?? []) {
      if (!EVENT_KINDS.includes(kind)) {
        throw new TypeError(`unknown event kind ${JSON.stringify(kind)}; known: ${EVENT_KINDS.join(", ")}`);
      }
    }
    const query = queryString("GET /_emulator/events", {
      kinds: kinds?.length ? kinds.join(",") : undefined,
      apiUser: this.apiUser,
    });
    return new EventStream((abort) => this.#fetch("GET", "/events" + query, { signal: abort }), signal);
  }

  // Control

  /** Clear sends, deliveries and the journal; reset clock, ids, tokens, buckets; reload fixtures. */
  async reset({ keepTokens = false } = {}) {
    if (this.apiUser !== undefined) {
      throw new TypeError(
        `this client is scoped to API user ${JSON.stringify(this.apiUser)}: reset() would clear every user's sends; use clearSends()`,
      );
    }
    await this.#call("POST", "/reset", { keepTokens });
  }

  async fixtures() {
    return this.#call("GET", "/fixtures");
  }

  /** Replace the fixtures (`{api_users: [...], devices: [...], ...}`) until the next reset. */
  async loadFixtures(data) {
    const unknown = Object.keys(data).filter((name) => !FIXTURE_FILES.includes(name));
    if (unknown.length > 0) {
      throw new TypeError(`unknown fixture file(s) ${unknown.join(", ")}; known: ${FIXTURE_FILES.join(", ")}`);
    }
    return this.#call("PUT", "/fixtures", data);
  }

  /** Mark a delivery opened; its device becomes engaged for `useOnlyEngagedTokens`. */
  async open(deliveryId) {
    return this.#call("POST", `/deliveries/${encodeURIComponent(deliveryId)}/open`);
  }

  /** Mark a delivery clicked (and so opened). */
  async click(deliveryId) {
    return this.#call("POST", `/deliveries/${encodeURIComponent(deliveryId)}/click`);
  }

  /** Fan a Scheduled send out now, without moving the clock (an EmulatorError 409 if it is not Scheduled). */
  async dispatchNow(trackingId) {
    return this.#call("POST", `/sends/${encodeURIComponent(trackingId)}/dispatch`);
  }

  // API users: one per test on a shared emulator

  /** A new API user (whatever is left out is generated); its password and tokens are shown here only. */
  async createUser(fields = {}) {
    return this.#call("POST", "/api-users", fields);
  }

  /** Every API user, the fixtures' and those created at run time; no secrets. */
  async users() {
    return (await this.#call("GET", "/api-users")).items;
  }

  /** Remove a created API user, its tokens and buckets; `purge` also deletes its sends and journal rows. */
  async deleteUser(userkey, { purge = false } = {}) {
    const query = queryString("DELETE /_emulator/api-users/{userkey}", { purge: purge ? "true" : "false" });
    return this.#call("DELETE", `/api-users/${encodeURIComponent(userkey)}${query}`);
  }

  /** A client of the same emulator whose every read, wait and clear is `userkey`'s alone. */
  scoped(userkey) {
    return new EmulatorClient({ ...this.#options, apiUser: userkey });
  }

  // The device registry (changes apply to the next send; a reset restores the fixtures)

  /** Every matching device (`applicationId`, `contactKey`, `token`, `status`; `limit` for one page). */
  async devices(filters = {}) {
    return this.#everyPage("/devices", "GET /_emulator/devices", filters);
  }

  async device(token, { applicationId } = {}) {
    return this.#call("GET", devicePath(token) + queryString("GET /_emulator/devices/{token}", { applicationId }));
  }

  /** Add devices, each validated as in devices.json (a 400 names the record and field; a token taken is a 409). */
  async addDevices(...devices) {
    return (await this.#call("POST", "/devices", devices)).items;
  }

  /** Change `status`, `engaged`, `language`, `contactKey` or `outcome`; another key is a TypeError before any call. */
  async updateDevice(token, changes, { applicationId } = {}) {
    const unknown = Object.keys(changes).filter((name) => !DEVICE_CHANGES.includes(name));
    if (unknown.length > 0) {
      throw new TypeError(`unknown device change(s) ${unknown.join(", ")}; known: ${DEVICE_CHANGES.join(", ")}`);
    }
    const query = queryString("PATCH /_emulator/devices/{token}", { applicationId });
    return this.#call("PATCH", devicePath(token) + query, changes);
  }

  async deleteDevice(token, { applicationId } = {}) {
    return this.#call("DELETE", devicePath(token) + queryString("DELETE /_emulator/devices/{token}", { applicationId }));
  }

  /** What this device was shown, newest first. */
  async deviceInbox(token, filters = {}) {
    return this.#everyPage(devicePath(token) + "/inbox", "GET /_emulator/devices/{token}/inbox", filters);
  }

  /** Every matching contact (`tableId`, `contactKey`). */
  async contacts(filters = {}) {
    return this.#everyPage("/contacts", "GET /_emulator/contacts", filters);
  }

  async addContacts(tableId, ...contacts) {
    return (await this.#call("POST", `/contacts/${encodeURIComponent(tableId)}`, contacts)).items;
  }

  async updateContact(tableId, contactKey, fields) {
    return this.#call("PATCH", contactPath(tableId, contactKey), fields);
  }

  async deleteContact(tableId, contactKey) {
    return this.#call("DELETE", contactPath(tableId, contactKey));
  }

  /** Replace the device outcome rules, e.g. `{match: {platform: "ios"}, outcome: "throttled", trigger: {probability: 0.3, seed: 7}}`. */
  async setOutcomes(...rules) {
    return this.#call("PUT", "/device-outcomes", rules);
  }

  /** The rules in force, each with how often it `fired`. */
  async outcomes() {
    return this.#call("GET", "/device-outcomes");
  }

  async clearOutcomes() {
    await this.#call("DELETE", "/device-outcomes");
  }

  /**
   * `seed()` reads the seed of generated ids and tokens; `seed(42)` sets it (ids repeat
   * exactly from here on); `seed(null)` goes back to random ones.
   */
  async seed(...value) {
    if (value.length === 0) return this.#call("GET", "/seed");
    return this.#call("PUT", "/seed", { seed: value[0] });
  }
}

/** The SSE stream as an async iterable of `{kind, data}`, read from the moment it opens. */
class EventStream {
  #controller = new AbortController();
  #queue = [];
  #waiters = [];
  #resolveReady;
  #rejectReady;

  constructor(open, signal) {
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A stream nobody waits on must not report an unhandled rejection.
    this.ready.catch(() => {});
    if (signal?.aborted) this.#controller.abort();
    signal?.addEventListener("abort", () => this.#controller.abort(), { once: true });
    this.#pump(open);
  }

  async #pump(open) {
    try {
      const response = await open(this.#controller.signal);
      if (!response.ok) throw await refusal(response);
      for await (const event of serverSentEvents(response.body, () => this.#resolveReady())) {
        this.#push({ value: event });
      }
      this.#push({ done: true });
    } catch (error) {
      this.#rejectReady(error);
      this.#push(this.#controller.signal.aborted ? { done: true } : { error });
    }
  }

  #push(item) {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#queue.push(item);
  }

  #take() {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stop reading; a `for await` over the stream ends. */
  close() {
    this.#controller.abort();
  }

  async *[Symbol.asyncIterator]() {
    try {
      while (true) {
        const item = await this.#take();
        if (item.error) throw item.error;
        if (item.done) return;
        yield item.value;
      }
    } finally {
      this.close();
    }
  }
}
