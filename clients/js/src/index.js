// push-emulator's JavaScript client: inspect and control a running emulator, or start one.
export { DEFAULT_URL, EmulatorClient, EmulatorError, WaitTimeoutError, defaultUrl } from "./client.js";
export { EVENT_KINDS, FIXTURE_FILES, QUERY_PARAMETERS } from "./generated.js";
export { SETTINGS, startEmulator } from "./start.js";
