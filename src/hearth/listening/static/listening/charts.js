/* Listening charts with uPlot: drag to zoom, double-click to reset, click a legend entry to hide a series.
   One colour-blind-safe palette (Okabe–Ito) for every chart: sentiment has its own three colours,
   queries keep the same colour on every page (the server gives each its index), the legend keeps
   the server's order, and times and dates follow the page's language. */
(function () {
  const palette = ["#0072b2", "#e69f00", "#56b4e9", "#cc79a7", "#000000", "#f0e442"];
  const sentimentColours = { positive: "#009e73", neutral: "#9ea7ad", negative: "#d55e00" };
  const lang = document.documentElement.lang || "en";
  const timeFmt = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
  const dateFmt = new Intl.DateTimeFormat(lang, { day: "2-digit", month: "2-digit", year: "numeric" });
  const fullFmt = new Intl.DateTimeFormat(lang, { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
  const numberFmt = new Intl.NumberFormat(lang);

  function width(el) { return Math.max(240, el.clientWidth || el.parentElement.clientWidth || 800); }

  function seriesColour(index) { return palette[index % palette.length]; }

  function axisValues(u, splits, axisIdx, space, incr) {
    return splits.map(function (s) {
      const d = new Date(s * 1000);
      if (incr >= 86400) return dateFmt.format(d);
      return (d.getHours() === 0 && d.getMinutes() === 0) ? dateFmt.format(d) : timeFmt.format(d);
    });
  }

  function build(el) {
    const source = document.getElementById(el.dataset.source);
    if (!source || el.dataset.drawn) return;
    const data = JSON.parse(source.textContent);
    let series = [{ label: (data.labels && data.labels.time) || "Time", value: function (u, v) { return v == null ? "" : fullFmt.format(new Date(v * 1000)); } }];
    let columns = [data.epochs];
    const count = function (u, v) { return v == null ? "" : numberFmt.format(v); };
    if (el.dataset.chart === "volume") {
      data.queries.forEach(function (q, i) {
        const index = q.colour === undefined ? i : q.colour;
        // Past the palette, a dash pattern keeps two queries apart.
        series.push({ label: q.name, stroke: seriesColour(index), width: 2, value: count,
                      dash: index >= palette.length ? [6, 3] : undefined });
        columns.push(q.total);
      });
    } else {
      ["negative", "neutral", "positive"].forEach(function (s) {
        series.push({ label: data.labels[s], stroke: sentimentColours[s], fill: sentimentColours[s] + "33", width: 2, value: count });
        columns.push(data.sentiment[s]);
      });
    }
    const opts = {
      width: width(el), height: 260, series: series,
      scales: { x: { time: true } }, cursor: { drag: { x: true, y: false } },
      // Wide enough apart for a full date (30/11/2026) between two ticks.
      axes: [{ values: axisValues, space: 90 }, { size: 50, values: function (u, splits) { return splits.map(function (v) { return numberFmt.format(v); }); } }],
    };
    if (el.dataset.chart === "crisis" && data.detected) {
      opts.hooks = { draw: [function (u) {
        const ctx = u.ctx, x = u.valToPos(data.detected, "x", true), x0 = u.valToPos(data.onset, "x", true);
        ctx.save(); ctx.fillStyle = "rgba(0,0,0,0.06)"; ctx.fillRect(x0, u.bbox.top, Math.max(2, x - x0), u.bbox.height);
        ctx.strokeStyle = "#000000"; ctx.setLineDash([5, 4]); ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); ctx.restore();
      }] };
    }
    el.dataset.drawn = "1";
    const plot = new uPlot(opts, columns, el);
    window.addEventListener("resize", function () { plot.setSize({ width: width(el), height: 260 }); });
  }

  function render() { if (window.uPlot) document.querySelectorAll("[data-chart]").forEach(build); }
  window.hearthCharts = { render: render, palette: palette, sentimentColours: sentimentColours };
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
})();
