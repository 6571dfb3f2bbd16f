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
  const datasets = [
    {
      type: "scatter",
      label: d.pointsLabel,
      data: data.points.map((point) => ({ x: point.x, y: point.y, name: point.name })),
      backgroundColor: data.points.map((point) => (outside(point.flag) ? p.vermillion : p.blue)),
      pointStyle: data.points.map((point) => (outside(point.flag) ? "rectRot" : "circle")),
      pointRadius: 5,
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
      borderWidth: 1.5,
      pointRadius: 0,
    });
  }
  if (data.target !== null) {
    datasets.push({
      type: "line",
      label: d.targetLabel,
      data: [{ x: 0, y: data.target }, { x: maxN, y: data.target }],
      borderColor: p.green,
      borderDash: [2, 3],
      borderWidth: 2,
      pointRadius: 0,
    });
  }
  // Label the facilities beyond the 99.8 % limits (those beyond 95 % are drawn as diamonds).
  const labels = data.points
    .map((point, index) => ({ datasetIndex: 0, index, text: point.name, flag: point.flag }))
    .filter((label) => label.flag === "above_998" || label.flag === "below_998");
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
  options.plugins.tooltip = {
    filter: (item) => item.datasetIndex === 0,
    callbacks: {
      label(context) {
        const point = context.raw;
        return `${point.name}: ${Q.formatNumber(point.y)} (n = ${Q.formatNumber(point.x)})`;
      },
    },
  };
  options.scales = {
    x: { type: "linear", beginAtZero: true, title: { display: true, text: d.xLabel } },
    y: {
      min: Math.max(0, Math.floor(low - pad)),
      max: Math.ceil(high + pad),
      title: { display: true, text: data.indicator.unit },
    },
  };
  new Chart(canvas, { type: "scatter", data: { datasets }, options, plugins: [Q.pointLabels] });
  Q.printResize();
})();
