// Trend page: run or control chart of one indicator (data from #chart-data).
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  const canvas = document.getElementById("trend-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const p = Q.palette;
  const labels = data.points.map((point) => point.label);
  const values = data.points.map((point) => point.value);
  const signal = data.points.map((point) => point.special_cause || point.run_signal);
  const datasets = [
    {
      label: canvas.dataset.valueLabel,
      data: values,
      borderColor: p.blue,
      backgroundColor: p.blue,
      pointBackgroundColor: signal.map((s) => (s ? p.vermillion : p.blue)),
      pointBorderColor: signal.map((s) => (s ? p.vermillion : p.blue)),
      pointRadius: signal.map((s) => (s ? 5 : 3)),
      pointStyle: data.points.map((point) => (point.special_cause ? "rectRot" : "circle")),
      spanGaps: false,
      tension: 0,
    },
    {
      label: data.centre_label,
      data: data.points.map((point) => point.centre),
      borderColor: p.black,
      borderWidth: 1.5,
      pointRadius: 0,
      stepped: "middle",
    },
  ];
  if (data.points.some((point) => point.ucl !== null)) {
    datasets.push(
      {
        label: canvas.dataset.limitsLabel,
        data: data.points.map((point) => point.ucl),
        borderColor: p.grey,
        borderDash: [6, 4],
        borderWidth: 1,
        pointRadius: 0,
        stepped: "middle",
      },
      {
        label: canvas.dataset.limitsLabel,
        data: data.points.map((point) => point.lcl),
        hideInLegend: true,
        borderColor: p.grey,
        borderDash: [6, 4],
        borderWidth: 1,
        pointRadius: 0,
        stepped: "middle",
      }
    );
  }
  if (data.target !== null) {
    datasets.push({
      label: canvas.dataset.targetLabel,
      data: values.map(() => data.target),
      borderColor: p.green,
      borderDash: [2, 3],
      borderWidth: 2,
      pointRadius: 0,
    });
  }
  const periods = data.points.map((point) => point.period);
  const lines = data.annotations
    .map((note) => ({ index: periods.indexOf(note.date.slice(0, 7)), label: note.label }))
    .filter((line) => line.index >= 0);
  const options = Q.baseOptions();
  options.plugins.qiVerticalLines = { lines };
  options.plugins.legend.labels.filter = (item, chartData) =>
    !chartData.datasets[item.datasetIndex].hideInLegend;
  options.plugins.tooltip = {
    callbacks: {
      afterLabel(context) {
        if (context.datasetIndex !== 0) return "";
        const point = data.points[context.dataIndex];
        return point.numerator === null ? "" : `${point.numerator} / ${Q.formatNumber(point.denominator)}`;
      },
    },
  };
  options.scales = { y: { beginAtZero: true, title: { display: true, text: data.indicator.unit } } };
  new Chart(canvas, { type: "line", data: { labels, datasets }, options, plugins: [Q.verticalLines] });
  Q.printResize();
})();
