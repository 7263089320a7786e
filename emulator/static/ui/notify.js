// Browser notifications for new sends: opt-in, asked for on a click and never on load, kept
// in this browser. A notification is given plain text only: the title and message the first
// device was shown, from the send.status event of a send that was fanned out.
import { store, stored } from "./api.js";

const NOTIFY_KEY = "push-emulator-notify";
const button = document.getElementById("notify");

function notifying() {
  return (
    stored(NOTIFY_KEY) === "on" &&
    "Notification" in window &&
    Notification.permission === "granted"
  );
}

export function showNotifyState() {
  if (!button) return;
  if (!("Notification" in window)) {
    button.hidden = true;
    return;
  }
  const on = notifying();
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.textContent = on ? "Notifying" : "Notify me";
}

export async function toggleNotify() {
  if (!("Notification" in window)) return;
  if (notifying()) {
    store(NOTIFY_KEY, null);
  } else {
    const permission =
      Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
    if (permission === "granted") store(NOTIFY_KEY, "on");
    else window.alert("The browser did not allow notifications (" + permission + ").");
  }
  showNotifyState();
}

export function notify(data) {
  if (!notifying() || data.status !== "Completed") return;
  const title = data.title ? String(data.title) : "(no title)";
  const reachedNobody = data.title === null && data.message === null;
  const message = data.message ? String(data.message) : reachedNobody ? "Reached no device" : "";
  try {
    const shown = new Notification(title, { body: message, tag: "push-emulator-" + data.id });
    shown.onclick = () => {
      window.focus();
      if (data.trackingId) {
        window.location.href = "/_emulator/ui/sends/" + encodeURIComponent(data.trackingId);
      }
    };
  } catch (error) {
    // some browsers notify only from a service worker; the inbox still updates
  }
}
