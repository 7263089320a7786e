// Types of push-emulator's JavaScript client. The shapes of what the API answers are in
// generated.d.ts, generated from the emulator's OpenAPI document.
import type {
  ApiUser,
  ClockSetting,
  Contact,
  ContactItem,
  DeletedApiUser,
  Device,
  DeviceChanges,
  DeviceRecord,
  DispatchedNow,
  NewApiUser,
  OutcomeRule,
  OutcomeStatus,
  PushItem,
  ShownApiUser,
  WebhookAttempt,
  WebhookRule,
  WebhookStatus,
  ClockState,
  EmulatorEvent,
  Engagement,
  EventKind,
  ExportedSend,
  FaultRule,
  FaultStatus,
  Fixtures,
  RateLimits,
  RateLimitsState,
  RequestItem,
  RequestsPage,
  RequestsQuery,
  SeedSetting,
  SendDetail,
  SendItem,
  SendsPage,
  SendsQuery,
  WaitFailed,
  WaitQuery,
  ExportQuery,
} from "./generated.js";

export * from "./generated.js";

export declare const DEFAULT_URL: string;

/** $PUSH_EMULATOR_URL, else 127.0.0.1 on $EMULATOR_PORT, else http://127.0.0.1:8080. */
export declare function defaultUrl(): string;

/** The emulator answered with an error: its status and the envelope. */
export declare class EmulatorError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, message: string, body?: unknown);
}

/** Too few sends matched in time; `message` lists the near misses. */
export declare class WaitTimeoutError extends Error {
  readonly body: WaitFailed;
  readonly matched: number;
  readonly nearMisses: SendItem[];
  constructor(body: WaitFailed);
}

export interface ClientOptions {
  /** The emulator, e.g. http://127.0.0.1:8080 (default: defaultUrl()). */
  url?: string;
  /** The server's EMULATOR_ADMIN_TOKEN (default: that variable, if set). */
  adminToken?: string;
  /** Milliseconds a call may take (waits get their own timeout plus 30 s). */
  timeout?: number;
  /** Every read, wait and clear is this API user's alone (what `scoped()` gives). */
  apiUser?: string;
}

/** GET /_emulator/devices' filters; `limit` reads one page only. */
export interface DeviceQuery {
  applicationId?: string;
  contactKey?: string;
  token?: string;
  status?: "active" | "unregistered";
  limit?: number;
  cursor?: string;
}

/** GET /_emulator/contacts' filters; `limit` reads one page only. */
export interface ContactQuery {
  tableId?: string;
  contactKey?: string;
  limit?: number;
  cursor?: string;
}

/** The webhook attempt log's filters (see GET /_emulator/webhooks/deliveries). */
export interface WebhookLogQuery {
  webhook?: number;
  eventKind?: string;
  result?: WebhookAttempt["result"];
  eventId?: number;
  limit?: number;
  cursor?: string;
}

export interface WaitOptions extends WaitQuery {
  /** How many matching sends to wait for (default 1). */
  count?: number;
  /** Seconds the server waits, at most 120 (default 10). */
  timeout?: number;
}

export interface EventsOptions {
  /** Only these kinds (default: every kind). */
  kinds?: EventKind[];
  /** Ends the stream when aborted. */
  signal?: AbortSignal;
}

/** The live events: iterate with `for await`; ends on abort, `close()` or a `break`. */
export interface EventStream extends AsyncIterable<EmulatorEvent> {
  /** Resolves once the server has subscribed the stream: later events are not missed. */
  readonly ready: Promise<void>;
  close(): void;
}

export declare class EmulatorClient {
  readonly url: string;
  /** The emulated API's base URL: url + "/rest". */
  readonly restUrl: string;
  constructor(options?: ClientOptions);

  sendsPage(filters?: SendsQuery): Promise<SendsPage>;
  sends(filters?: SendsQuery): Promise<SendItem[]>;
  iterateSends(filters?: SendsQuery): AsyncGenerator<SendItem, void, undefined>;
  send(trackingId: string): Promise<SendDetail>;
  lastSend(filters?: SendsQuery): Promise<SendDetail>;
  waitForSends(options?: WaitOptions): Promise<SendItem[]>;
  clearSends(): Promise<number>;
  export(filters?: ExportQuery): AsyncGenerator<ExportedSend, void, undefined>;

  requestsPage(filters?: RequestsQuery): Promise<RequestsPage>;
  requests(filters?: RequestsQuery): Promise<RequestItem[]>;
  clearRequests(): Promise<number>;

  events(options?: EventsOptions): EventStream;

  /** `keepTokens: true` leaves access tokens from /rest/login valid. */
  reset(options?: { keepTokens?: boolean }): Promise<void>;
  fixtures(): Promise<Fixtures>;
  loadFixtures(data: Partial<Fixtures>): Promise<Fixtures>;
  open(deliveryId: number): Promise<Engagement>;
  click(deliveryId: number): Promise<Engagement>;

