// Trend page: run or control chart of one indicator (data from #chart-data, words from
// the canvas's data-* attributes).
//
// Points: a month with too few reports (point.complete false) is hollow (white, grey
// border) and, unless the user included incomplete months, left out of the centre line,
// limits and signals (point.excluded): drawn, never flagged. A point a signal covers is
// marked by shape and colour: a vermillion triangle outside the limits, an orange square
// in a run, shift or trend; the rule's words are in the tooltip.
(function () {
  "use strict";
  const Q = window.QiCharts;
  const data = Q.readData("chart-data");
  const canvas = document.getElementById("trend-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const p = Q.palette;
  const d = canvas.dataset;
  const points = data.points;
  const OUTSIDE = "outside_limits";
  // Too few crossings describes the whole series (said beside the chart), not particular
  // months: it marks no point and is not repeated in every tooltip and table row.
  const WHOLE_SERIES = "few_crossings";

  // Fields added with report completeness: when missing, every point counts (old behaviour).
  const incomplete = (point) => point.complete === false;
  const excluded = (point) => point.excluded === true;

  // The signals that cover a point: point.signals from the server, else the series'
  // signals whose months include it (and the old special-cause flag).
  function signalsOf(point) {
    if (Array.isArray(point.signals)) return point.signals;
    const covering = (data.signals || [])
      .filter((s) => s.start <= point.period && point.period <= s.end)
      .filter((s) => s.rule !== OUTSIDE || point.special_cause)
      .map((s) => ({ rule: s.rule, text: s.text }));
    if (point.special_cause && !covering.some((s) => s.rule === OUTSIDE)) {
      covering.push({ rule: OUTSIDE, text: Q.word(canvas, "outsideLabel", "") });
    }
    if (!covering.length && point.run_signal) covering.push({ rule: "run", text: Q.word(canvas, "runLabel", "") });
    return covering;
  }

  // "outside", "run" or null: excluded months and months without a value are never flagged.
  const marks = points.map((point) => {
    if (point.value === null || excluded(point)) return null;
    const signals = signalsOf(point).filter((s) => s.rule !== WHOLE_SERIES);
    if (!signals.length) return null;
    return signals.some((s) => s.rule === OUTSIDE) ? "outside" : "run";
  });
  const markColour = { outside: p.vermillion, run: p.orange };
  const markShape = { outside: "triangle", run: "rect" };
  const markGlyph = { outside: "▲", run: "■" };

  const labels = points.map((point) => point.label);
  const values = points.map((point) => point.value);
  const radius = points.map((point, i) => (marks[i] ? 6 : incomplete(point) ? 4.5 : 3));
  const datasets = [
    {
      label: d.valueLabel,
      data: values,
      borderColor: p.blue,
      backgroundColor: p.blue,
      pointBackgroundColor: points.map((point, i) =>
        incomplete(point) ? p.white : marks[i] ? markColour[marks[i]] : p.blue
      ),
      pointBorderColor: points.map((point, i) =>
        marks[i] ? (marks[i] === "run" ? p.black : markColour[marks[i]]) : incomplete(point) ? p.grey : p.blue
      ),
      pointBorderWidth: points.map((point) => (incomplete(point) ? 2 : 1)),
      pointRadius: radius,
      pointHoverRadius: radius.map((r) => r + 2),
      pointStyle: marks.map((mark) => (mark ? markShape[mark] : "circle")),
      // the line into and out of an incomplete month is dashed: that figure may still change
      segment: {
        borderDash: (ctx) =>
          incomplete(points[ctx.p0DataIndex]) || incomplete(points[ctx.p1DataIndex]) ? [4, 3] : undefined,
        borderColor: (ctx) =>
          incomplete(points[ctx.p0DataIndex]) || incomplete(points[ctx.p1DataIndex]) ? p.grey : undefined,
      },
      spanGaps: false,
      tension: 0,
      order: 0,
    },
  ];

  const lastOf = (list) => {
    for (let i = list.length - 1; i >= 0; i -= 1) if (list[i] !== null && list[i] !== undefined) return list[i];
    return null;
  };
  const wide = (canvas.parentNode ? canvas.parentNode.clientWidth : canvas.clientWidth) >= 520;
  const endLabel = (name, value) => (wide && value !== null ? `${name} ${Q.formatNumber(value)}` : name);

  // Centre line: solid, black, 2 px. Target: long dashes, green, 3 px. Limits: short grey dashes.
  const centres = points.map((point) => point.centre);
  // no line from the last month of a phase to the first of the next one
  const phaseBreak = {
    borderColor: (ctx) =>
      (points[ctx.p0DataIndex].phase || 0) !== (points[ctx.p1DataIndex].phase || 0) ? "rgba(0,0,0,0)" : undefined,
  };
  datasets.push({
    label: data.centre_label,
    data: centres,
    borderColor: p.black,
    borderWidth: 2,
    pointRadius: 0,
    pointHoverRadius: 0,
    stepped: "middle",
    segment: phaseBreak,
    endLabel: endLabel(data.centre_label, lastOf(centres)),
    order: 2,
  });
  if (points.some((point) => point.ucl !== null)) {
    datasets.push(
      {
        label: d.limitsLabel,
        tooltipLabel: Q.word(canvas, "upperLabel", d.limitsLabel),
        data: points.map((point) => point.ucl),
        borderColor: p.grey,
        borderDash: [2, 3],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHoverRadius: 0,
        stepped: "middle",
        segment: phaseBreak,
        order: 3,
      },
      {
        label: d.limitsLabel,
        tooltipLabel: Q.word(canvas, "lowerLabel", d.limitsLabel),
        data: points.map((point) => point.lcl),
        hideInLegend: true,
        borderColor: p.grey,
        borderDash: [2, 3],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHoverRadius: 0,
        stepped: "middle",
        segment: phaseBreak,
        order: 3,
      }
    );
  }
  if (data.target !== null && data.target !== undefined) {
    datasets.push({
      label: d.targetLabel,
      data: values.map(() => data.target),
      borderColor: p.green,
      borderDash: [10, 5],
      borderWidth: 3,
      pointRadius: 0,
      pointHoverRadius: 0,
      endLabel: endLabel(d.targetLabel, data.target),
      order: 1,
    });
  }

  // ------------------------------------------------------------------ tooltip

  // "0 of 19" (and the denominator's name when the server sends it: "0 of 19 live births")
  function smallCounts(point) {
    const counts = Q.fill(d.countsLabel || "%(n)s / %(m)s", {
      n: Q.formatCount(point.numerator),
      m: Q.formatCount(point.denominator),
    });
    return data.indicator.denominator_name ? `${counts} ${data.indicator.denominator_name}` : counts;
  }
  function pointLines(point, index) {
    const lines = [];
    if (point.numerator !== null && point.numerator !== undefined) {
      if (point.small_number) {
        // the counts are the figure (label); the rate drawn is too unstable to read
        lines.push(`${Q.word(canvas, "smallLabel", "")} (${Q.formatNumber(point.value)})`);
      } else {
        lines.push(`${Q.formatCount(point.numerator)} / ${Q.formatCount(point.denominator)}`);
      }
    }
    if (point.reported !== null && point.reported !== undefined && point.expected !== null && point.expected !== undefined) {
      lines.push(Q.fill(d.reportedLabel, { n: Q.formatCount(point.reported), m: Q.formatCount(point.expected) }));
    }
    if (point.not_due) lines.push(Q.word(canvas, "notDueLabel", ""));
    if (incomplete(point)) {
      lines.push(excluded(point) ? Q.word(canvas, "excludedLabel", "") : Q.word(canvas, "includedLabel", ""));
    }
    if (point.value !== null && !excluded(point)) {
      signalsOf(point)
        .filter((signal) => signal.rule !== WHOLE_SERIES && signal.text)
        .forEach((signal) => lines.push(`${markGlyph[signal.rule === OUTSIDE ? "outside" : "run"]} ${signal.text}`));
    }
    return lines.filter(Boolean);
  }

  const periods = points.map((point) => point.period);
  // One colour per kind of annotation (Okabe–Ito, as the rest of the chart).
  const kindColour = { pdsa: p.purple, session: p.sky, visit: p.green, action: p.grey };
  const lines = (data.annotations || [])
    .map((note) => ({
      index: periods.indexOf(note.date.slice(0, 7)),
      label: note.label,
      url: note.url,
      colour: kindColour[note.kind],
    }))
    .filter((line) => line.index >= 0);
  // A phase split (qicharts2 part / NHSRplotthedots rebase): a solid line at the first
  // month of the new phase; the centre line and limits break there.
  (data.phases || []).forEach((phase) => {
    const index = periods.indexOf(phase.start);
    if (index >= 0) lines.unshift({ index, label: phase.reason, colour: p.black, dash: [] }); // labelled first
  });
  const options = Q.baseOptions();
  options.interaction = { mode: "index", intersect: false };
  options.plugins.qiVerticalLines = { lines };
  // Clicking a marker opens its PDSA cycle, session, visit or action; hovering names it.
  options.onClick = (event, _elements, chartObject) => {
    const line = Q.lineAt(chartObject, event.x);
    if (line && line.url) window.location.assign(line.url);
  };
  options.onHover = (event, _elements, chartObject) => {
    const line = Q.lineAt(chartObject, event.x);
    const target = event.native ? event.native.target : canvas;
    target.style.cursor = line && line.url ? "pointer" : "default";
    target.title = line ? `${line.label}${line.url ? ` — ${Q.word(canvas, "openLabel", "")}` : ""}` : "";
  };
  options.plugins.legend.labels.filter = (item, chartData) =>
    !chartData.datasets[item.datasetIndex].hideInLegend;
  options.plugins.tooltip = {
    itemSort: (a, b) => a.datasetIndex - b.datasetIndex,
    callbacks: {
      label(context) {
        const dataset = context.dataset;
        const point = points[context.dataIndex];
        if (context.datasetIndex === 0 && point.small_number && point.numerator !== null) {
          return `${dataset.label}: ${smallCounts(point)}`;
        }
        return `${dataset.tooltipLabel || dataset.label}: ${Q.formatNumber(context.parsed.y)}`;
      },
      afterLabel(context) {
        if (context.datasetIndex !== 0) return "";
        return Q.wrapLines(pointLines(points[context.dataIndex], context.dataIndex), context.chart);
      },
    },
  };
  const unit = data.indicator.unit_label || Q.word(canvas, "unitLabel", data.indicator.unit);
  options.scales = {
    x: { ticks: { maxRotation: 60 } },
    y: Q.numberAxis({ beginAtZero: true, title: { display: true, text: unit } }),
  };
  const ends = datasets.map((dataset) => dataset.endLabel).filter(Boolean);
  options.layout = { padding: { right: Q.lineLabelPadding(ends) } };
  const chart = new Chart(canvas, {
    type: "line",
    data: { labels, datasets },
    options,
    plugins: [Q.verticalLines, Q.lineLabels],
  });
  chart.$qiMarks = marks; // for tests: which points are flagged, and how
  Q.printResize();
})();
