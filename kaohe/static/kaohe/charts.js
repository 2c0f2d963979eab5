// Render every .kh-chart from the JSON beside it with the locally served ECharts; the table next to each
// chart carries the same numbers for screen readers, printing and browsers without JavaScript.
(function () {
  // Print buttons (inline handlers are forbidden by the CSP).
  document.querySelectorAll("[data-kh-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // "显示数据表": a drawn chart's table is visually hidden (still read by screen readers and printed).
  document.querySelectorAll("[data-kh-table-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      const figure = button.closest("[data-kh-figure]");
      const table = figure && figure.querySelector(".kh-fallback");
      if (!table) return;
      const shown = table.classList.toggle("kh-fallback-shown");
      button.setAttribute("aria-expanded", shown ? "true" : "false");
      button.textContent = shown ? "隐藏数据表" : "显示数据表";
    });
  });
  if (typeof echarts === "undefined") return;

  function go(url) { if (url) window.location.href = url; }

  // Heat map: with `levels` ([{name, color}] by value) the cells are categories, named in the tooltip;
  // `xLinks` / `yLinks` make the axis labels (and a cell, for its row) drill down. One row, or a phone's width:
  // drawn transposed, so that the long axis runs down the page.
  function heatmapData(el, data) {
    if (data.y.length !== 1 && el.clientWidth >= 576) return data;
    return {
      x: data.y, y: data.x, xLinks: data.yLinks, yLinks: data.xLinks, levels: data.levels,
      cells: data.cells.map(function (c) { return [c[1], c[0], c[2]]; }),
    };
  }

  // On a phone the column labels (fourteen townships, or two dozen indicators) would run into each other at 60°:
  // upright, smaller and cut to a few characters (the tooltip and the table beside the chart name them in full).
  function shortLabel(limit) {
    return function (name) { return name.length > limit ? name.slice(0, limit) + "…" : name; };
  }

  function heatmapOption(el, data) {
    const levels = data.levels;
    const narrow = el.clientWidth < 576;
    const xLabel = narrow
      ? { rotate: 90, interval: 0, fontSize: 10, formatter: shortLabel(5) }
      : { rotate: data.x.length > 1 ? 60 : 0, interval: 0 };
    const yLabel = narrow ? { interval: 0, fontSize: 10, formatter: shortLabel(7) } : { interval: 0 };
    const option = {
      tooltip: { position: "top" },
      grid: { left: 10, right: 10, top: 10, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: data.x, axisLabel: xLabel, triggerEvent: !!data.xLinks },
      yAxis: { type: "category", data: data.y, inverse: true, axisLabel: yLabel, triggerEvent: !!data.yLinks },
      visualMap: { show: false, min: 0, max: 3, inRange: { color: ["#eeeeee", "#f4b4ae", "#a8dab5", "#a9c8f5"] } },
      series: [{ type: "heatmap", data: data.cells, label: { show: false }, itemStyle: { borderColor: "#fff", borderWidth: 1 } }],
    };
    if (levels) {
      option.visualMap = {
        type: "piecewise", show: false, dimension: 2,
        pieces: levels.map(function (level, i) { return { value: i, color: level.color, label: level.name }; }),
      };
      option.tooltip.formatter = function (p) {
        return data.y[p.value[1]] + " · " + data.x[p.value[0]] + "：" + levels[p.value[2]].name;
      };
    }
    return option;
  }

  function seriesOption(el, kind, data) {
    const many = data.series.length > 4;
    const inverse = el.getAttribute("data-inverse") === "1";  // a rank: 1 at the top, nothing above it
    return {
      tooltip: { trigger: "axis" },
      legend: many ? { top: 0, type: "scroll" } : { top: 0 },
      grid: { left: 50, right: 20, top: many ? 55 : 30, bottom: 60 },
      xAxis: { type: "category", data: data.x, axisLabel: { rotate: data.x.length > 8 ? 45 : 0, interval: 0 } },
      yAxis: { type: "value", name: el.getAttribute("data-title") || "", inverse: inverse, min: inverse ? 1 : null,
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

  document.querySelectorAll(".kh-chart").forEach(function (el) {
    const kind = el.getAttribute("data-chart");
    let data = JSON.parse(el.querySelector("script[type='application/json']").textContent);
    if (kind === "heatmap") data = heatmapData(el, data);
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(kind === "heatmap" ? heatmapOption(el, data) : seriesOption(el, kind, data));
    // Drill-down: a bar (links by category), a line (seriesLinks by series), heat map labels and cells.
    chart.on("click", function (p) {
      if (p.componentType === "xAxis" && data.xLinks) go(data.xLinks[data.x.indexOf(p.value)]);
      else if (p.componentType === "yAxis" && data.yLinks) go(data.yLinks[data.y.indexOf(p.value)]);
      else if (p.componentType === "series" && kind === "heatmap" && data.yLinks) go(data.yLinks[p.value[1]]);
      else if (p.componentType === "series" && data.links) go(data.links[p.dataIndex]);
      else if (p.componentType === "series" && data.seriesLinks) go(data.seriesLinks[p.seriesIndex]);
    });
    const figure = el.closest("[data-kh-figure]");
    if (figure) {
      figure.classList.add("kh-charted");
      figure.querySelectorAll("[data-kh-table-toggle]").forEach(function (b) { b.classList.remove("d-none"); });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
