// Song page: poll while the song is analysed, then draw its energy curve with a mark on every phrase's "1".
(function () {
  "use strict";
  const card = document.getElementById("song");
  if (!card) return;
  if (card.dataset.status === "queued" || card.dataset.status === "running") {
    setTimeout(function poll() {
      fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then((response) => response.json())
        .then((data) => {
          if (data.status === "ready" || data.status === "failed") { location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(() => setTimeout(poll, 3000));
    }, 1000);
  }
  const canvas = document.getElementById("energy-chart");
  const source = document.getElementById("chart-data");
  if (!canvas || !source) return;
  const chart = JSON.parse(source.textContent);
  if (!chart || !chart.phrases || !chart.energy) return;
  const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, d = chart.duration || 1;
  ctx.strokeStyle = "#e0c3d0";
  chart.phrases.forEach((p) => { const x = p.start_s / d * w; ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); });
  // A break (extra beats between phrases): the count starts again on the next "1".
  ctx.strokeStyle = "#6a1b9a"; ctx.lineWidth = 3; ctx.setLineDash([4, 4]);
  (chart.breaks || []).forEach((t) => { const x = t / d * w; ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); });
  ctx.setLineDash([]);
  ctx.strokeStyle = "#c2185b"; ctx.lineWidth = 2; ctx.beginPath();
  chart.energy.forEach((pt, i) => { const x = pt[0] / d * w, y = h - 4 - pt[1] * (h - 8); if (i) { ctx.lineTo(x, y); } else { ctx.moveTo(x, y); } });
  ctx.stroke();
})();
