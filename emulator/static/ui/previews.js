// The previews' own controls: the desktop OS a Chromium browser's card shows (the choice is
// kept for every card, in this browser), and expanding a notification where its platform can.
import { store, stored } from "./api.js";

const OS_KEY = "push-emulator-os";

export function applyOs(root) {
  const chosen = stored(OS_KEY);
  for (const chooser of root.querySelectorAll(".os-chooser")) {
    const variants = Array.from(chooser.parentElement.querySelectorAll(".os-variant"));
    const key = variants.some((v) => v.dataset.os === chosen) ? chosen : variants[0].dataset.os;
    for (const variant of variants) variant.classList.toggle("hidden", variant.dataset.os !== key);
    for (const button of chooser.querySelectorAll("button")) {
      button.classList.toggle("current", button.dataset.os === key);
    }
  }
}

export function chooseOs(button) {
  store(OS_KEY, button.dataset.os);
  applyOs(document);
}

export function expand(button) {
  const preview = button.closest(".n");
  const open = preview.classList.toggle("expanded");
  button.setAttribute("aria-expanded", open ? "true" : "false");
  button.textContent = open ? "Collapse" : "Expand";
}
