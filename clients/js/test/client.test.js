// EmulatorClient against a real emulator: every method, waits, the export and the events.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { EmulatorClient, EmulatorError, WaitTimeoutError, startEmulator } from "../src/index.js";
import { ANDROID_APP, sendPush } from "./support.js";

let emulator;
let client;

before(async () => {
  emulator = await startEmulator();
  client = emulator.client;
});
after(() => emulator?.stop());
beforeEach(() => client.reset());

describe("sends", () => {
  test("sends, lastSend and send read what the code under test sent", async () => {
    const { status, body } = await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "Welcome" } });
    assert.equal(status, 200);
    const trackingId = body.data.trackingId;
    const [listed] = await client.sends();
    assert.equal(listed.trackingId, trackingId);
    const last = await client.lastSend();
    assert.equal(last.trackingId, trackingId);
    assert.deepEqual(last.request, { applicationIds: [ANDROID_APP], content: { title: "Welcome" } });
    assert.ok(Array.isArray(last.deliveries));
    assert.equal((await client.send(trackingId)).transactionId, body.transactionId);
  });

  test("filters are the API's camelCase names; dates are sent as ISO 8601", async () => {
    await sendPush(emulator, { content: { title: "one" } });
    await sendPush(emulator, { content: { title: "two" } });
    assert.deepEqual((await client.sends({ q: "two" })).map((s) => s.content.content.title), ["two"]);
    assert.equal((await client.sends({ apiUser: "nobody" })).length, 0);
    assert.equal((await client.sends({ since: new Date(Date.now() + 3_600_000) })).length, 0);
    assert.equal((await client.sends({ until: new Date(Date.now() + 3_600_000) })).length, 2);
  });

  test("an unknown filter is a TypeError, not a silent no-op", async () => {
    await assert.rejects(client.sends({ contact_key: "c-001" }), TypeError);
    await assert.rejects(client.waitForSends({ trackingID: "x" }), /unknown filter "trackingID"/);
    await assert.rejects(client.requests({ q: "x" }), TypeError);
    await assert.rejects(async () => {
      for await (const _ of client.export({ limit: 1 })) break;
    }, TypeError);
  });

  test("pages follow nextCursor, and iterateSends walks them all", async () => {
    for (const title of ["a", "b", "c"]) await sendPush(emulator, { content: { title } });
    const first = await client.sendsPage({ limit: 2 });
    assert.equal(first.items.length, 2);
    const second = await client.sendsPage({ limit: 2, cursor: first.nextCursor });
    assert.equal(second.items.length, 1);
    assert.equal(second.nextCursor, null);
    const all = [];
    for await (const item of client.iterateSends({ limit: 1 })) all.push(item.content.content.title);
    assert.deepEqual(all, ["c", "b", "a"]);
  });

  test("lastSend rejects when nothing was sent; send rejects with the status", async () => {
    await assert.rejects(client.lastSend({ apiUser: "nobody" }), /no send recorded matching/);
    const error = await client.send("no-such-send").catch((caught) => caught);
    assert.ok(error instanceof EmulatorError);
    assert.equal(error.status, 404);
  });

  test("clearSends removes them and says how many", async () => {
    await sendPush(emulator);
    await sendPush(emulator);
    assert.equal(await client.clearSends(), 2);
    assert.deepEqual(await client.sends(), []);
  });
});

describe("waits", () => {
  test("waitForSends resolves once the sends are Completed", async () => {
    const { body } = await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "Soon" } });
    const [done] = await client.waitForSends({ trackingId: body.data.trackingId, timeout: 20 });
    assert.equal(done.status, "Completed");
    assert.ok(done.deliveryCount > 0);
  });

  test("a wait that times out rejects with the near misses", async () => {
    const { body } = await sendPush(emulator, { content: { title: "Not it" } });
    await client.waitForSends({ trackingId: body.data.trackingId });
    const started = Date.now();
    const error = await client.waitForSends({ apiUser: "someone-else", timeout: 0.3 }).catch((e) => e);
    assert.ok(Date.now() - started >= 250, "the server waited");
    assert.ok(error instanceof WaitTimeoutError);
    assert.ok(error instanceof Error);
    assert.equal(error.matched, 0);
    assert.equal(error.nearMisses[0].trackingId, body.data.trackingId);
    assert.match(error.message, /Timed out after 0.3s/);
    assert.match(error.message, new RegExp(`trackingId=${body.data.trackingId}.*title="Not it"`));
  });

  test("a wait for a count counts", async () => {
    await sendPush(emulator);
    await assert.rejects(client.waitForSends({ count: 2, timeout: 0.2 }), WaitTimeoutError);
    await sendPush(emulator);
    assert.equal((await client.waitForSends({ count: 2, timeout: 20 })).length, 2);
  });
});

