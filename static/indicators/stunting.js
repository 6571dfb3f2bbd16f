// Stunting page: prevalence by kecamatan (bars) and the monthly trend (line over bars of
// children measured). Months or kecamatan with few children measured get no rate.
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  if (!data || typeof Chart === "undefined") return;
  const p = Q.palette;

  function referenceLines(length, d) {
    const lines = [];
    if (data.target !== null) {
      lines.push({
        type: "line",
        label: `${d.targetLabel} ${Q.formatNumber(data.target)}%`,
        data: Array(length).fill(data.target),
        borderColor: p.green,
        borderDash: [2, 3],
        borderWidth: 2,
        pointRadius: 0,
        yAxisID: "y",
      });
    }
    lines.push({
      type: "line",
      label: `${d.ssgiLabel} ${Q.formatNumber(data.ssgi.value)}%`,
      data: Array(length).fill(data.ssgi.value),
      borderColor: p.grey,
      borderDash: [8, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      yAxisID: "y",
    });
    return lines;
  }

  const percentAxis = Q.numberAxis({ beginAtZero: true, suggestedMax: 30, title: { display: true, text: "%" } });
  // values in the page language (12,5 / 12.5) in every tooltip line
  const valueLabel = (context) => `${context.dataset.label}: ${Q.formatNumber(context.parsed.y)}`;

  const barCanvas = document.getElementById("chart-subdistricts");
  if (barCanvas) {
    const d = barCanvas.dataset;
    const rows = data.subdistricts;
    const options = Q.baseOptions();
    options.interaction = { mode: "index", intersect: false };
    options.plugins.tooltip = {
      callbacks: {
        label: valueLabel,
        afterBody(items) {
          const row = rows[items[0].dataIndex];
          const counts = `${Q.formatCount(row.numerator)} / ${Q.formatCount(row.denominator)}`;
          if (row.value === null) return `${counts} (${d.lowLabel})`;
          if (!row.interval) return counts;
          // data-interval-label: "95% Wilson interval" in the page language
          const interval = `${Q.formatNumber(row.interval[0])}–${Q.formatNumber(row.interval[1])}%`;
          return `${counts}; ${Q.word(barCanvas, "intervalLabel", "95%")} ${interval}`;
        },
      },
    };
    options.scales = {
      x: { ticks: { autoSkip: false, maxRotation: 60, font: { size: 10 } } },
      y: percentAxis,
    };
    new Chart(barCanvas, {
      type: "bar",
      data: {
        labels: rows.map((row) => (row.value === null ? `${row.name} *` : row.name)),
        datasets: [
          { type: "bar", label: d.barLabel, data: rows.map((row) => row.value), backgroundColor: p.blue, yAxisID: "y" },
          ...referenceLines(rows.length, d),
        ],
      },
      options,
    });
  }

  const trendCanvas = document.getElementById("chart-trend");
  if (trendCanvas) {
    const d = trendCanvas.dataset;
    const points = data.trend;
    const options = Q.baseOptions();
    options.interaction = { mode: "index", intersect: false };
    options.plugins.tooltip = {
      callbacks: {
        label: valueLabel,
        afterBody(items) {
          const point = points[items[0].dataIndex];
          if (point.measured === null) return "";
          const counts = `${Q.formatCount(point.numerator)} / ${Q.formatCount(point.measured)}`;
          return point.low_n ? `${counts} (${d.lowLabel})` : counts;
        },
      },
    };
    options.scales = {
      x: { ticks: { maxRotation: 60 } },
      y: Object.assign({ position: "left" }, percentAxis),
      measured: Q.numberAxis({
        position: "right",
        beginAtZero: true,
        grid: { drawOnChartArea: false },
        ticks: { precision: 0 },
        title: { display: true, text: d.measuredLabel },
      }),
    };
    new Chart(trendCanvas, {
      type: "bar",
      data: {
        labels: points.map((point) => point.label),
        datasets: [
          {
            type: "line",
            label: d.valueLabel,
            // a rate only where enough children were measured
            data: points.map((point) => (point.low_n ? null : point.value)),
            borderColor: p.vermillion,
            backgroundColor: p.vermillion,
            pointRadius: 4,
            spanGaps: true,
            tension: 0,
            yAxisID: "y",
            order: 0,
          },
          {
            type: "line",
            label: d.lowLabel,
            data: points.map((point) => (point.low_n ? point.value : null)),
            borderColor: p.vermillion,
            backgroundColor: "#ffffff",
            pointStyle: "triangle",
            pointRadius: 5,
            showLine: false,
            yAxisID: "y",
            order: 0,
          },
          ...referenceLines(points.length, d),
          {
            type: "bar",
            label: d.measuredLabel,
            data: points.map((point) => point.measured),
            backgroundColor: "rgba(86, 180, 233, 0.45)",
            yAxisID: "measured",
            order: 2,
          },
        ],
      },
      options,
    });
  }
  Q.printResize();
})();
