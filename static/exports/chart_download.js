// Chart downloads on the dashboards: every chart canvas gets "Download PNG" and, where the
// server can draw the same chart from the same page object (trend, per facility, compare),
// "Download SVG". The PNG is the canvas as drawn, on a bigger white canvas with its caption:
// title, period, data source and completeness. Words come translated from the data-*
// attributes of #chart-download (templates/exports/chart_download.html).
(function () {
  "use strict";
  const info = document.getElementById("chart-download");
  if (!info) return;
  const d = info.dataset;

  function heading(canvas) {
    const figure = canvas.closest("figure");
    if (figure) {
      const caption = figure.querySelector("figcaption, h2, h3, h4");
      if (caption) return caption.textContent.replace(/\s+/g, " ").trim();
    }
    let node = canvas.closest(".chart-box") || canvas.parentElement;
    while (node && node !== document.body) {
      for (let sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        if (/^H[1-6]$/.test(sibling.tagName)) return sibling.textContent.replace(/\s+/g, " ").trim();
      }
      node = node.parentElement;
    }
    return "";
  }

  function titleOf(canvas) {
    const own = heading(canvas);
    if (!own || d.title.indexOf(own) >= 0 || own.indexOf(d.title) >= 0) return own.length > d.title.length ? own : d.title;
    return d.title ? `${d.title} — ${own}` : own;
  }

  // Lines of at most `width` pixels in the context's font.
  function wrap(ctx, text, width) {
    const lines = [];
    let line = "";
    String(text || "").split(/\s+/).forEach((word) => {
      const next = line ? `${line} ${word}` : word;
      if (ctx.measureText(next).width > width && line) {
        lines.push(line);
        line = word;
      } else {
        line = next;
      }
    });
    if (line) lines.push(line);
    return lines;
  }

  function slug(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80) || "chart";
  }

  // The chart with its caption, as a PNG blob (callback).
  function composite(canvas, title, done) {
    const scale = Math.max(1, canvas.width / Math.max(1, canvas.clientWidth || canvas.width));
    const pad = 16 * scale;
    const width = Math.max(canvas.width + 2 * pad, 640 * scale);
    const out = document.createElement("canvas");
    const ctx = out.getContext("2d");
    const titleFont = `bold ${15 * scale}px sans-serif`;
    const textFont = `${11 * scale}px sans-serif`;
    ctx.font = titleFont;
    const titleLines = wrap(ctx, title, width - 2 * pad);
    ctx.font = textFont;
    const captionLines = []
      .concat(wrap(ctx, [d.period, d.source].filter(Boolean).join(" · "), width - 2 * pad))
      .concat(wrap(ctx, d.completeness, width - 2 * pad));
    const titleHeight = titleLines.length * 20 * scale;
    const captionHeight = captionLines.length * 15 * scale;
    out.width = width;
    out.height = pad + titleHeight + 6 * scale + canvas.height + 8 * scale + captionHeight + pad;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = "#000000";
    ctx.textBaseline = "top";
    ctx.font = titleFont;
    titleLines.forEach((line, i) => ctx.fillText(line, pad, pad + i * 20 * scale));
    const top = pad + titleHeight + 6 * scale;
    ctx.drawImage(canvas, pad, top);
    ctx.font = textFont;
    ctx.fillStyle = "#333333";
    captionLines.forEach((line, i) => ctx.fillText(line, pad, top + canvas.height + 8 * scale + i * 15 * scale));
    out.toBlob(done, "image/png");
  }

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function button(label, testid) {
    const node = document.createElement(testid === "download-svg" ? "a" : "button");
    node.className = "btn btn-sm btn-outline-secondary py-0";
    node.textContent = label;
    node.dataset.testid = testid;
    node.setAttribute("data-testid", testid);
    if (node.tagName === "BUTTON") node.type = "button";
    return node;
  }

  document.querySelectorAll("main canvas, canvas[data-testid='chart'], canvas[data-facility]").forEach((canvas) => {
    if (canvas.dataset.downloads) return;
    canvas.dataset.downloads = "1";
    const box = canvas.closest(".chart-box, .multiple-chart") || canvas;
    const group = document.createElement("div");
    group.className = "chart-downloads d-flex flex-wrap gap-1 mt-1 small d-print-none";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", d.groupLabel || "");
    const png = button(d.pngLabel, "download-png");
    png.addEventListener("click", () => {
      const title = titleOf(canvas);
      composite(canvas, title, (blob) => blob && save(blob, `${slug(title)}.png`));
    });
    group.appendChild(png);
    if (d.svgUrl && (!("perRow" in d) || canvas.dataset.facility)) {
      const svg = button(d.svgLabel, "download-svg");
      svg.href = "perRow" in d ? `${d.svgUrl}&row=${encodeURIComponent(canvas.dataset.facility)}` : d.svgUrl;
      svg.setAttribute("download", "");
      group.appendChild(svg);
    }
    box.insertAdjacentElement("afterend", group);
  });
})();
