/*! Harken NPS widget — no dependencies.  <script src=".../static/collect/widget.js" data-survey="KEY" async></script>
 * API: Harken.identify({id, email, name, attributes, locale}); Harken.show(); Harken.hide().
 * Display rules come from the server: delay, pages, returning visitors only, snooze days, sampling. */
(function (window, document) {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-survey]");
  if (!script || window.Harken && window.Harken.loaded) { return; }
  var key = script.getAttribute("data-survey");
  var base = new URL(script.src, window.location.href).origin;
  var storeKey = "harken:" + key;
  var DAY = 86400000, SESSION_GAP = 30 * 60000;
  var visitor = {};
  var state = load();
  var host = null, config = null, submission = null, scored = false, timer = null;

  ["id", "email", "name"].forEach(function (field) {
    var value = script.getAttribute(field === "id" ? "data-customer-id" : "data-" + field);
    if (value) { visitor[field] = value; }
  });
  var locale = script.getAttribute("data-locale") || (navigator.language || "en");

  function load() {
    try { return JSON.parse(window.localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  function randomId() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function post(path, body) {
    // text/plain keeps the request "simple": no CORS preflight.  The server checks the Origin header.
    return fetch(base + "/w/" + encodeURIComponent(key) + "/" + path, {
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain;charset=UTF-8" }, body: JSON.stringify(body)
    });
  }
  function matches(pattern, path) {
    var escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp("^" + escaped + "$").test(path);
  }

  // Visits: a new visit starts after 30 minutes without a page view.
  var now = Date.now();
  if (!state.first) { state.first = now; state.visits = 1; }
  else if (now - (state.last || 0) > SESSION_GAP) { state.visits = (state.visits || 1) + 1; }
  state.last = now;
  save();

  function eligible(rules) {
    if (state.snoozeUntil && state.snoozeUntil > Date.now()) { return false; }
    if (rules.pages.length && !rules.pages.some(function (p) { return matches(p, window.location.pathname); })) { return false; }
    if (rules.returningOnly && (state.visits || 1) < 2) { return false; }
    if (state.sampledUntil === undefined || state.sampledUntil < Date.now()) {
      state.sampled = Math.random() * 100 < rules.samplePercent;
      state.sampledUntil = Date.now() + Math.max(rules.snoozeDays, 1) * DAY;
      save();
    }
    return state.sampled;
  }

  function fetchConfig() {
    var lang = String(locale).slice(0, 8);
    var url = base + "/w/" + encodeURIComponent(key) + "/config?lang=" + encodeURIComponent(lang);
    return fetch(url, { mode: "cors", credentials: "omit" }).then(function (r) {
      if (!r.ok) { throw new Error("Harken widget: " + r.status); }
      return r.json();
    });
  }

  var CSS = ":host{all:initial}" +
    ".box{position:fixed;right:16px;bottom:16px;z-index:2147483000;width:min(420px,calc(100vw - 32px));box-sizing:border-box;" +
    "background:#fff;color:#1b1f24;border:1px solid #d0d7de;border-top:4px solid var(--a);border-radius:12px;" +
    "box-shadow:0 8px 24px rgba(0,0,0,.18);padding:16px;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}" +
    "h2{font-size:16px;margin:0 28px 10px 0;font-weight:650}" +
    ".close{position:absolute;top:6px;right:6px;width:36px;height:36px;border:0;background:none;font-size:22px;cursor:pointer;color:#57606a;border-radius:6px}" +
    ".scale{display:grid;grid-template-columns:repeat(11,1fr);gap:3px}" +
    ".scale button{min-height:40px;padding:0;border:2px solid #8c959f;border-radius:6px;background:#fff;color:#1b1f24;font:600 14px system-ui,sans-serif;cursor:pointer}" +
    ".scale button:hover,.scale button[aria-pressed=true]{background:var(--a);border-color:var(--a);color:#fff}" +
    ".ends{display:flex;justify-content:space-between;gap:8px;color:#57606a;font-size:12px;margin-top:4px}" +
    "label{display:block;font-weight:600;margin:0 0 6px}" +
    "textarea{box-sizing:border-box;width:100%;min-height:70px;font:inherit;padding:8px;border:1px solid #8c959f;border-radius:6px}" +
    ".send{margin-top:8px;min-height:40px;padding:8px 18px;border:0;border-radius:6px;background:var(--a);color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer}" +
    ".error{color:#b42318;font-weight:600;margin:6px 0 0}" +
    "button:focus-visible,textarea:focus-visible{outline:3px solid var(--a);outline-offset:2px}" +
    "@media (max-width:380px){.scale{grid-template-columns:repeat(6,1fr)}}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function render() {
    if (host || !config) { return; }
    host = el("div", { "data-harken-widget": key });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var style = el("style", {}, CSS);
    var box = el("section", { "class": "box", role: "dialog", "aria-modal": "false", "aria-labelledby": "h-q" });
    box.style.setProperty("--a", config.accent);
    var close = el("button", { "class": "close", type: "button", "aria-label": config.close }, "\u00d7");
    close.addEventListener("click", function () { hide(true); });
    box.addEventListener("keydown", function (event) { if (event.key === "Escape") { hide(true); } });
    var body = el("div");
    box.appendChild(close);
    box.appendChild(body);
    root.appendChild(style);
    root.appendChild(box);
    document.body.appendChild(host);
    showScale(body);
    state.snoozeUntil = Date.now() + config.rules.snoozeDays * DAY;
    save();
    post("event", { event: "shown" });
  }

  function showScale(body) {
    body.textContent = "";
    body.appendChild(el("h2", { id: "h-q" }, config.question));
    var scale = el("div", { "class": "scale", role: "group", "aria-labelledby": "h-q" });
    for (var i = 0; i <= 10; i++) {
      var button = el("button", { type: "button", "aria-label": i + (i === 0 ? " \u2014 " + config.low : i === 10 ? " \u2014 " + config.high : "") }, String(i));
      button.addEventListener("click", choose.bind(null, body, i, button));
      scale.appendChild(button);
    }
    body.appendChild(scale);
    var ends = el("div", { "class": "ends", "aria-hidden": "true" });
    ends.appendChild(el("span", {}, config.low));
    ends.appendChild(el("span", {}, config.high));
    body.appendChild(ends);
  }

  function answer(data) {
    submission = submission || randomId();
    data.submission = submission;
    data.locale = config.language;
    if (visitor.id || visitor.email) { data.visitor = visitor; }
    return post("answer", data).then(function (r) {
      return r.json().then(function (json) { if (!r.ok) { throw new Error(json.error || String(r.status)); } return json; });
    });
  }

  function choose(body, score, button) {
    button.setAttribute("aria-pressed", "true");
    answer({ score: score }).then(function () {
      scored = true;
      body.textContent = "";
      var label = el("label", { "for": "h-c", id: "h-q" }, config.comment);
      var text = el("textarea", { id: "h-c", maxlength: "2000" });
      var send = el("button", { type: "button", "class": "send" }, config.send);
      send.addEventListener("click", function () {
        send.disabled = true;
        answer({ comment: text.value }).then(function () { thank(body); }, function (error) {
          send.disabled = false; showError(body, error);
        });
      });
      body.appendChild(label);
      body.appendChild(text);
      body.appendChild(send);
      text.focus();
    }, function (error) { button.removeAttribute("aria-pressed"); showError(body, error); });
  }

  function showError(body, error) {
    var old = body.querySelector(".error");
    if (old) { old.remove(); }
    body.appendChild(el("p", { "class": "error", role: "alert" }, error.message));
  }

  function thank(body) {
    body.textContent = "";
    body.appendChild(el("h2", { id: "h-q", tabindex: "-1" }, config.thanks));
    body.appendChild(el("p", {}, config.saved));
    body.firstChild.focus();
    timer = setTimeout(function () { hide(false); }, 4000);
  }

  function hide(dismissed) {
    if (!host) { return; }
    if (dismissed && !scored) { post("event", { event: "dismissed" }); }
    host.remove();
    host = null;
    clearTimeout(timer);
  }

  function start(force) {
    fetchConfig().then(function (data) {
      config = data;
      if (force) { render(); return; }
      if (eligible(config.rules)) { timer = setTimeout(render, config.rules.delay * 1000); }
    }).catch(function (error) { if (window.console) { window.console.warn(error.message); } });
  }

  window.Harken = {
    loaded: true,
    identify: function (person) {
      person = person || {};
      ["id", "email", "name", "attributes"].forEach(function (f) { if (person[f] !== undefined) { visitor[f] = person[f]; } });
      if (person.locale) { locale = person.locale; }
    },
    show: function () { clearTimeout(timer); if (config) { render(); } else { start(true); } },
    hide: function () { hide(false); }
  };
  if (window.harkenSettings) { window.Harken.identify(window.harkenSettings); }
  start(false);
}(window, document));
