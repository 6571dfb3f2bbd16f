// Compare page: funnel plot of every facility's value against its denominator.
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  const canvas = document.getElementById("funnel-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const p = Q.palette;
  const d = canvas.dataset;
  const outside = (flag) => flag !== "inside" && flag !== "no_data";
  const line = (label, key, colour, dash, hide) => ({
    type: "line",
    label,
    data: data.curve.map((c) => ({ x: c.n, y: c[key] })),
    borderColor: colour,
    borderDash: dash,
    borderWidth: 1.5,
    pointRadius: 0,
    hideInLegend: hide,
  });
  const maxN = data.curve.length ? data.curve[data.curve.length - 1].n : 1;
  // Coverage above 100 %: the catchment target (sasaran) is probably too low, a warning
  // rather than a good result. From point.over_100; pages without it fall back on the
  // table's "!" flags (rows by facility name).
  const flagged = new Set(
    Array.from(document.querySelectorAll("[data-testid=comparison-table] tbody tr"))
      .filter((row) => row.querySelector(".flag-sasaran"))
      .map((row) => row.querySelector("th").textContent.trim())
  );
  const over100 = (point) => (point.over_100 === undefined ? flagged.has(point.name) : point.over_100 === true);
  const flagNode = document.querySelector(".flag-sasaran[title]");
  const over100Label = Q.word(canvas, "over100Label", flagNode ? flagNode.title : "");
  const datasets = [
    {
      type: "scatter",
      label: d.pointsLabel,
      data: data.points.map((point) => ({ x: point.x, y: point.y, name: point.name, over100: over100(point) })),
      backgroundColor: data.points.map((point) =>
        over100(point) ? p.white : outside(point.flag) ? p.vermillion : p.blue
      ),
      borderColor: data.points.map((point) =>
        over100(point) ? p.vermillion : outside(point.flag) ? p.vermillion : p.blue
      ),
      borderWidth: data.points.map((point) => (over100(point) ? 2.5 : 1)),
      pointStyle: data.points.map((point) => (outside(point.flag) ? "rectRot" : "circle")),
      pointRadius: data.points.map((point) => (over100(point) ? 6 : 5)),
    },
    line(d.l95Label, "upper_95", p.sky, [6, 3], false),
    line(d.l95Label, "lower_95", p.sky, [6, 3], true),
    line(d.l998Label, "upper_998", p.grey, [2, 2], false),
    line(d.l998Label, "lower_998", p.grey, [2, 2], true),
  ];
  if (data.theta !== null) {
    datasets.push({
      type: "line",
      label: d.thetaLabel,
      data: [{ x: 0, y: data.theta }, { x: maxN, y: data.theta }],
      borderColor: p.black,
      borderWidth: 2,
      pointRadius: 0,
      endLabel: Q.formatNumber(data.theta),
    });
  }
  if (data.target !== null) {
    datasets.push({
      type: "line",
      label: d.targetLabel,
      data: [{ x: 0, y: data.target }, { x: maxN, y: data.target }],
      borderColor: p.green,
      borderDash: [10, 5],
      borderWidth: 3,
      pointRadius: 0,
      endLabel: `${d.targetLabel} ${Q.formatNumber(data.target)}`,
    });
  }
  // Label the facilities beyond the 99.8 % limits (those beyond 95 % are drawn as diamonds).
  const labels = data.points
    .map((point, index) => ({ datasetIndex: 0, index, text: point.name, flag: point.flag }))
    .filter((label) => label.flag === "above_998" || label.flag === "below_998");
  // and mark coverage above 100 % with "!", as in the table
  data.points.forEach((point, index) => {
    if (over100(point)) labels.push({ datasetIndex: 0, index, text: "!", colour: p.vermillion, bold: true, dx: -13, dy: 5 });
  });
  // Zoom the value axis on the facilities, the average and the target.
  const ys = data.points.map((point) => point.y).concat([data.theta, data.target].filter((y) => y !== null));
  const low = Math.min(...ys);
  const high = Math.max(...ys);
  const pad = Math.max((high - low) * 0.25, Math.abs(high) * 0.05, 1);
  const options = Q.baseOptions();
  options.interaction = { mode: "nearest", intersect: true };
  options.plugins.qiPointLabels = { labels };
  options.plugins.legend.labels.filter = (item, chartData) =>
    !chartData.datasets[item.datasetIndex].hideInLegend;
  // the facilities' legend box in the ordinary colour, whatever the first facility is
  options.plugins.legend.labels.generateLabels = (chart) =>
    Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) =>
      item.datasetIndex === 0 ? Object.assign(item, { fillStyle: p.blue, strokeStyle: p.blue, lineWidth: 1 }) : item
    );
  options.plugins.tooltip = {
    filter: (item) => item.datasetIndex === 0,
    callbacks: {
      label(context) {
        const point = context.raw;
        return `${point.name}: ${Q.formatNumber(point.y)}`;
      },
      afterLabel(context) {
        const point = context.raw;
        // denominators from catchment targets (12.67 pregnant women) in whole people
        const lines = [`${d.xLabel}: ${Q.formatCount(point.x)}`];
        if (point.over100 && over100Label) lines.push(`! ${over100Label}`);
        return Q.wrapLines(lines, context.chart);
      },
    },
  };
  options.scales = {
    x: Q.numberAxis({ type: "linear", beginAtZero: true, title: { display: true, text: d.xLabel } }),
    y: Q.numberAxis({
      min: Math.max(0, Math.floor(low - pad)),
      max: Math.ceil(high + pad),
      title: { display: true, text: data.indicator.unit_label || Q.word(canvas, "unitLabel", data.indicator.unit) },
    }),
  };
  options.layout = { padding: { right: Q.lineLabelPadding(datasets.map((dataset) => dataset.endLabel)) } };
  new Chart(canvas, { type: "scatter", data: { datasets }, options, plugins: [Q.pointLabels, Q.lineLabels] });
  Q.printResize();
})();