  readonly faults: {
    list(): Promise<FaultStatus[]>;
    set(rules: FaultRule[]): Promise<FaultStatus[]>;
    /** Add one rule after those in force (which keep their counters). */
    add(rule: FaultRule): Promise<FaultStatus>;
    /** Remove one rule by its id; resolves with those left. */
    remove(id: number): Promise<FaultStatus[]>;
    clear(): Promise<FaultStatus[]>;
  };
  readonly rateLimits: {
    get(): Promise<RateLimitsState>;
    set(limits: RateLimits): Promise<RateLimitsState>;
  };
  readonly clock: {
    get(): Promise<ClockState>;
    set(setting: ClockSetting): Promise<ClockState>;
    advance(seconds: number): Promise<ClockState>;
  };
  readonly webhooks: {
    list(): Promise<WebhookStatus[]>;
    set(webhooks: WebhookRule[]): Promise<WebhookStatus[]>;
    clear(): Promise<unknown>;
    deliveries(filters?: WebhookLogQuery): Promise<WebhookAttempt[]>;
    /** Rejects with a WaitTimeoutError after `timeout` seconds. */
    waitForDeliveries(options?: WebhookLogQuery & { count?: number; timeout?: number }): Promise<WebhookAttempt[]>;
  };
  /** Read the seed; `seed(n)` sets it, `seed(null)` goes back to random ids. */
  seed(): Promise<SeedSetting>;
  seed(value: number | null): Promise<SeedSetting>;
  /** Fan a Scheduled send out now, without moving the clock. */
  dispatchNow(trackingId: string): Promise<DispatchedNow>;

  /** The API user this client is scoped to, if any. */
  readonly apiUser: string | undefined;
  /** The new user, with its password and tokens (shown this once). */
  createUser(fields?: NewApiUser): Promise<ApiUser>;
  users(): Promise<ShownApiUser[]>;
  deleteUser(userkey: string, options?: { purge?: boolean }): Promise<DeletedApiUser>;
  /** A client whose every read, wait and clear is `userkey`'s alone; its reset() throws. */
  scoped(userkey: string): EmulatorClient;

  devices(filters?: DeviceQuery): Promise<DeviceRecord[]>;
  device(token: string, options?: { applicationId?: string }): Promise<DeviceRecord>;
  addDevices(...devices: Device[]): Promise<DeviceRecord[]>;
  updateDevice(token: string, changes: DeviceChanges, options?: { applicationId?: string }): Promise<DeviceRecord>;
  deleteDevice(token: string, options?: { applicationId?: string }): Promise<DeviceRecord>;
  deviceInbox(token: string, filters?: { applicationId?: string; limit?: number; cursor?: string }): Promise<PushItem[]>;
  contacts(filters?: ContactQuery): Promise<ContactItem[]>;
  addContacts(tableId: string, ...contacts: Contact[]): Promise<ContactItem[]>;
  updateContact(tableId: string, contactKey: string, fields: Partial<Contact>): Promise<ContactItem>;
  deleteContact(tableId: string, contactKey: string): Promise<ContactItem>;
  setOutcomes(...rules: OutcomeRule[]): Promise<OutcomeStatus[]>;
  outcomes(): Promise<OutcomeStatus[]>;
  clearOutcomes(): Promise<void>;
}

/** Every `serve` setting in camelCase; each is the flag --kebab-case and EMULATOR_SNAKE_CASE. */
export interface Settings {
  host?: string;
  port?: number;
  db?: string;
  strict?: boolean;
  tokenTtl?: number;
  traceTtl?: string | number;
  readyFile?: string;
  webhooks?: string;
  instance?: string;
  webhookTimeout?: number;
  webhookBackoff?: number;
  webhookInFlight?: number;
  webhookQueue?: number;
  webhookLog?: number;
  metrics?: boolean;
  allowedHosts?: string;
  maxHeaderBytes?: number;
  requestTimeout?: number;
  rateCapacity?: number;
  rateRefill?: number;
  maxBodyBytes?: number;
  maxSends?: number;
  maxAge?: string | number;
  adminToken?: string;
  seed?: number;
  faults?: string;
  /** Milliseconds until a delivery is final ("500"), or a range drawn per delivery ("100-2000"). */
  deliveryDelay?: string | number;
  openRate?: number;
  clickRate?: number;
  /** Seconds after delivery within which opens and clicks happen. */
  openWindow?: number;
  tokenCleanup?: boolean;
}

export declare const SETTINGS: readonly (keyof Settings)[];

export interface StartOptions {
  /** A fixtures folder, fixture data, or nothing for the bundled demo account. */
  fixtures?: string | Partial<Fixtures>;
  settings?: Settings;
  /** The program (default: $PUSH_EMULATOR_BIN, else `push-emulator` on PATH). */
  bin?: string;
  /** More environment for the server process. */
  env?: Record<string, string>;
}

export interface RunningEmulator {
  /** The emulator, e.g. http://127.0.0.1:41234. */
  readonly baseUrl: string;
  /** Where the code under test sends: baseUrl + "/rest". */
  readonly restUrl: string;
  readonly client: EmulatorClient;
  /** The server process. */
  readonly process: { readonly pid?: number | undefined };
  /** Stop the server and remove its temporary database. */
  stop(): Promise<void>;
}

export declare function startEmulator(options?: StartOptions): Promise<RunningEmulator>;
