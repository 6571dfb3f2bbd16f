// Shared chart helpers for the dashboards (Chart.js 4 from static/vendor).
// Okabe–Ito colour-blind safe palette; data comes from json_script, never inline code.
// Words come translated from data-* attributes of the page (no gettext in these scripts);
// numbers follow the page language (<html lang>): Indonesian 20.000 and 12,5, English
// 20,000 and 12.5.
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
    white: "#ffffff",
  };

  function readData(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // ------------------------------------------------------------------ numbers

  function language() {
    return document.documentElement.lang || "id";
  }

  const formats = new Map();
  function numberFormat(digits, minimumDigits) {
    const key = `${digits}:${minimumDigits || 0}`;
    if (!formats.has(key)) {
      let format;
      try {
        format = new Intl.NumberFormat(language(), {
          minimumFractionDigits: minimumDigits || 0,
          maximumFractionDigits: digits,
        });
      } catch (_error) {
        format = new Intl.NumberFormat("id", { maximumFractionDigits: digits });
      }
      formats.set(key, format);
    }
    return formats.get(key);
  }

  // A number in the page language with at most `digits` decimals (1 unless told).
  function formatNumber(value, digits, minimumDigits) {
    if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) return "–";
    return numberFormat(digits === undefined ? 1 : digits, minimumDigits).format(Number(value));
  }

  // A count of people or reports: whole numbers (denominators from catchment targets such
  // as 12.67 pregnant women a month are rounded to whole people).
  function formatCount(value) {
    return formatNumber(value, 0);
  }

  // Decimals a tick needs: those of the step between ticks (0.25 → 2, 5 → 0).
  function stepDigits(step) {
    if (!step || !Number.isFinite(step)) return 0;
    for (let digits = 0; digits < 4; digits += 1) {
      const scaled = Math.abs(step) * 10 ** digits;
      if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return digits;
    }
    return 4;
  }

  // Chart.js ticks.callback for a numeric axis, in the page language.
  function tick(value, index, ticks) {
    const step = ticks && ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) : 0;
    return formatNumber(value, stepDigits(step));
  }

  // A numeric axis (options.scales.x or .y) whose ticks follow the page language.
  function numberAxis(axis) {
    const result = Object.assign({}, axis || {});
    result.ticks = Object.assign({}, result.ticks || {}, { callback: tick });
    return result;
  }

  // ------------------------------------------------------------------ words

  // Fill "%(n)s of %(m)s" style templates from gettext (python-format) with values.
  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, (match, key) =>
      Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match
    );
  }

  // A translated word from a data-* attribute, with a fallback when the page lacks it.
  function word(element, key, fallback) {
    const value = element && element.dataset ? element.dataset[key] : undefined;
    return value === undefined || value === "" ? fallback || "" : value;
  }

  // Tooltip lines broken at spaces so that they fit the chart (Chart.js never wraps them;
  // a long sentence would run off a phone's screen).
  function wrapLines(lines, chart) {
    const width = chart && chart.width ? chart.width : 600;
    const most = Math.max(24, Math.floor((width - 40) / 7));
    const out = [];
    (Array.isArray(lines) ? lines : [lines]).forEach((line) => {
      let rest = String(line);
      while (rest.length > most) {
        let cut = rest.lastIndexOf(" ", most);
        if (cut <= 0) cut = most;
        out.push(rest.slice(0, cut));
        rest = `  ${rest.slice(cut).trim()}`;
      }
      if (rest.trim()) out.push(rest);
    });
    return out;
  }

  // ------------------------------------------------------------------ plugins

  // Vertical lines with a label at given x indices (annotations: PDSA cycles, sessions).
  // A line may carry its own colour and a url; lines at the same month stack their labels.
  // The drawn positions are kept on chart.$qiLines so that a page can open a line's url
  // when it is clicked (see lineAt).
  const MAX_LABEL_ROWS = 3;
  const verticalLines = {
    id: "qiVerticalLines",
    afterDatasetsDraw(chart, _args, options) {
      const lines = (options && options.lines) || [];
      chart.$qiLines = [];
      if (!lines.length) return;
      const { ctx, chartArea, scales } = chart;
      const rows = []; // the right edge of the last label on each row of labels
      ctx.save();
      ctx.setLineDash([4, 3]);
      ctx.font = "11px sans-serif";
      lines.forEach((line) => {
        const x = scales.x.getPixelForValue(line.index);
        ctx.strokeStyle = line.colour || palette.purple;
        ctx.fillStyle = line.colour || palette.purple;
        ctx.setLineDash(line.dash || [4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        const text = line.label.length > 28 ? `${line.label.slice(0, 27)}…` : line.label;
        const width = ctx.measureText(text).width;
        // near the right edge the label goes left of its line; labels never overlap:
        // each takes the first row where it fits
        const left = Math.max(
          chartArea.left,
          x + 3 + width > chartArea.right ? x - 3 - width : x + 3
        );
        let row = rows.findIndex((right) => right < left - 4);
        if (row < 0) row = rows.length;
        // at most MAX_LABEL_ROWS rows of labels: a crowded month keeps its line (named on
        // hover and in the list beside the chart) without piling labels over the data
        // a phone-wide chart has no room for labels: lines only (named on hover and in
        // the list beside the chart)
        if (row < MAX_LABEL_ROWS && chart.width >= 480) {
          rows[row] = left + width;
          ctx.fillText(text, left, chartArea.top + 10 + 12 * row);
        }
        chart.$qiLines.push({ x, label: line.label, url: line.url || "" });
      });
      ctx.restore();
    },
  };

  // The annotation line within a few pixels of x (a click or hover), if any.
  function lineAt(chart, x) {
    return (chart.$qiLines || []).find((line) => Math.abs(line.x - x) <= 6) || null;
  }

  // Text labels beside chosen points: options.labels = [{datasetIndex, index, text}], with
  // optional colour, bold and dx/dy (offset from the point; default 6 right, 6 up).
  const pointLabels = {
    id: "qiPointLabels",
    afterDatasetsDraw(chart, _args, options) {
      const labels = (options && options.labels) || [];
      if (!labels.length) return;
      const { ctx } = chart;
      ctx.save();
      labels.forEach((label) => {
        const element = chart.getDatasetMeta(label.datasetIndex).data[label.index];
        if (!element) return;
        ctx.font = label.bold ? "bold 13px sans-serif" : "11px sans-serif";
        ctx.fillStyle = label.colour || palette.black;
        const dx = label.dx === undefined ? 6 : label.dx;
        const dy = label.dy === undefined ? -6 : label.dy;
        ctx.fillText(label.text, element.x + dx, element.y + dy);
      });
      ctx.restore();
    },
  };

  // A text label at the right end of chosen lines (dataset.endLabel), so that lines which
  // nearly coincide (centre line and target) are told apart by words, not colour alone.
  // Labels are drawn right of the plot area (reserve room with lineLabelPadding) and
  // pushed apart when they would overlap, with a thin leader to their line.
  const LABEL_FONT = "bold 11px sans-serif";
  const LABEL_GAP = 13;
  const lineLabels = {
    id: "qiLineLabels",
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const labels = [];
      chart.data.datasets.forEach((dataset, i) => {
        if (!dataset.endLabel || !chart.isDatasetVisible(i)) return;
        const elements = chart.getDatasetMeta(i).data;
        for (let j = elements.length - 1; j >= 0; j -= 1) {
          const element = elements[j];
          if (element && !element.skip && Number.isFinite(element.y)) {
            labels.push({ text: dataset.endLabel, colour: dataset.borderColor, lineY: element.y, y: element.y });
            break;
          }
        }
      });
      if (!labels.length) return;
      labels.sort((a, b) => a.lineY - b.lineY);
      const top = chartArea.top + 5;
      const bottom = chartArea.bottom - 5;
      // push down from the top, then up from the bottom
      labels.forEach((label, k) => {
        label.y = Math.max(label.y, top, k ? labels[k - 1].y + LABEL_GAP : top);
      });
      for (let k = labels.length - 1; k >= 0; k -= 1) {
        const limit = k === labels.length - 1 ? bottom : labels[k + 1].y - LABEL_GAP;
        labels[k].y = Math.min(labels[k].y, limit);
      }
      ctx.save();
      ctx.font = LABEL_FONT;
      ctx.textBaseline = "middle";
      ctx.lineWidth = 1;
      labels.forEach((label) => {
        const x = chartArea.right + 4;
        if (Math.abs(label.y - label.lineY) > 2) {
          ctx.strokeStyle = label.colour;
          ctx.setLineDash([]);
          ctx.beginPath();
          ctx.moveTo(chartArea.right, label.lineY);
          ctx.lineTo(x + 1, label.y);
          ctx.stroke();
        }
        ctx.fillStyle = label.colour;
        ctx.fillText(label.text, x + 3, label.y);
      });
      ctx.restore();
      chart.$qiLineLabels = labels.map((label) => ({ text: label.text, y: label.y, lineY: label.lineY }));
    },
  };

  // Room to the right of the plot for the end labels of these texts.
  function lineLabelPadding(texts) {
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d");
    if (!ctx) return 80;
    ctx.font = LABEL_FONT;
    const widest = Math.max(0, ...texts.filter(Boolean).map((text) => ctx.measureText(text).width));
    return widest ? Math.ceil(widest) + 10 : 0;
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: language(),
      interaction: { mode: "nearest", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    };
  }

  // Print: Chart.js does not redraw when the print layout (A4 landscape, dashboards.css)
  // changes the size of a chart's box, so a canvas would keep its screen size: a narrow
  // phone chart, or a wide one cut at the page edge. Redraw every chart to its box once the
  // print layout applies (the "print" media query, which Chromium also switches for
  // printToPDF) and again on beforeprint/afterprint for browsers that lay out before them.
  function printResize() {
    if (printResize.installed) return;
    printResize.installed = true;
    const resizeAll = () => {
      Object.values(Chart.instances || {}).forEach((chart) => chart.resize());
    };
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
    const print = window.matchMedia ? window.matchMedia("print") : null;
    if (print && print.addEventListener) print.addEventListener("change", resizeAll);
  }

  window.QiCharts = {
    palette,
    readData,
    language,
    formatNumber,
    formatCount,
    tick,
    numberAxis,
    fill,
    word,
    wrapLines,
    verticalLines,
    lineAt,
    pointLabels,
    lineLabels,
    lineLabelPadding,
    baseOptions,
    printResize,
  };
})();
