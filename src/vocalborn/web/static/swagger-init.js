// Starts Swagger UI on /docs (web/api_docs.py) from a file of ours, not an inline script, so the
// docs' Content-Security-Policy allows scripts from this server only. No request leaves it:
// validatorUrl null keeps Swagger UI from asking the public validator about our schema.
const root = document.getElementById("swagger-ui");
window.ui = globalThis.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [globalThis.SwaggerUIBundle.presets.apis, globalThis.SwaggerUIBundle.SwaggerUIStandalonePreset],
});
