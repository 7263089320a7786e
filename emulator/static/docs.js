// Starts the vendored Swagger UI on /_emulator/docs. A file of ours because the page's
// Content-Security-Policy allows no inline script; the OpenAPI document comes from this
// emulator, and nothing is fetched from anywhere else (no validator badge, no CDN).
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
