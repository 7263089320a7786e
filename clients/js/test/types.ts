// Compiled by `tsc -p .` (never run): the declarations describe the client as users call it.
import {
  EmulatorClient,
  EmulatorError,
  WaitTimeoutError,
  startEmulator,
  type EmulatorEvent,
  type SendDetail,
  type SendItem,
} from "push-emulator";

export async function usage(): Promise<void> {
  const emulator = await startEmulator({ fixtures: { api_users: [] }, settings: { strict: true, seed: 1 } });
  const client: EmulatorClient = emulator.client;
  const sends: SendItem[] = await client.sends({ contactKey: "c-001", since: new Date(), limit: 10 });
  const detail: SendDetail = await client.lastSend({ status: "Completed" });
  const title: string | null = detail.deliveries[0]?.title ?? null;
  const waited: SendItem[] = await client.waitForSends({ count: 2, timeout: 5, trackingId: sends[0]?.trackingId });
  for await (const record of client.export({ apiUser: "demo-user" })) {
    const count: number = record.deliveries.length;
    void count;
  }
  const stream = client.events({ kinds: ["send", "send.status"], signal: AbortSignal.timeout(1000) });
  await stream.ready;
  for await (const event of stream) {
    const typed: EmulatorEvent = event;
    if (event.kind === "send.status") {
      const status: string = event.data.status;
      void status;
    }
    void typed;
  }
  await client.faults.set([{ action: { type: "status", status: 503 }, trigger: { times: 1 } }]);
  await client.rateLimits.set({ users: { "demo-user": { capacity: 1, refillPerSecond: 0 } } });
  await client.clock.set({ mode: "frozen", at: "2030-01-01T00:00:00Z" });
  const advanced: string = (await client.clock.advance(60)).now;
  const seed: number | null = (await client.seed(42)).seed;
  await client.seed();
  try {
    await client.waitForSends({ timeout: 0 });
  } catch (error) {
    if (error instanceof WaitTimeoutError) void error.nearMisses.map((miss) => miss.trackingId);
    if (error instanceof EmulatorError) void error.status;
  }
  const user = await client.createUser({ permissions: ["instantPush"] });
  const scoped: EmulatorClient = client.scoped(user.userkey);
  const token: string | undefined = user.tokens?.[0];
  void token;
  await scoped.clearSends();
  await client.deleteUser(user.userkey, { purge: true });
  const [device] = await client.addDevices({ applicationId: "app", token: "t", outcome: "invalidToken" });
  await client.updateDevice(device?.token ?? "t", { outcome: "throttled" });
  await client.setOutcomes({ match: { platform: "ios" }, outcome: "throttled", trigger: { probability: 0.3, seed: 7 } });
  const attempts = await client.webhooks.waitForDeliveries({ count: 1, eventKind: "send" });
  void attempts.map((attempt) => attempt.result);
  await client.dispatchNow("tracking-id");
  // @ts-expect-error: a device change the registry does not take
  await client.updateDevice("t", { colour: "red" });
  // @ts-expect-error: filters are the API's camelCase names
  await client.sends({ contact_key: "c-001" });
  // @ts-expect-error: an event kind the stream does not have
  client.events({ kinds: ["sends"] });
  // @ts-expect-error: settings are serve's, in camelCase
  await startEmulator({ settings: { strictMode: true } });
  await emulator.stop();
  void [title, waited, advanced, seed];
}
