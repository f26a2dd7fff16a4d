// The survey editor: a live preview that follows typing (the "Update preview" button does the same without
// JavaScript), and the contrast of the accent colour on white as it is picked.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  var button = document.getElementById("preview-button");
  if (!form || !button) { return; }
  var timer = null;

  function refresh() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () {
      timer = null;
      // Posts the unsaved form to the preview view, whose answer loads in the frame (formtarget="preview").
      if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
    }, 400);
  }

  function luminance(hex) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }

  function showContrast(input) {
    var output = document.getElementById("contrast");
    if (!output || !/^#[0-9a-fA-F]{6}$/.test(input.value)) { return; }
    var ratio = 1.05 / (luminance(input.value) + 0.05);
    var ok = ratio >= 4.5;
    output.className = "contrast " + (ok ? "ok" : "low");
    output.innerHTML = "Contrast on white: <strong>" + ratio.toFixed(1) + ":1</strong> — " +
      (ok ? "meets WCAG AA" : "below 4.5:1; saving will ask for a darker colour");
  }

  form.addEventListener("input", function (event) {
    if (event.target && event.target.type === "color") { showContrast(event.target); }
    refresh();
  });
  form.addEventListener("change", refresh);
  document.querySelectorAll("[form=survey-form]").forEach(function (control) {
    control.addEventListener("change", refresh);
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  refresh();
})();
