// Deaths & referrals page: deaths by cause (stacked bars by month) and the referral flow.
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  if (!data || typeof Chart === "undefined") return;
  const p = Q.palette;
  // One colour per cause, in catalogue order (Okabe–Ito; no yellow, too pale on white).
  const causeColours = {
    maternal: [p.vermillion, p.orange, p.blue, p.grey],
    neonatal: [p.blue, p.orange, p.sky, p.purple, p.grey],
  };

  function countAxis(label) {
    return Q.numberAxis({ beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: label } });
  }

  // counts in the page language (1.250 / 1,250) in every tooltip line
  const countLabel = (context) => `${context.dataset.label}: ${Q.formatCount(context.parsed.y)}`;

  document.querySelectorAll("canvas.cause-chart").forEach((canvas) => {
    const series = data[canvas.dataset.series];
    const colours = causeColours[canvas.dataset.series];
    const datasets = series.causes.map((cause, i) => ({
      label: cause.name,
      data: cause.values,
      backgroundColor: colours[i % colours.length],
      borderColor: "#ffffff",
      borderWidth: 1,
      stack: "deaths",
    }));
    const options = Q.baseOptions();
    options.interaction = { mode: "index", intersect: false };
    options.plugins.tooltip = { callbacks: { label: countLabel } };
    options.scales = {
      x: { stacked: true, ticks: { maxRotation: 60, autoSkip: true } },
      y: Object.assign(countAxis(canvas.dataset.yLabel), { stacked: true }),
    };
    new Chart(canvas, { type: "bar", data: { labels: series.labels, datasets }, options });
  });

  const flowCanvas = document.getElementById("chart-flow");
  if (flowCanvas) {
    const d = flowCanvas.dataset;
    const options = Q.baseOptions();
    options.interaction = { mode: "index", intersect: false };
    options.plugins.tooltip = { callbacks: { label: countLabel } };
    options.scales = { x: { ticks: { maxRotation: 60 } }, y: countAxis(d.yLabel) };
    new Chart(flowCanvas, {
      type: "bar",
      data: {
        labels: data.flow.labels,
        datasets: [
          { label: d.sentLabel, data: data.flow.sent, backgroundColor: p.blue },
          { label: d.receivedLabel, data: data.flow.received, backgroundColor: p.orange },
          {
            type: "line",
            label: d.feedbackLabel,
            data: data.flow.feedback,
            borderColor: p.black,
            backgroundColor: p.black,
            borderDash: [4, 3],
            pointStyle: "rectRot",
            pointRadius: 4,
            tension: 0,
          },
        ],
      },
      options,
    });
  }
  Q.printResize();
})();
