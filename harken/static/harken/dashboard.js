/* Harken dashboards: draw the charts from their JSON data blocks, and again after each htmx swap.
   No inline script anywhere (Content-Security-Policy): data comes from <script type="application/json">. */
(function () {
  "use strict";

  var colours = { promoter: "#2da44e", passive: "#d4a72c", detractor: "#e5534b", line: "#0a58ca", band: "rgba(10,88,202,0.14)" };

  function sign(value) {
    if (value === null || value === undefined) { return "—"; }
    var text = Math.abs(value).toFixed(1);
    return value > 0 ? "+" + text : value < 0 ? "−" + text : "0.0";
  }

  function trendOption(data, animate) {
    var low = data.low.map(function (v) { return v === null ? null : v; });
    var width = data.high.map(function (v, i) { return v === null || low[i] === null ? null : v - low[i]; });
    var lines = data.references.map(function (ref) {
      return { yAxis: ref.value, name: ref.label, label: { formatter: ref.label + " " + sign(ref.value), position: ref.kind === "goal" ? "insideEndTop" : "insideEndBottom", fontSize: 11 },
               lineStyle: { type: ref.kind === "goal" ? "dashed" : "dotted", color: ref.kind === "goal" ? "#8250df" : "#57606a" } };
    });
    return {
      animation: animate,
      grid: { left: 8, right: 28, top: 24, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var i = items[0].dataIndex;
          return data.labels[i] + "<br>NPS " + sign(data.nps[i]) + "<br>interval [" + sign(data.low[i]) + ", " + sign(data.high[i]) + "]<br>n = " + data.n[i].toLocaleString();
        }
      },
      xAxis: { type: "category", data: data.labels, boundaryGap: false, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", min: function (v) { return Math.max(-100, Math.floor((v.min - 5) / 10) * 10); },
               max: function (v) { return Math.min(100, Math.ceil((v.max + 5) / 10) * 10); } },
      series: [
        { name: "low", type: "line", data: low, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, silent: true },
        { name: "interval", type: "line", data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: colours.band }, silent: true },
        { name: "NPS", type: "line", data: data.nps, symbolSize: 6, lineStyle: { width: 2.5, color: colours.line },
          itemStyle: { color: colours.line }, markLine: { symbol: "none", silent: true, data: lines } }
      ]
    };
  }

  function distributionOption(counts, animate) {
    return {
      animation: animate,
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", formatter: function (items) { return "Score " + items[0].name + ": " + items[0].value.toLocaleString(); } },
      xAxis: { type: "category", data: counts.map(function (_, i) { return String(i); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: counts.map(function (value, score) {
        return { value: value, itemStyle: { color: score >= 9 ? colours.promoter : score >= 7 ? colours.passive : colours.detractor } };
      }) }]
    };
  }

  function draw(root, animate) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.source);
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: "svg" });
      chart.setOption(element.dataset.chart === "trend" ? trendOption(data, animate) : distributionOption(data, animate), true);
      element.setAttribute("data-drawn", "true");
    });
  }

  function resizeAll() {
    document.querySelectorAll("[data-drawn]").forEach(function (element) {
      var chart = echarts.getInstanceByDom(element);
      if (chart) { chart.resize(); }
    });
  }

  function customDates() {
    var period = document.getElementById("period");
    if (!period) { return; }
    document.querySelectorAll(".custom-dates").forEach(function (field) { field.hidden = period.value !== "custom"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document, true);
    customDates();
    var period = document.getElementById("period");
    if (period) { period.addEventListener("change", customDates); }
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var old = event.detail.target;
      if (old && old.querySelectorAll && typeof echarts !== "undefined") {
        old.querySelectorAll("[data-drawn]").forEach(function (element) {
          var chart = echarts.getInstanceByDom(element);
          if (chart) { chart.dispose(); }
        });
      }
    });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      var scope = document.getElementById("scope-line");
      var panels = document.getElementById("panels");
      if (scope && panels && panels.dataset.scope) { scope.textContent = panels.dataset.scope; }
      draw(document, false);
    });
    window.addEventListener("resize", resizeAll);
  });
}());
