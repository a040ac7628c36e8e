// Swagger UI for YourMusic's REST API: every asset comes from this server (/static), nothing from a CDN.
// The spec URL comes from the page's JSON config; the online validator badge is off (it calls swagger.io).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("yourmusic-tryit-config").textContent);
  window.ui = SwaggerUIBundle({
    url: new URL(config.specUrl, window.location.href).toString(),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    docExpansion: "list",
    filter: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
