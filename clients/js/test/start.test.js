// startEmulator: the real `push-emulator serve`, its fixtures and settings, and stopping it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

import { EmulatorClient, EmulatorError, SETTINGS, startEmulator } from "../src/index.js";
import { sendPush } from "./support.js";

const BIN = process.env.PUSH_EMULATOR_BIN ?? "push-emulator";
const CI_USER = { userkey: "ci", password: "pw", permissions: ["push"], tokens: ["ci-token"] };

test("it serves on a free port, ready, and stop() leaves nothing listening", async () => {
  const emulator = await startEmulator();
  assert.match(emulator.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(emulator.restUrl, `${emulator.baseUrl}/rest`);
  assert.equal((await fetch(`${emulator.baseUrl}/readyz`)).status, 200);
  assert.equal((await sendPush(emulator)).status, 200);
  await emulator.stop();
  await emulator.stop(); // twice is fine
  await assert.rejects(fetch(`${emulator.baseUrl}/livez`), TypeError);
});

test("fixtures as data, and settings as camelCase flags", async () => {
  const emulator = await startEmulator({ fixtures: { api_users: [CI_USER] }, settings: { strict: true, seed: 9 } });
  try {
    const fixtures = await emulator.client.fixtures();
    assert.deepEqual(fixtures.api_users.map((u) => u.userkey), ["ci"]);
    assert.deepEqual(await emulator.client.seed(), { seed: 9 });
    // Strict: a warning (here: no applicationIds) is a 400.
    const { status, body } = await sendPush(emulator, { content: { title: "x" } }, "ci-token");
    assert.equal(status, 400);
    assert.match(body.message, /applicationIds/);
  } finally {
    await emulator.stop();
  }
});

test("fixtures as a folder", async () => {
  const folder = await mkdtemp(join(tmpdir(), "fixtures-"));
  await writeFile(join(folder, "api_users.json"), JSON.stringify([CI_USER]));
  const emulator = await startEmulator({ fixtures: folder });
  try {
    assert.deepEqual((await emulator.client.fixtures()).api_users.map((u) => u.userkey), ["ci"]);
  } finally {
    await emulator.stop();
  }
});

test("an admin token is the client's too; a client without it is refused", async () => {
  const emulator = await startEmulator({ settings: { adminToken: "js-admin-token" } });
  try {
    assert.deepEqual(await emulator.client.sends(), []);
    const anonymous = new EmulatorClient({ url: emulator.baseUrl, adminToken: "" });
    const error = await anonymous.sends().catch((caught) => caught);
    assert.ok(error instanceof EmulatorError);
    assert.equal(error.status, 401);
    assert.match(error.message, /admin token/);
    const wrong = new EmulatorClient({ url: emulator.baseUrl, adminToken: "guess" });
    await assert.rejects(wrong.waitForSends({ timeout: 0 }), (caught) => caught.status === 401);
    assert.throws(() => anonymous.events({ kinds: ["nope"] }), TypeError);
    await assert.rejects(anonymous.events().ready, (caught) => caught.status === 401);
  } finally {
    await emulator.stop();
  }
});

test("bad options are TypeErrors; a bad setting value is the server's one line", async () => {
  await assert.rejects(startEmulator({ settings: { strictMode: true } }), /unknown setting "strictMode"/);
  await assert.rejects(startEmulator({ fixtures: { users: [] } }), TypeError);
  await assert.rejects(
    startEmulator({ settings: { rateCapacity: "lots" } }),
    /bad setting --rate-capacity \/ EMULATOR_RATE_CAPACITY=lots/,
  );
});

test("a missing program says how to install it", async () => {
  await assert.rejects(
    startEmulator({ bin: "/nonexistent/push-emulator" }),
    (error) => /was not found/.test(error.message) && /PUSH_EMULATOR_BIN/.test(error.message),
  );
});

test("SETTINGS are exactly serve's flags", async () => {
  const { stdout } = await promisify(execFile)(BIN, ["serve", "--help"]);
  const flags = new Set([...stdout.matchAll(/--(?!no-)([a-z][a-z-]*)/g)].map((m) => m[1]));
  flags.delete("help");
  flags.delete("fixtures"); // startEmulator's own option
  const camel = [...flags].map((flag) => flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase()));
  assert.deepEqual([...SETTINGS].sort(), camel.sort());
});
