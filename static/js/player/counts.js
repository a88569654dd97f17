// The count overlay on the video: 1 2 3 tap 5 6 7 tap, following the playhead.
import { countAt, isTap } from "./timeline.js";

export function installCounts(player) {
  const { ui, state, timeline } = player;

  player.showOverlay = (text, options) => {
    const opts = options || {};
    ui.overlay.textContent = text;
    ui.overlay.classList.toggle("tap", Boolean(opts.tap));
    ui.overlay.classList.toggle("count-in", Boolean(opts.countIn));
    ui.overlay.hidden = false;
  };

  player.updateCountOverlay = (t) => {
    if (state.countingIn) return; // the count-in owns the overlay
    const count = countAt(timeline.beats, timeline.downbeats, t);
    state.count = count;
    if (!state.counts || count === null) {
      ui.overlay.hidden = true;
      return;
    }
    ui.overlay.dataset.count = String(count);
    const tap = isTap(count);
    player.showOverlay(tap ? "tap" : String(count), { tap });
    ui.overlay.setAttribute("aria-label", "count " + count);
  };

  player.toggleCounts = () => {
    state.counts = !state.counts;
    ui.counts.setAttribute("aria-pressed", String(state.counts));
    player.updateCountOverlay(player.video.currentTime);
  };

  ui.counts.addEventListener("click", player.toggleCounts);
}
