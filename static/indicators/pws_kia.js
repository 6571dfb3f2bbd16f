// PWS-KIA page: one bar chart per coverage indicator, bars coloured by status.
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  if (!data || typeof Chart === "undefined") return;
  const p = Q.palette;
  const colours = { baik: p.blue, kurang: p.sky, cukup: p.yellow, jelek: p.vermillion };
  document.querySelectorAll("canvas.pws-chart").forEach((canvas) => {
    const chart = data.charts[Number(canvas.dataset.index)];
    const datasets = [
      {
        type: "bar",
        label: canvas.dataset.barLabel,
        data: chart.values,
        backgroundColor: chart.statuses.map((status) => colours[status] || p.grey),
        borderColor: p.black,
        borderWidth: 0.5,
      },
    ];
    if (chart.target !== null) {
      datasets.push({
        type: "line",
        label: canvas.dataset.targetLabel,
        data: chart.values.map(() => chart.target),
        borderColor: p.green,
        borderDash: [4, 3],
        borderWidth: 2,
        pointRadius: 0,
      });
    }
    const options = Q.baseOptions();
    // Bars are coloured by status (legend above the charts); list only the target line.
    options.plugins.legend.labels.filter = (item) => item.datasetIndex > 0;
    options.scales = {
      x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 30, font: { size: 10 } } },
      y: { beginAtZero: true, suggestedMax: 110, title: { display: true, text: "%" } },
    };
    new Chart(canvas, { type: "bar", data: { labels: chart.labels, datasets }, options });
  });
  Q.printResize();
})();
