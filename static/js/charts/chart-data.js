// Pure data shaping for the progress page's charts: the server's weekly numbers (json_script
// "chart-data") into uPlot's column arrays, sizes, and the words a screen reader gets.
// static/js/tests/chart-data.test.mjs runs these under `node --test`.

// A chart narrower than this cannot show eight weeks; wider than this is hard to read.
export const MIN_CHART_WIDTH = 240;
export const MAX_CHART_WIDTH = 900;
// Heights by the room there is: shorter on a phone so two charts fit a screen.
const PHONE_WIDTH = 500;
const PHONE_HEIGHT = 170;
const WIDE_HEIGHT = 220;

// "2026-11-30" (a Monday, UTC) -> seconds since the epoch, the x values uPlot's time axis takes.
export function weekSeconds(isoDay) {
  const [year, month, day] = String(isoDay).split("-").map(Number);
  const millis = Date.UTC(year, month - 1, day);
  if (!Number.isFinite(millis)) throw new Error(`not a date: ${isoDay}`);
  return millis / 1000;
}

const WEEK_S = 7 * 86400;

// The x range of a chart of weeks: half a week of room on each side, so the first and last weeks'
// bars are drawn whole.
export function weekRange(min, max) {
  const low = Number.isFinite(min) ? min : 0;
  const high = Number.isFinite(max) ? max : low;
  return [low - WEEK_S / 2, high + WEEK_S / 2];
}

// A number or null (uPlot leaves a gap at null); anything else is no reading.
function reading(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

// Whether a series has at least one reading (a timing chart is drawn only where the camera watched).
export function hasReadings(values) {
  return Array.isArray(values) && values.some((value) => reading(value) !== null);
}

// The minutes-per-week chart's columns: [x, minutes].
export function minutesColumns(data) {
  const weeks = data.weeks.map(weekSeconds);
  return [weeks, weeks.map((_, i) => reading(data.minutes[i]) ?? 0)];
}

// One move's charts: loops (bars) and best speed (a line) per week; its timing share in percent
// where there is any reading, else null.
export function moveColumns(data, move) {
  const weeks = data.weeks.map(weekSeconds);
  const speed = weeks.map((_, i) => reading(move.best_speed[i]));
  const loops = weeks.map((_, i) => reading(move.loops[i]) ?? 0);
  const timing = hasReadings(move.timing_share)
    ? weeks.map((_, i) => {
        const share = reading(move.timing_share[i]);
        return share === null ? null : Math.round(share * 1000) / 10;
      })
    : null;
  return { practice: [weeks, loops, speed], timing: timing && [weeks, timing] };
}

// The chart's size for a container this wide: its full width (within bounds), shorter on a phone.
export function chartSize(containerWidth) {
  const width = Math.round(Math.min(MAX_CHART_WIDTH, Math.max(MIN_CHART_WIDTH, Number(containerWidth) || 0)));
  return { width, height: width < PHONE_WIDTH ? PHONE_HEIGHT : WIDE_HEIGHT };
}

// "0.75x" for a speed, "–" for none.
export function speedLabel(speed) {
  const value = reading(speed);
  return value === null ? "–" : `${Number(value.toFixed(2))}x`;
}

// One sentence about a move's weeks, for the figure's caption (what a screen reader hears first).
export function moveSummary(data, move) {
  const loops = move.loops.reduce((sum, value) => sum + (reading(value) ?? 0), 0);
  const weeksPractised = move.loops.filter((value, i) => (reading(value) ?? 0) > 0 || reading(move.best_speed[i]) !== null).length;
  const speeds = move.best_speed.map(reading).filter((value) => value !== null);
  const parts = [`${move.name}: ${loops} loop${loops === 1 ? "" : "s"} in ${weeksPractised} week${weeksPractised === 1 ? "" : "s"}`];
  if (speeds.length) {
    const first = speeds[0];
    const best = Math.max(...speeds);
    parts.push(best > first ? `best speed up from ${speedLabel(first)} to ${speedLabel(best)}` : `best speed ${speedLabel(best)}`);
  }
  const shares = (move.timing_share || []).map(reading).filter((value) => value !== null);
  if (shares.length) parts.push(`latest timing ${Math.round(shares[shares.length - 1] * 100)}% on the beat`);
  return parts.join("; ") + ".";
}
