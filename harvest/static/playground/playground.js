// The playground: sign in, generate with a streamed response, see history.
// It speaks the public /v1 API only: the same calls any client makes.
(function () {
  "use strict";

  var TOKEN_KEY = "harvest.playground.token";
  var NAME_KEY = "harvest.playground.name";
  var $ = function (id) { return document.getElementById(id); };
  var reader = null;

  function token() { return window.sessionStorage.getItem(TOKEN_KEY); }

  function headers() {
    var result = { "Content-Type": "application/json" };
    if (token()) { result.Authorization = "Bearer " + token(); }
    return result;
  }

  function errorText(body, status) {
    var error = body && body.error;
    if (!error) { return "Request failed (" + status + ")"; }
    var details = error.details && error.details.field ? " (" + error.details.field + ")" : "";
    return error.code + ": " + error.message + details;
  }

  async function callJson(method, path, body) {
    var response = await window.fetch(path, {
      method: method,
      headers: headers(),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    var data = null;
    try { data = await response.json(); } catch (ignored) { data = null; }
    if (!response.ok) { throw new Error(errorText(data, response.status)); }
    return data;
  }

  function showSignedIn() {
    var signedIn = Boolean(token());
    $("auth-panel").hidden = signedIn;
    $("work").hidden = !signedIn;
    $("who").hidden = !signedIn;
    $("who-name").textContent = window.sessionStorage.getItem(NAME_KEY) || "";
    if (signedIn) { loadHistory(); }
  }

  async function authenticate(event) {
    event.preventDefault();
    var mode = event.submitter && event.submitter.value === "signup" ? "signup" : "login";
    var body = { email: $("email").value.trim(), password: $("password").value };
    if (mode === "signup") { body.name = $("name").value.trim() || body.email.split("@")[0]; }
    $("auth-error").textContent = "";
    try {
      var data = await callJson("POST", "/v1/auth/" + mode, body);
      window.sessionStorage.setItem(TOKEN_KEY, data.tokens.access_token);
      window.sessionStorage.setItem(NAME_KEY, data.user.name || data.user.email);
      $("password").value = "";
      showSignedIn();
    } catch (error) {
      $("auth-error").textContent = error.message;
    }
  }

  function signOut() {
    var current = token();
    window.sessionStorage.removeItem(TOKEN_KEY);
    window.sessionStorage.removeItem(NAME_KEY);
    if (current) {
      window.fetch("/v1/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + current },
        body: "{}",
      }).catch(function () { return null; });
    }
    showSignedIn();
  }

  function generationRequest() {
    var options = { tone: $("tone").value, length: $("length").value };
    var keywords = $("keywords").value.split(",").map(function (k) { return k.trim(); })
      .filter(Boolean);
    if (keywords.length) { options.keywords = keywords; }
    if ($("model").value.trim()) { options.model = $("model").value.trim(); }
    return { format: $("format").value, input: $("input").value, options: options };
  }

  // One Server-Sent Event block ("event: x\ndata: {...}") as {event, data}.
  function parseEvent(block) {
    var event = "message";
    var data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) { event = line.slice(6).trim(); }
      else if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
    });
    if (!data.length) { return null; }
    var parsed;
    try { parsed = JSON.parse(data.join("\n")); } catch (ignored) { parsed = data.join("\n"); }
    return { event: event, data: parsed };
  }

  function onEvent(message) {
    var data = message.data || {};
    if (message.event === "start") {
      $("status").textContent = "Streaming " + (data.generation_id || "") + "…";
    } else if (message.event === "progress") {
      $("output").textContent += data.chunk || "";
    } else if (message.event === "complete") {
      $("status").textContent = "Done: " + (data.word_count || 0) + " words, " +
        (data.total_tokens || 0) + " tokens.";
    } else if (message.event === "error") {
      var error = data.error || data;
      $("status").textContent = (error.code || "ERROR") + ": " + (error.message || "failed");
    }
  }

  async function generate(event) {
    event.preventDefault();
    $("output").textContent = "";
    $("status").textContent = "Starting…";
    $("generate").disabled = true;
    $("stop").disabled = false;
    try {
      var response = await window.fetch("/v1/generate/stream", {
        method: "POST",
        headers: Object.assign(headers(), { Accept: "text/event-stream" }),
        body: JSON.stringify(generationRequest()),
      });
      if (!response.ok) {
        var body = null;
        try { body = await response.json(); } catch (ignored) { body = null; }
        throw new Error(errorText(body, response.status));
      }
      reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      for (;;) {
        var part = await reader.read();
        if (part.done) { break; }
        buffer += decoder.decode(part.value, { stream: true }).replace(/\r\n/g, "\n");
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          var message = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (message) { onEvent(message); }
        }
      }
    } catch (error) {
      $("status").textContent = error.message;
    } finally {
      reader = null;
      $("generate").disabled = false;
      $("stop").disabled = true;
      loadHistory();
    }
  }

  function stopReading() {
    if (reader) { reader.cancel(); }
  }

  async function loadHistory() {
    if (!token()) { return; }
    try {
      var data = await callJson("GET", "/v1/generate/history?limit=20");
      var list = $("history");
      list.textContent = "";
      (data.generations || []).forEach(function (item) {
        var entry = document.createElement("li");
        var title = document.createElement("strong");
        title.textContent = item.title || item.preview || item.id;
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = [item.format, (item.word_count || 0) + " words", item.model,
          item.created_at].filter(Boolean).join(" · ");
        entry.appendChild(title);
        entry.appendChild(meta);
        list.appendChild(entry);
      });
      $("history-empty").hidden = list.children.length > 0;
    } catch (error) {
      $("history-empty").hidden = false;
      $("history-empty").textContent = error.message;
    }
  }

  $("auth-form").addEventListener("submit", authenticate);
  $("sign-out").addEventListener("click", signOut);
  $("generate-form").addEventListener("submit", generate);
  $("stop").addEventListener("click", stopReading);
  $("refresh").addEventListener("click", loadHistory);
  showSignedIn();
})();
