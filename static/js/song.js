// Song page: poll while the song is analysed, then draw its energy curve with a mark on every phrase's "1"
// over bands for its sections (named in the strip above the chart, in the same colours), play the song beside
// it with a playhead that follows the music, and seek where the chart is clicked.
(function () {
  "use strict";
  const card = document.getElementById("song");
  if (!card) return;
  if (card.dataset.status === "queued" || card.dataset.status === "running") {
    setTimeout(function poll() {
      fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then((response) => response.json())
        .then((data) => {
          const stage = document.getElementById("song-stage");
          if (stage && data.stage_label) stage.textContent = data.stage_label;
          const badge = document.getElementById("song-status");
          if (badge && data.status === "running") badge.textContent = "Analysing";
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

  // The colours of the section strip's bands (site.css), so a band reads as the section named above it.
  const SECTION_COLOURS = { intro: "#e3f2fd", verse: "#e8f5e9", chorus: "#fce4ec", mambo: "#ffe0b2", break: "#ede7f6", outro: "#eceff1" };

  function drawChart() {
    ctx.clearRect(0, 0, w, h);
    (chart.sections || []).forEach((s) => {
      ctx.fillStyle = SECTION_COLOURS[s.label] || "#f5f5f5";
      ctx.fillRect(s.start_s / d * w, 0, (s.end_s - s.start_s) / d * w, h);
    });
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#e0c3d0";
    chart.phrases.forEach((p) => { const x = p.start_s / d * w; ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); });
    // A break (extra beats between phrases): the count starts again on the next "1".
    ctx.strokeStyle = "#6a1b9a"; ctx.lineWidth = 3; ctx.setLineDash([4, 4]);
    (chart.breaks || []).forEach((t) => { const x = t / d * w; ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); });
    ctx.setLineDash([]);
    // Where a section starts: a firmer mark than a phrase's.
    ctx.strokeStyle = "#7a6b70"; ctx.lineWidth = 2;
    (chart.sections || []).slice(1).forEach((s) => { const x = s.start_s / d * w; ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); });
    ctx.strokeStyle = "#c2185b"; ctx.lineWidth = 2; ctx.beginPath();
    chart.energy.forEach((pt, i) => { const x = pt[0] / d * w, y = h - 4 - pt[1] * (h - 8); if (i) { ctx.lineTo(x, y); } else { ctx.moveTo(x, y); } });
    ctx.stroke();
  }

  // A section band too narrow for its name shows its initial ("C2"), or nothing: the list below names them all.
  function fitSectionNames() {
    document.querySelectorAll(".section-band").forEach((band) => {
      band.textContent = band.dataset.name;
      if (band.scrollWidth > band.clientWidth) band.textContent = band.dataset.short;
      if (band.scrollWidth > band.clientWidth) band.textContent = "";
    });
  }

  drawChart();
  fitSectionNames();
  window.addEventListener("resize", fitSectionNames);
  const audio = document.getElementById("song-audio");
  if (!audio) return;

  // The playhead: the chart redrawn with a line where the music is, on every screen frame while it plays.
  let frame = null;
  function drawPlayhead() {
    drawChart();
    const x = Math.min(w - 1, Math.max(0, audio.currentTime / d * w));
    ctx.strokeStyle = "#1565c0"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke();
    canvas.dataset.playheadS = audio.currentTime.toFixed(2);
  }
  function follow() {
    drawPlayhead();
    frame = audio.paused ? null : requestAnimationFrame(follow);
  }
  audio.addEventListener("play", () => { if (frame === null) frame = requestAnimationFrame(follow); });
  ["seeked", "pause", "timeupdate", "loadedmetadata"].forEach((name) => audio.addEventListener(name, drawPlayhead));

  // A click on the chart plays the song from that moment (the chart spans the whole song).
  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const t = ((event.clientX - box.left) / box.width) * d;
    audio.currentTime = Math.min(Math.max(0, t), d);
    drawPlayhead();
    if (audio.paused) {
      const playing = audio.play();
      if (playing && playing.catch) playing.catch(() => { /* refused until the dancer presses play */ });
    }
  });
})();
