// Render every .kh-chart from the JSON beside it with the locally served ECharts; the table next to each
// chart carries the same numbers for screen readers, printing and browsers without JavaScript.
(function () {
  if (typeof echarts === "undefined") return;
  document.querySelectorAll(".kh-chart").forEach(function (el) {
    const data = JSON.parse(el.querySelector("script[type='application/json']").textContent);
    const kind = el.getAttribute("data-chart");
    const chart = echarts.init(el, null, { renderer: "canvas" });
    let option;
    if (kind === "heatmap") {
      option = {
        tooltip: { position: "top" },
        grid: { left: 110, right: 10, top: 10, bottom: 90 },
        xAxis: { type: "category", data: data.x, axisLabel: { rotate: 60, interval: 0 } },
        yAxis: { type: "category", data: data.y, inverse: true },
        visualMap: { show: false, min: 0, max: 3, inRange: { color: ["#eeeeee", "#f4b4ae", "#a8dab5", "#a9c8f5"] } },
        series: [{ type: "heatmap", data: data.cells, label: { show: false } }],
      };
    } else {
      option = {
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 50, right: 20, top: 30, bottom: 60 },
        xAxis: { type: "category", data: data.x, axisLabel: { rotate: data.x.length > 8 ? 45 : 0, interval: 0 } },
        yAxis: { type: "value", name: el.getAttribute("data-title") || "", inverse: el.getAttribute("data-inverse") === "1",
                 minInterval: 1 },
        series: data.series.map(function (s) {
          const series = { name: s.name, type: kind, data: s.data };
          if (data.mark !== undefined) {
            series.markLine = { symbol: "none", data: [{ yAxis: data.mark, name: "序时进度" }], label: { formatter: "序时 {c}" } };
          }
          return series;
        }),
      };
    }
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
