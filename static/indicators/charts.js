// Shared chart helpers for the dashboards (Chart.js 4 from static/vendor).
// Okabe–Ito colour-blind safe palette; data comes from json_script, never inline code.
(function () {
  "use strict";
  const palette = {
    black: "#000000",
    orange: "#E69F00",
    sky: "#56B4E9",
    green: "#009E73",
    yellow: "#F0E442",
    blue: "#0072B2",
    vermillion: "#D55E00",
    purple: "#CC79A7",
    grey: "#777777",
  };

  function readData(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function formatNumber(value, digits) {
    if (value === null || value === undefined) return "–";
    const lang = document.documentElement.lang || "id";
    return Number(value).toLocaleString(lang, { maximumFractionDigits: digits === undefined ? 1 : digits });
  }

  // Vertical lines with a label at given x indices (annotations: PDSA cycles, sessions).
  const verticalLines = {
    id: "qiVerticalLines",
    afterDatasetsDraw(chart, _args, options) {
      const lines = (options && options.lines) || [];
      if (!lines.length) return;
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.strokeStyle = palette.purple;
      ctx.fillStyle = palette.purple;
      ctx.setLineDash([4, 3]);
      ctx.font = "11px sans-serif";
      lines.forEach((line) => {
        const x = scales.x.getPixelForValue(line.index);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.fillText(line.label, x + 3, chartArea.top + 10);
      });
      ctx.restore();
    },
  };

  // Text labels beside chosen points: options.labels = [{datasetIndex, index, text}].
  const pointLabels = {
    id: "qiPointLabels",
    afterDatasetsDraw(chart, _args, options) {
      const labels = (options && options.labels) || [];
      if (!labels.length) return;
      const { ctx } = chart;
      ctx.save();
      ctx.font = "11px sans-serif";
      ctx.fillStyle = palette.black;
      labels.forEach((label) => {
        const element = chart.getDatasetMeta(label.datasetIndex).data[label.index];
        if (element) ctx.fillText(label.text, element.x + 6, element.y - 6);
      });
      ctx.restore();
    },
  };

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "nearest", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    };
  }

  function printResize() {
    window.addEventListener("beforeprint", () => {
      Object.values(Chart.instances || {}).forEach((chart) => chart.resize());
    });
  }

  window.QiCharts = { palette, readData, formatNumber, verticalLines, pointLabels, baseOptions, printResize };
})();
