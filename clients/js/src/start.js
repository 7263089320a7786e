// Starting `push-emulator serve` from Node: a free port, a temporary database, ready on return.
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { EmulatorClient } from "./client.js";
import { FIXTURE_FILES } from "./generated.js";

/** Every setting of `push-emulator serve`, in camelCase (each is a `--kebab-case` flag). */
export const SETTINGS = Object.freeze([
  "host",
  "port",
  "db",
  "strict",
  "tokenTtl",
  "traceTtl",
  "rateCapacity",
  "rateRefill",
  "maxBodyBytes",
  "maxSends",
  "maxAge",
  "adminToken",
  "seed",
  "faults",
  "readyFile",
  "webhooks",
  "instance",
  "webhookTimeout",
  "webhookBackoff",
  "webhookInFlight",
  "webhookQueue",
  "webhookLog",
  "metrics",
  "allowedHosts",
  "maxHeaderBytes",
  "requestTimeout",
  "deliveryDelay",
  "openRate",
  "clickRate",
  "openWindow",
  "tokenCleanup",
]);

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_KEPT = 16 * 1024;
const PORT_ATTEMPTS = 3;
const INSTALL_HINT =
  "install the Python package (`pip install .` in a clone of push-emulator, or `make install` " +
  "there) so that `push-emulator` is on PATH, or set PUSH_EMULATOR_BIN to the program";

function flagOf(name) {
  return "--" + name.replace(/[A-Z]/g, (letter) => "-" + letter.toLowerCase());
}

function serveFlags(settings) {
  const flags = [];
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTINGS.includes(name)) {
      throw new TypeError(`unknown setting ${JSON.stringify(name)}; known: ${SETTINGS.join(", ")}`);
    }
    if (value === undefined || value === null) continue;
    if (typeof value === "boolean") flags.push(value ? flagOf(name) : "--no-" + flagOf(name).slice(2));
    else flags.push(flagOf(name), String(value));
  }
  return flags;
}

function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function fixtureFolder(fixtures, temp) {
  if (fixtures === undefined || fixtures === null) return undefined;
  if (typeof fixtures === "string") return fixtures;
  const unknown = Object.keys(fixtures).filter((name) => !FIXTURE_FILES.includes(name));
  if (unknown.length > 0) {
    throw new TypeError(`unknown fixture file(s) ${unknown.join(", ")}; known: ${FIXTURE_FILES.join(", ")}`);
  }
  const folder = join(temp, "fixtures");
  await mkdir(folder);
  for (const name of FIXTURE_FILES) {
    await writeFile(join(folder, `${name}.json`), JSON.stringify(fixtures[name] ?? []));
  }
  return folder;
}

function urlOf(host, port) {
  const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return reachable.includes(":") ? `http://[${reachable}]:${port}` : `http://${reachable}:${port}`;
}

function launch(bin, args, env) {
  const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const failed = new Promise((resolve) => child.on("error", resolve));
  return { child, exited, failed, output: () => output.trim() };
}

async function untilReady(url, running) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let gone;
  running.exited.then((exit) => (gone = { exit }));
  running.failed.then((error) => (gone = { error }));
  while (Date.now() < deadline) {
    if (gone) return gone;
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return { ready: true };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { timedOut: true };
}

async function stopChild(running) {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await running.exited;
  clearTimeout(timer);
}

/**
 * Serve the emulator on a free port with a temporary database; resolves once /readyz is 200.
 * `fixtures`: a folder, fixture data (`{api_users: [...], devices: [...], ...}`) or nothing
 * for the bundled demo account; `settings`: any `serve` setting in camelCase.
 */
export async function startEmulator({ fixtures, settings = {}, bin, env = {} } = {}) {
  const program = bin ?? globalThis.process.env.PUSH_EMULATOR_BIN ?? "push-emulator";
  const temp = await mkdtemp(join(tmpdir(), "push-emulator-"));
  try {
    const folder = await fixtureFolder(fixtures, temp);
    const host = settings.host ?? "127.0.0.1";
    const { port: fixedPort, ...rest } = settings;
    const flags = serveFlags({ ...rest, host, db: settings.db ?? join(temp, "emulator.db") });
    if (folder !== undefined) flags.push("--fixtures", folder);
    for (let attempt = 1; ; attempt += 1) {
      const port = fixedPort ?? (await freePort(host));
      const args = ["serve", ...serveFlags({ port }), ...flags];
      const running = launch(program, args, { ...globalThis.process.env, ...env });
      const url = urlOf(host, port);
      const outcome = await untilReady(url, running);
      if (outcome.ready) return runningEmulator(url, running, temp, settings.adminToken);
      await stopChild(running);
      if (outcome.error?.code === "ENOENT") {
        throw new Error(`push-emulator was not found (tried ${JSON.stringify(program)}): ${INSTALL_HINT}`);
      }
      if (outcome.error) throw new Error(`push-emulator could not be started: ${outcome.error.message}`);
      // Another process took the free port in between: try another.
      if (fixedPort === undefined && /is in use/.test(running.output()) && attempt < PORT_ATTEMPTS) continue;
      const why = outcome.timedOut
        ? `was not ready within ${START_TIMEOUT_MS / 1000} s`
        : `exited with ${outcome.exit.code ?? outcome.exit.signal} before it was ready`;
      throw new Error(`push-emulator ${why}:\n${running.output()}`);
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

function runningEmulator(baseUrl, running, temp, adminToken) {
  // A test runner that exits without calling stop() must not leave the server behind.
  const onExit = () => running.child.kill("SIGTERM");
  globalThis.process.on("exit", onExit);
  let stopping;
  return {
    baseUrl,
    restUrl: baseUrl + "/rest",
    client: new EmulatorClient({ url: baseUrl, adminToken: adminToken ?? undefined }),
    process: running.child,
    /** Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its temporary files. */
    stop() {
      stopping ??= (async () => {
        globalThis.process.off("exit", onExit);
        await stopChild(running);
        await rm(temp, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
