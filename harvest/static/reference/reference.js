// The /v1 reference: Swagger UI over the generated OpenAPI document.
// validatorUrl is null so that the page never calls an outside validator.
window.addEventListener("load", function () {
  "use strict";
  window.harvestReference = SwaggerUIBundle({
    url: "/v1/openapi.json",
    dom_id: "#reference",
    validatorUrl: null,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