describe("the journal and the export", () => {
  test("requests lists refused calls too, and clears", async () => {
    await sendPush(emulator, undefined, "wrong-token");
    await sendPush(emulator);
    const refused = await client.requests({ status: "4xx" });
    assert.deepEqual(refused.map((r) => r.status), [401]);
    assert.equal((await client.requestsPage({ limit: 1 })).items.length, 1);
    assert.equal(await client.clearRequests(), 2);
    assert.deepEqual(await client.requests(), []);
  });

  test("export streams every send with its deliveries, oldest first", async () => {
    const first = await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "1" } });
    await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "2" } });
    await client.waitForSends({ count: 2, timeout: 20 });
    const records = [];
    for await (const record of client.export()) records.push(record);
    assert.deepEqual(records.map((r) => r.content.content.title), ["1", "2"]);
    assert.ok(records[0].deliveries.length > 0);
    const filtered = [];
    for await (const record of client.export({ trackingId: first.body.data.trackingId })) filtered.push(record);
    assert.equal(filtered.length, 1);
  });
});

describe("events", () => {
  test("the stream yields kinds asked for, once ready, and ends when the signal aborts", async () => {
    const controller = new AbortController();
    const stream = client.events({ kinds: ["send", "send.status"], signal: controller.signal });
    await stream.ready;
    const { body } = await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "Live" } });
    const seen = [];
    for await (const event of stream) {
      assert.equal(event.data.trackingId, body.data.trackingId);
      seen.push(event.kind === "send" ? "send" : event.data.status);
      if (event.data.status === "Completed") controller.abort();
    }
    assert.deepEqual(seen, ["send", "Sending", "Completed"]);
  });

  test("close() and break end a stream; an unknown kind is a TypeError", async () => {
    const stream = client.events();
    await stream.ready;
    await client.reset();
    for await (const event of stream) {
      assert.equal(event.kind, "reset");
      break;
    }
    const closed = client.events({ kinds: ["prune"] });
    await closed.ready;
    closed.close();
    for await (const _ of closed) assert.fail("a closed stream yields nothing");
    assert.throws(() => client.events({ kinds: ["sends"] }), TypeError);
  });

  test("an aborted signal given up front ends the stream at once", async () => {
    const stream = client.events({ signal: AbortSignal.abort() });
    for await (const _ of stream) assert.fail("nothing is read");
  });
});

