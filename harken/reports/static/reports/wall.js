// Wall screen: show one slide at a time and move on every few seconds; the page reloads itself for new data.
// Without JavaScript every slide stays visible, one under the other.
(function () {
  "use strict";
  var body = document.body;
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
  var dots = document.querySelector(".wall-dots");
  if (slides.length < 2) { return; }
  var seconds = parseInt(body.getAttribute("data-slide-seconds"), 10) || 12;
  var current = 0;
  body.classList.add("rotating");
  slides.forEach(function () { var dot = document.createElement("span"); dots.appendChild(dot); });
  function show(index) {
    slides.forEach(function (slide, i) { slide.classList.toggle("active", i === index); });
    Array.prototype.forEach.call(dots.children, function (dot, i) { dot.classList.toggle("on", i === index); });
  }
  show(0);
  window.setInterval(function () { current = (current + 1) % slides.length; show(current); }, seconds * 1000);
}());
