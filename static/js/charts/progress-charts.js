// The progress page's charts, drawn with uPlot (served from static/vendor/uplot by `make js`): minutes
// per week, and per move its loops and best speed per week (its timing share where the camera watched).
// The numbers come from the page (json_script "chart-data"); each figure keeps its table for screen
// readers and for a page without the charts' library. Each chart takes its container's width.
import { chartSize, minutesColumns, moveColumns, moveSummary, speedLabel, weekRange } from "./chart-data.js";

const ACCENT = "#c2185b";
const ACCENT2 = "#6a1b9a";
const BAR_FILL = "rgba(106, 27, 154, 0.35)";

function sized(container, makePlot) {
  const plot = makePlot(chartSize(container.clientWidth));
  if ("ResizeObserver" in window) {
    let last = container.clientWidth;
    new ResizeObserver(() => {
      if (container.clientWidth === last) return;
      last = container.clientWidth;
      plot.setSize(chartSize(last));
    }).observe(container);
  }
  return plot;
}

function bars(uPlot) {
  return uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 48] }) : undefined;
}

function minutesChart(uPlot, container, data) {
  return sized(container, (size) => new uPlot({
    ...size,
    legend: { show: false },
    scales: { x: { time: true, range: (_, min, max) => weekRange(min, max) }, y: { range: (_, __, max) => [0, Math.max(10, max)] } },
    axes: [{}, { label: "Minutes", size: 50 }],
    series: [{ label: "Week" }, { label: "Minutes", stroke: ACCENT2, fill: BAR_FILL, paths: bars(uPlot), points: { show: false } }],
  }, minutesColumns(data), container));
}

function practiceChart(uPlot, container, columns) {
  return sized(container, (size) => new uPlot({
    ...size,
    legend: { live: false },
    scales: {
      x: { time: true, range: (_, min, max) => weekRange(min, max) },
      loops: { range: (_, __, max) => [0, Math.max(4, max)] },
      speed: { range: [0, 2] },
    },
    axes: [
      {},
      { scale: "loops", label: "Loops", size: 50 },
      { scale: "speed", side: 1, label: "Best speed", size: 50, grid: { show: false }, values: (_, ticks) => ticks.map((tick) => `${tick}x`) },
    ],
    series: [
      { label: "Week" },
      { label: "Loops", scale: "loops", stroke: ACCENT2, fill: BAR_FILL, paths: bars(uPlot), points: { show: false } },
      { label: "Best speed", scale: "speed", stroke: ACCENT, width: 2, spanGaps: true, points: { size: 7, fill: ACCENT }, value: (_, value) => speedLabel(value) },
    ],
  }, columns, container));
}

function timingChart(uPlot, container, columns) {
  return sized(container, (size) => new uPlot({
    ...size,
    legend: { live: false },
    scales: { x: { time: true, range: (_, min, max) => weekRange(min, max) }, y: { range: [0, 100] } },
    axes: [{}, { label: "% on the beat", size: 50 }],
    series: [{ label: "Week" }, { label: "Timing", stroke: ACCENT, width: 2, spanGaps: true, points: { size: 7, fill: ACCENT }, value: (_, value) => (value === null ? "–" : `${value}%`) }],
  }, columns, container));
}

function drawAll() {
  const source = document.getElementById("chart-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const uPlot = window.uPlot;
  const figures = document.querySelectorAll("figure.chart");
  if (!uPlot) {
    // No charts' library (make js not run): the tables say it all, so show them.
    figures.forEach((figure) => figure.querySelector("details")?.setAttribute("open", ""));
    return;
  }
  const minutes = document.querySelector("[data-chart='minutes']");
  if (minutes) minutesChart(uPlot, minutes, data);
  const moves = new Map(data.moves.map((move) => [move.slug, move]));
  document.querySelectorAll("[data-chart='move']").forEach((container) => {
    const move = moves.get(container.dataset.slug);
    if (!move) return;
    const columns = moveColumns(data, move);
    const caption = container.closest("figure")?.querySelector("figcaption");
    if (caption) caption.textContent = moveSummary(data, move);
    practiceChart(uPlot, container, columns.practice);
    const timing = container.parentElement.querySelector("[data-chart='timing']");
    if (timing && columns.timing) timingChart(uPlot, timing, columns.timing);
  });
}

drawAll();
