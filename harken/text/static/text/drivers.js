/* Harken key drivers: the importance × performance chart, drawn from its JSON data block.
   No inline script (Content-Security-Policy): the data come from <script type="application/json">. */
(function () {
  "use strict";

  var colours = { fix: "#e5534b", keep: "#2da44e", other: "#0a58ca", muted: "#8c959f", tint: "rgba(229,83,75,0.08)", line: "#57606a" };

  function colourOf(point) {
    if (!point.significant) { return colours.muted; }
    return point.quadrant === "Fix first" ? colours.fix : point.quadrant === "Keep it up" ? colours.keep : colours.other;
  }

  function option(data, narrow) {
    var xs = data.points.map(function (p) { return p.performance; }).concat([data.performance_line]);
    var ys = data.points.map(function (p) { return p.importance; }).concat([data.importance_line]);
    var xMin = Math.max(0, Math.floor((Math.min.apply(null, xs) - 8) / 10) * 10);
    var xMax = Math.min(100, Math.ceil((Math.max.apply(null, xs) + 8) / 10) * 10);
    var yMax = Math.min(100, Math.ceil((Math.max.apply(null, ys) + 6) / 10) * 10);
    function series(significant) {
      return {
        name: significant ? "Significant" : "Not significant",
        type: "scatter",
        symbolSize: narrow ? 12 : 16,
        itemStyle: significant ? { color: colours.other } : { color: "#ffffff", borderColor: colours.muted, borderWidth: 2, borderType: "dashed" },
        data: data.points.filter(function (p) { return p.significant === significant; }).map(function (p) {
          return { value: [p.performance, p.importance], name: p.label, quadrant: p.quadrant,
                   itemStyle: significant ? { color: colourOf(p) } : { color: "#ffffff", borderColor: colours.muted, borderWidth: 2, borderType: "dashed" } };
        }),
        label: { show: true, position: "right", formatter: function (item) { return item.name + (significant ? "" : " (n.s.)"); },
                 fontSize: narrow ? 10 : 12, color: significant ? "#1f2328" : "#57606a" },
        labelLayout: { hideOverlap: false, moveOverlap: "shiftY" }
      };
    }
    var base = series(true);
    base.markLine = {
      symbol: "none", silent: true, lineStyle: { type: "dashed", color: colours.line },
      label: { fontSize: 10, color: colours.line },
      data: [
        { xAxis: data.performance_line, label: { formatter: "average performance", position: "end" } },
        { yAxis: data.importance_line, label: { formatter: "equal share", position: "insideEndTop" } }
      ]
    };
    base.markArea = {
      silent: true, itemStyle: { color: colours.tint },
      label: { position: "insideTopLeft", color: colours.fix, fontWeight: "bold", fontSize: 11 },
      data: [[{ name: "Fix first", xAxis: xMin, yAxis: yMax }, { xAxis: data.performance_line, yAxis: data.importance_line }]]
    };
    return {
      animation: false,
      grid: { left: 30, right: narrow ? 56 : 120, top: 24, bottom: 58, containLabel: true },
      legend: { bottom: 0, left: "center", textStyle: { fontSize: 11 }, data: ["Significant", "Not significant"] },
      tooltip: {
        trigger: "item",
        formatter: function (item) {
          return item.name + "<br>Importance " + item.value[1].toFixed(1) + " % of R²<br>Performance " +
            item.value[0].toFixed(1) + " / 100<br>" + item.data.quadrant;
        }
      },
      xAxis: { type: "value", name: "Performance (0–100)", nameLocation: "middle", nameGap: 26, min: xMin, max: xMax,
               splitLine: { show: false } },
      yAxis: { type: "value", name: "Importance (% of R²)", nameLocation: "middle", nameGap: 34, min: 0, max: yMax,
               splitLine: { show: false } },
      series: [base, series(false)]
    };
  }

  function draw() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart='drivers']").forEach(function (element) {
      var source = document.getElementById(element.dataset.source);
      if (!source) { return; }
      var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: "svg" });
      chart.setOption(option(JSON.parse(source.textContent), element.clientWidth < 520), true);
      element.setAttribute("data-drawn", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-chart='drivers'][data-drawn]").forEach(function (element) {
        var chart = echarts.getInstanceByDom(element);
        if (chart) { chart.resize(); }
      });
      draw();
    });
  });
}());
