// What the tests share: the demo account's ids and a send through the emulated API.
export const DEMO_TOKEN = "demo-token";
export const ANDROID_APP = "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b";

/** POST /rest/push/sendInstant as the code under test would; resolves with the answer's body. */
export async function sendPush(emulator, body = { content: { title: "Hi", message: "there" } }, token = DEMO_TOKEN) {
  const response = await fetch(`${emulator.restUrl}/push/sendInstant`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
