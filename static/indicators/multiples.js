// Per-facility page: one small run or control chart per facility (data from #chart-data),
// every chart on the same months and the same y range.
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  const grid = document.querySelector("[data-testid=multiples]");
  if (!data || !grid || typeof Chart === "undefined") return;
  const p = Q.palette;
  const white = p.white || "#ffffff";
  const unit = data.indicator.unit;

  // The server sends the shared range; work it out here if it does not.
  function sharedRange() {
    if (data.y) return data.y;
    const numbers = data.target === null ? [] : [data.target];
    data.facilities.forEach((facility) =>
      facility.points.forEach((point) =>
        ["value", "centre", "lcl", "ucl"].forEach((key) => {
          if (point[key] !== null && point[key] !== undefined) numbers.push(point[key]);
        })
      )
    );
    return { min: Math.min(0, ...numbers), max: Math.max(1, ...numbers) };
  }
  const range = sharedRange();

  function line(label, values, style) {
    return Object.assign({ label, data: values, pointRadius: 0, borderWidth: 1, stepped: "middle" }, style);
  }

  // The trend page's marks: a vermillion triangle outside the limits, an orange square in
  // a run; a month with too few reports is hollow and never flagged; a value above the
  // shared range sits on its top edge as a black diamond.
  const markColour = { outside: p.vermillion, run: p.orange, above: p.black };
  const markShape = { outside: "triangle", run: "rect", above: "rectRot" };

  function draw(canvas, facility) {
    const points = facility.points;
    const incomplete = points.map((point) => point.complete === false);
    const marks = points.map((point) => {
      if (point.value === null) return null;
      if (point.value > range.max) return "above";
      if (point.excluded === true) return null;
      if (point.special_cause) return "outside";
      return point.run_signal ? "run" : null;
    });
    const datasets = [
      {
        label: grid.dataset.valueLabel,
        data: points.map((point, i) => (marks[i] === "above" ? range.max : point.value)),
        borderColor: p.blue,
        borderWidth: 1.5,
        pointBackgroundColor: marks.map((mark, i) =>
          incomplete[i] ? white : mark ? markColour[mark] : p.blue
        ),
        pointBorderColor: marks.map((mark, i) =>
          mark === "run" ? p.black : mark ? markColour[mark] : incomplete[i] ? p.grey : p.blue
        ),
        pointBorderWidth: incomplete.map((hollow) => (hollow ? 1.5 : 1)),
        pointRadius: marks.map((mark, i) => (mark ? 4 : incomplete[i] ? 3 : 2)),
        pointStyle: marks.map((mark) => (mark ? markShape[mark] : "circle")),
        clip: 6,
        spanGaps: false,
        tension: 0,
      },
      line(facility.centre_label, points.map((point) => point.centre), { borderColor: p.black }),
    ];
    if (points.some((point) => point.ucl !== null)) {
      const dashed = { borderColor: p.grey, borderDash: [4, 3] };
      datasets.push(
        line(grid.dataset.limitsLabel, points.map((point) => point.ucl), dashed),
        line(grid.dataset.limitsLabel, points.map((point) => point.lcl), dashed)
      );
    }
    if (data.target !== null) {
      datasets.push(
        line(grid.dataset.targetLabel, points.map(() => data.target), {
          borderColor: p.green,
          borderDash: [2, 3],
          borderWidth: 1.5,
          stepped: false,
        })
      );
    }
    const options = Q.baseOptions();
    options.plugins.legend = { display: false };
    options.plugins.tooltip = {
      filter: (item) => item.datasetIndex === 0,
      callbacks: {
        label(context) {
          return `${Q.formatNumber(points[context.dataIndex].value)} ${unit}`;
        },
        afterLabel(context) {
          const point = points[context.dataIndex];
          return point.numerator === null ? "" : `${point.numerator} / ${Q.formatNumber(point.denominator)}`;
        },
      },
    };
    const ticks = { font: { size: 10 }, maxRotation: 0, autoSkip: true };
    options.scales = {
      x: { ticks: Object.assign({ maxTicksLimit: 4 }, ticks), grid: { display: false } },
      y: {
        min: range.min,
        max: range.max,
        ticks: Object.assign({ maxTicksLimit: 5, callback: (value) => Q.formatNumber(value) }, ticks),
      },
    };
    new Chart(canvas, { type: "line", data: { labels: data.labels, datasets }, options });
  }

  data.facilities.forEach((facility) => {
    const canvas = grid.querySelector(`canvas[data-facility="${CSS.escape(facility.code)}"]`);
    if (canvas) draw(canvas, facility);
  });
  Q.printResize();
})();