describe("control", () => {
  test("fixtures and loadFixtures replace the account until a reset", async () => {
    const bundled = await client.fixtures();
    assert.ok(bundled.api_users.some((u) => u.userkey === "demo-user"));
    const loaded = await client.loadFixtures({
      api_users: [{ userkey: "ci", password: "pw", permissions: ["push"], tokens: ["ci-token"] }],
    });
    assert.deepEqual(loaded.api_users.map((u) => u.userkey), ["ci"]);
    assert.equal((await sendPush(emulator, undefined, "ci-token")).status, 200);
    assert.equal((await sendPush(emulator)).status, 401);
    await assert.rejects(client.loadFixtures({ users: [] }), TypeError);
    await assert.rejects(client.loadFixtures({ api_users: [{ userkey: "x" }] }), (error) => error.status === 400);
    await client.reset();
    assert.equal((await sendPush(emulator)).status, 200);
  });

  test("open and click mark a delivery", async () => {
    const { body } = await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "Tap" } });
    await client.waitForSends({ trackingId: body.data.trackingId, timeout: 20 });
    const [delivery] = (await client.send(body.data.trackingId)).deliveries;
    const opened = await client.open(delivery.id);
    assert.ok(opened.openedAt);
    assert.equal(opened.clickedAt, null);
    assert.ok((await client.click(delivery.id)).clickedAt);
  });

  test("faults.set, list and clear", async () => {
    const rules = [{ match: { path: "/rest/push/sendInstant" }, action: { type: "status", status: 503 }, trigger: { times: 1 } }];
    const set = await client.faults.set(rules);
    assert.equal(set[0].remaining, 1);
    assert.equal((await sendPush(emulator)).status, 503);
    assert.equal((await sendPush(emulator)).status, 200);
    const [status] = await client.faults.list();
    assert.equal(status.fired, 1);
    assert.equal(status.active, false);
    const added = await client.faults.add({ action: { type: "status", status: 502 }, trigger: { times: 1 } });
    assert.equal((await sendPush(emulator)).status, 502);
    assert.equal((await client.faults.remove(added.id)).length, 1);
    await assert.rejects(client.faults.remove(added.id), (error) => error.status === 404);
    assert.deepEqual(await client.faults.clear(), []);
    await assert.rejects(client.faults.set([{ action: { type: "explode" } }]), /HTTP 400/);
  });

  test("rateLimits.set and get", async () => {
    const limits = await client.rateLimits.set({ users: { "demo-user": { capacity: 1, refillPerSecond: 0 } } });
    assert.deepEqual(limits.users["demo-user"], { capacity: 1, refillPerSecond: 0 });
    assert.deepEqual(await client.rateLimits.get(), limits);
    assert.equal((await sendPush(emulator)).status, 200);
    assert.equal((await sendPush(emulator)).status, 429);
  });

  test("clock.set and advance move the emulator's time", async () => {
    const frozen = await client.clock.set({ mode: "frozen", at: "2030-01-01T00:00:00Z" });
    assert.equal(frozen.mode, "frozen");
    const later = await client.clock.advance(90);
    assert.equal(new Date(later.now).toISOString(), "2030-01-01T00:01:30.000Z");
    assert.deepEqual(await client.clock.get(), later);
    await sendPush(emulator);
    assert.equal((await client.lastSend()).receivedAt, "2030-01-01T00:01:30Z");
  });

  test("seed makes tracking ids repeat; seed() reads it", async () => {
    assert.deepEqual(await client.seed(42), { seed: 42 });
    const first = (await sendPush(emulator)).body.data.trackingId;
    await client.seed(42);
    assert.equal((await sendPush(emulator)).body.data.trackingId, first);
    assert.deepEqual(await client.seed(), { seed: 42 });
    assert.deepEqual(await client.seed(null), { seed: null });
  });
});

test("a client of a server that is not there rejects with fetch's error", async () => {
  const gone = new EmulatorClient({ url: "http://127.0.0.1:1", timeout: 2000 });
  await assert.rejects(gone.sends(), TypeError);
});

describe("API users, one per test", () => {
  test("createUser's token sends as that user; a scoped client reads and clears only its sends", async () => {
    const user = await client.createUser();
    assert.ok(user.userkey);
    await sendPush(emulator, { content: { title: "mine" } }, user.tokens[0]);
    await sendPush(emulator, { content: { title: "theirs" } });
    const mine = client.scoped(user.userkey);
    await mine.waitForSends({ count: 1 });
    assert.deepEqual((await mine.sends()).map((s) => s.content.content.title), ["mine"]);
    assert.equal((await client.sends()).length, 2);
    await assert.rejects(mine.sends({ apiUser: "demo-user" }), TypeError);
    await assert.rejects(mine.reset(), TypeError);
    assert.equal(await mine.clearSends(), 1);
    assert.deepEqual((await client.sends()).map((s) => s.content.content.title), ["theirs"]);
    assert.ok((await client.users()).some((u) => u.userkey === user.userkey));
    const deleted = await client.deleteUser(user.userkey, { purge: true });
    assert.equal(deleted.deleted, user.userkey);
    assert.ok(!(await client.users()).some((u) => u.userkey === user.userkey));
  });
});

