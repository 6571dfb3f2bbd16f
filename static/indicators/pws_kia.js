// PWS-KIA page: one bar chart per coverage indicator, bars coloured by status.
// Status words come from the page's status badges (_pws_badge.html, translated), numbers
// follow the page language.
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  if (!data || typeof Chart === "undefined") return;
  const p = Q.palette;
  const colours = { baik: p.blue, kurang: p.sky, cukup: p.yellow, jelek: p.vermillion, no_data: "#e9ecef", sasaran_low: p.white };
  const borders = { sasaran_low: p.vermillion, no_data: p.grey };

  // "Baik: above target and rising" from the badge the page shows for that status
  function statusWords(status) {
    const badge = status ? document.querySelector(`[data-pws-status="${status}"]`) : null;
    if (!badge) return "";
    const name = badge.textContent.trim();
    if (status === "sasaran_low" && badge.title) return `! ${badge.title}`; // says it in full
    return badge.title && badge.title !== name ? `${name}: ${badge.title}` : name;
  }
  const flagNode = document.querySelector(".flag-sasaran[title]");

  document.querySelectorAll("canvas.pws-chart").forEach((canvas) => {
    const chart = data.charts[Number(canvas.dataset.index)];
    const over100 = chart.over_100 || chart.values.map((value) => value !== null && value > 100);
    const over100Label = Q.word(canvas, "over100Label", flagNode ? flagNode.title : "");
    const datasets = [
      {
        type: "bar",
        label: canvas.dataset.barLabel,
        data: chart.values,
        backgroundColor: chart.statuses.map((status) => colours[status] || p.grey),
        borderColor: chart.statuses.map((status, i) => (over100[i] ? p.vermillion : borders[status] || p.black)),
        borderWidth: chart.statuses.map((status, i) => (over100[i] || borders[status] ? 2 : 0.5)),
      },
    ];
    if (chart.target !== null) {
      datasets.push({
        type: "line",
        label: canvas.dataset.targetLabel,
        data: chart.values.map(() => chart.target),
        borderColor: p.green,
        borderDash: [10, 5],
        borderWidth: 3,
        pointRadius: 0,
        pointHoverRadius: 0,
      });
    }
    const options = Q.baseOptions();
    // Bars are coloured by status (legend above the charts); list only the target line.
    options.plugins.legend.labels.filter = (item) => item.datasetIndex > 0;
    options.plugins.tooltip = {
      filter: (item) => item.datasetIndex === 0,
      callbacks: {
        label(context) {
          return `${context.dataset.label}: ${Q.formatNumber(context.parsed.y)}%`;
        },
        afterLabel(context) {
          const i = context.dataIndex;
          const lines = [];
          if (chart.target !== null) lines.push(`${canvas.dataset.targetLabel}: ${Q.formatNumber(chart.target)}%`);
          const words = statusWords(chart.statuses[i]);
          if (words) lines.push(words);
          if (over100[i] && over100Label && chart.statuses[i] !== "sasaran_low") lines.push(`! ${over100Label}`);
          return Q.wrapLines(lines, context.chart);
        },
      },
    };
    options.scales = {
      x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 30, font: { size: 10 } } },
      y: Q.numberAxis({ beginAtZero: true, suggestedMax: 110, title: { display: true, text: "%" } }),
    };
    // "!" above the bars over 100 %, as in the table
    options.plugins.qiPointLabels = {
      labels: over100
        .map((flag, index) => ({ datasetIndex: 0, index, text: "!", colour: p.vermillion, bold: true, dx: -2, dy: -4, flag }))
        .filter((label) => label.flag),
    };
    new Chart(canvas, { type: "bar", data: { labels: chart.labels, datasets }, options, plugins: [Q.pointLabels] });
  });
  Q.printResize();
})();
