/* Listening charts with uPlot: drag to zoom, double-click to reset, click a legend entry to hide a series. */
(function () {
  const palette = ["#e65100", "#1565c0", "#6a1b9a", "#2e7d32", "#00838f", "#ad1457", "#5d4037", "#455a64"];
  const sentimentColours = { positive: "#2e7d32", neutral: "#90a4ae", negative: "#c62828" };

  function width(el) { return Math.max(320, el.clientWidth || el.parentElement.clientWidth || 800); }

  function build(el) {
    const source = document.getElementById(el.dataset.source);
    if (!source || el.dataset.drawn) return;
    const data = JSON.parse(source.textContent);
    let series = [{}], columns = [data.epochs];
    if (el.dataset.chart === "volume") {
      data.queries.forEach(function (q, i) {
        series.push({ label: q.name, stroke: palette[i % palette.length], width: 2 });
        columns.push(q.total);
      });
    } else {
      ["negative", "neutral", "positive"].forEach(function (s) {
        series.push({ label: data.labels[s], stroke: sentimentColours[s], fill: sentimentColours[s] + "33", width: 2 });
        columns.push(data.sentiment[s]);
      });
    }
    const opts = {
      width: width(el), height: 260, series: series,
      scales: { x: { time: true } }, cursor: { drag: { x: true, y: false } },
      axes: [{}, { size: 50 }],
    };
    if (el.dataset.chart === "crisis" && data.detected) {
      opts.hooks = { draw: [function (u) {
        const ctx = u.ctx, x = u.valToPos(data.detected, "x", true), x0 = u.valToPos(data.onset, "x", true);
        ctx.save(); ctx.fillStyle = "rgba(198,40,40,0.08)"; ctx.fillRect(x0, u.bbox.top, Math.max(2, x - x0), u.bbox.height);
        ctx.strokeStyle = "#c62828"; ctx.setLineDash([5, 4]); ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); ctx.restore();
      }] };
    }
    el.dataset.drawn = "1";
    const plot = new uPlot(opts, columns, el);
    window.addEventListener("resize", function () { plot.setSize({ width: width(el), height: 260 }); });
  }

  function render() { if (window.uPlot) document.querySelectorAll("[data-chart]").forEach(build); }
  window.hearthCharts = { render: render };
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
})();