describe("devices", () => {
  const TOKEN = "js-client-device";

  test("addDevices, updateDevice, devices and deleteDevice change the registry for the next send", async () => {
    const [added] = await client.addDevices({ applicationId: ANDROID_APP, token: TOKEN, contactKey: "c-001" });
    assert.equal(added.token, TOKEN);
    await assert.rejects(client.addDevices({ applicationId: ANDROID_APP, token: TOKEN }), (error) => error.status === 409);
    assert.deepEqual((await client.devices({ token: TOKEN })).map((d) => d.token), [TOKEN]);
    await assert.rejects(client.updateDevice(TOKEN, { colour: "red" }), TypeError);
    const changed = await client.updateDevice(TOKEN, { outcome: "unregistered" });
    assert.equal(changed.outcome, "unregistered");
    await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "to all" } });
    const [sent] = await client.waitForSends({ count: 1 });
    const detail = await client.send(sent.trackingId);
    const delivery = detail.deliveries.find((d) => d.token === TOKEN);
    assert.equal(delivery.outcome, "unregistered");
    assert.equal((await client.deleteDevice(TOKEN)).token, TOKEN);
    assert.deepEqual(await client.devices({ token: TOKEN }), []);
  });

  test("deviceInbox lists what a device was shown; contacts read the tables", async () => {
    const [first] = await client.devices({ applicationId: ANDROID_APP, limit: 1 });
    await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "shown" } });
    await client.waitForSends({ count: 1 });
    const [shown] = await client.deviceInbox(first.token);
    assert.equal(shown.title, "shown");
    const contacts = await client.contacts({ contactKey: "c-001" });
    assert.ok(contacts.length >= 1);
    assert.ok(contacts.every((c) => c.contactKey === "c-001"));
  });

  test("setOutcomes, outcomes and clearOutcomes", async () => {
    const rules = await client.setOutcomes({ match: { platform: "android" }, outcome: "throttled" });
    assert.equal(rules.length, 1);
    await sendPush(emulator, { applicationIds: [ANDROID_APP], content: { title: "throttled" } });
    const [sent] = await client.waitForSends({ count: 1 });
    const detail = await client.send(sent.trackingId);
    // The rule matched every Android delivery; a device already unregistered stays so.
    const outcomes = new Set(detail.deliveries.map((d) => d.outcome));
    assert.ok(outcomes.has("throttled"));
    assert.ok([...outcomes].every((outcome) => ["throttled", "unregistered"].includes(outcome)));
    assert.equal((await client.outcomes())[0].fired, detail.deliveries.length);
    await client.clearOutcomes();
    assert.deepEqual(await client.outcomes(), []);
  });
});

describe("webhooks and dispatch now", () => {
  test("webhooks.set, list, deliveries and clear; an attempt to a dead receiver is logged", async () => {
    await client.webhooks.set([{ url: "http://127.0.0.1:9/nothing", events: ["send"] }]);
    assert.equal((await client.webhooks.list()).length, 1);
    await sendPush(emulator);
    const [attempt] = await client.webhooks.waitForDeliveries({ count: 1, timeout: 20 });
    assert.equal(attempt.eventKind, "send");
    assert.ok((await client.webhooks.deliveries({ eventKind: "send" })).length >= 1);
    await assert.rejects(client.webhooks.deliveries({ kind: "send" }), TypeError);
    await client.webhooks.clear();
    assert.deepEqual(await client.webhooks.list(), []);
  });

  test("dispatchNow fans a scheduled send out without moving the clock", async () => {
    await sendPush(emulator, { content: { title: "later" }, scheduleDate: "2999-01-01 10:00" });
    const [scheduled] = await client.sends({ status: "Scheduled" });
    const dispatched = await client.dispatchNow(scheduled.trackingId);
    assert.equal(dispatched.trackingId, scheduled.trackingId);
    const [done] = await client.waitForSends({ trackingId: scheduled.trackingId });
    assert.equal(done.status, "Completed");
    await assert.rejects(client.dispatchNow(scheduled.trackingId), (error) => error.status === 409);
  });
});
