// Applies the colour scheme chosen in this browser before the page paints (no flash of the
// other scheme). Loaded in <head> as a file, since the pages allow no inline script; ui/main.js
// owns the toggle. Without a choice the stylesheet follows prefers-color-scheme.
"use strict";
(function () {
  try {
    const theme = localStorage.getItem("push-emulator-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (error) {
    // storage refused (privacy settings): follow the system
  }
})();
