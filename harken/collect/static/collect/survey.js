// Survey pages without page reloads.  The forms work without this script (plain posts and redirects);
// with it, a post is sent with fetch and the server answers with the next step as an HTML fragment
// (header X-Harken-Fragment: 1), which replaces #step.  Kiosks go back to the start when idle.
(function () {
  "use strict";
  var resetTimer = null;

  function armReset() {
    var step = document.getElementById("step");
    if (resetTimer) { clearTimeout(resetTimer); resetTimer = null; }
    if (!step || !step.dataset.resetAfter) { return; }
    resetTimer = setTimeout(function () { window.location.assign(step.dataset.resetUrl); },
      parseInt(step.dataset.resetAfter, 10) * 1000);
  }

  function swap(html, url) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var next = holder.querySelector("#step");
    var step = document.getElementById("step");
    if (!next || !step) { window.location.assign(url); return; }
    step.replaceWith(next);
    if (url) { window.history.pushState({}, "", url); }
    var focus = next.querySelector("[role=alert]") || next.querySelector("h1");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) { focus.setAttribute("tabindex", "-1"); }
      focus.focus();
    }
    armReset();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("survey-form") || !window.fetch) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    if (event.submitter && event.submitter.classList.contains("score")) { event.submitter.classList.add("chosen"); }
    form.classList.add("busy");
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Harken-Fragment": "1" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.status >= 500 || response.status === 403) { throw new Error(String(response.status)); }
        swap(html, response.headers.get("X-Harken-Url"));
      });
    }).catch(function () {
      form.classList.remove("busy");
      if (event.submitter && event.submitter.name) {  // a plain post, keeping the button that was pressed
        var input = document.createElement("input");
        input.type = "hidden"; input.name = event.submitter.name; input.value = event.submitter.value;
        form.appendChild(input);
      }
      form.submit();
    });
  });

  window.addEventListener("popstate", function () { window.location.reload(); });
  document.addEventListener("input", armReset);
  document.addEventListener("click", armReset);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", armReset);
  } else {
    armReset();
  }
}());
