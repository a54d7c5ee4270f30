// GraphiQL served from this server's own copies of its scripts (no CDN).
// The token typed above is sent as "Authorization: Bearer ..." on HTTP and as
// ?token= on the subscription socket; it lives in this tab's sessionStorage.
(function () {
  "use strict";

  var endpoint = window.location.origin + "/graphql";
  var socket = endpoint.replace(/^http/, "ws");
  var params = new URLSearchParams(window.location.search);
  var tokenInput = document.getElementById("token");
  var state = document.getElementById("auth-state");
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));

  function currentToken() {
    return window.sessionStorage.getItem("harvest.token") || "";
  }

  function fetcherFor(token) {
    return GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: token ? socket + "?token=" + encodeURIComponent(token) : socket,
      fetch: function (input, init) {
        var options = Object.assign({}, init);
        var headers = new Headers(options.headers || {});
        if (token) {
          headers.set("Authorization", "Bearer " + token);
        }
        options.headers = headers;
        return window.fetch(input, options);
      },
    });
  }

  function render() {
    var token = currentToken();
    state.textContent = token ? "token set" : "anonymous";
    root.render(
      React.createElement(GraphiQL, {
        key: token,
        fetcher: fetcherFor(token),
        defaultQuery: params.get("document") || "query ServerInfo {\n  serverInfo {\n    apiVersion\n    serverTime\n  }\n}\n",
        variables: params.get("variables") || undefined,
        isHeadersEditorEnabled: true,
        defaultEditorToolsVisibility: true,
      })
    );
  }

  document.getElementById("auth").addEventListener("submit", function (event) {
    event.preventDefault();
    window.sessionStorage.setItem("harvest.token", tokenInput.value.trim());
    tokenInput.value = "";
    render();
  });

  render();
})();
