/* Bachata Buddy: switching between a routine's two videos, as seen and mirrored, at the same instant.
 *
 * Both <video> elements sit stacked in the player (the standby under the one shown, muted, loaded).
 * A switch brings the standby to the shown one's time before it is swapped in, so the picture does
 * not jump: paused, it seeks to the same time; playing, it seeks a little ahead, waits there, and
 * starts as the playing one reaches that time. Speed, volume and the native controls go with the
 * switch; the player (static/js/player/) keeps everything else (loops, counts, practice log).
 */

// How far ahead (media seconds at 1x) a switch during playback aims: time for the standby to seek.
const LEAD_S = 0.3;
// Each try that finds the playing video past the aim already aims this many leads further.
const MAX_TRIES = 3;
const FRAME_S = 1 / 30;

export function createTwinSwitcher(options) {
  const onSwitch = options.onSwitch || function () {};
  const standbyId = options.standbyId || "video-standby";
  let shown = options.shown;
  let standby = options.standby;
  let pending = null; // the switch under way: { cancelled, cleanups }
  let last = null; // { fromTime, toTime, playing } of the last switch, for tests and the console

  function cancel() {
    if (!pending) return;
    pending.cancelled = true;
    pending.cleanups.forEach((cleanup) => cleanup());
    pending = null;
  }

  // Run `then` once `element` can show a frame (its data loaded).
  function whenLoaded(element, run, then) {
    if (element.readyState >= 2) { then(); return; }
    const onLoaded = () => { element.removeEventListener("loadeddata", onLoaded); if (!run.cancelled) then(); };
    element.addEventListener("loadeddata", onLoaded);
    run.cleanups.push(() => element.removeEventListener("loadeddata", onLoaded));
    if (element.preload === "none") element.preload = "auto";
  }

  // Seek `element` to `time`, then run `then` with that frame ready to show.
  function seekThen(element, time, run, then) {
    whenLoaded(element, run, () => {
      if (!element.seeking && Math.abs(element.currentTime - time) < 1e-4) { then(); return; }
      const onSeeked = () => { element.removeEventListener("seeked", onSeeked); if (!run.cancelled) then(); };
      element.addEventListener("seeked", onSeeked);
      run.cleanups.push(() => element.removeEventListener("seeked", onSeeked));
      element.currentTime = time;
    });
  }

  function nextFrame(element, run, callback) {
    if (typeof element.requestVideoFrameCallback === "function") {
      const handle = element.requestVideoFrameCallback((now, metadata) => {
        callback(metadata && typeof metadata.mediaTime === "number" ? metadata.mediaTime : element.currentTime);
      });
      run.cleanups.push(() => element.cancelVideoFrameCallback(handle));
    } else {
      const handle = window.requestAnimationFrame(() => callback(element.currentTime));
      run.cleanups.push(() => window.cancelAnimationFrame(handle));
    }
  }

  function swap(from, to, playing) {
    to.playbackRate = from.playbackRate;
    to.volume = from.volume;
    to.muted = from.muted;
    const info = { fromTime: from.currentTime, toTime: to.currentTime, playing };
    if (playing) {
      const started = to.play();
      if (started && started.catch) started.catch(() => { /* refused: the dancer presses play */ });
    }
    from.muted = true;
    if (!from.paused) from.pause();
    // The shown video is always #video, with the native controls; the standby is hidden from assistive tech.
    to.controls = from.controls;
    from.controls = false;
    const id = from.id;
    from.id = standbyId;
    to.id = id;
    from.classList.add("standby");
    to.classList.remove("standby");
    from.setAttribute("aria-hidden", "true");
    from.tabIndex = -1;
    to.removeAttribute("aria-hidden");
    to.removeAttribute("tabindex");
    shown = to;
    standby = from;
    pending = null;
    last = info;
    onSwitch(from, to, info);
  }

  // Paused (or as the last resort while playing): the standby seeks to the very time shown, then swaps in.
  function handOverStill(from, to, run, resume) {
    if (resume) from.pause();
    seekThen(to, from.currentTime, run, () => swap(from, to, resume));
  }

  function handOverPlaying(from, to, run, tries) {
    const rate = from.playbackRate || 1;
    const startedAt = from.currentTime;
    const aim = startedAt + LEAD_S * rate * (tries + 1);
    if (!Number.isFinite(from.duration) || aim >= from.duration - 2 * FRAME_S) {
      handOverStill(from, to, run, true);
      return;
    }
    to.pause();
    seekThen(to, aim, run, () => {
      let previous = null;
      const watch = (mediaTime) => {
        if (run.cancelled) return;
        if (from.paused || from.seeking || mediaTime < startedAt - 0.01) {
          // Paused, looped back or seeked meanwhile: start again from what is shown now.
          restart(from, to, run);
          return;
        }
        // Media time between presented frames: one frame, or more at a high speed on a slow screen.
        const step = previous !== null && mediaTime - previous > 0.005 ? mediaTime - previous : FRAME_S;
        previous = mediaTime;
        if (mediaTime > aim + step) {
          if (tries + 1 < MAX_TRIES) handOverPlaying(from, to, run, tries + 1);
          else handOverStill(from, to, run, true);
          return;
        }
        // Hand over on the frame before the aim: the standby shows the aim's frame next.
        if (mediaTime + step >= aim - 1e-3) { swap(from, to, true); return; }
        nextFrame(from, run, watch);
      };
      nextFrame(from, run, watch);
    });
  }

  function restart(from, to, run) {
    run.cleanups.forEach((cleanup) => cleanup());
    run.cleanups = [];
    if (from.paused) handOverStill(from, to, run, false);
    else handOverPlaying(from, to, run, 0);
  }

  // Show `to` (one of the two videos) from the instant the shown one is at; nothing when it is shown already.
  function switchTo(to) {
    cancel();
    if (to === shown) return;
    const from = shown;
    const run = { cancelled: false, cleanups: [] };
    pending = run;
    to.muted = true;
    to.playbackRate = from.playbackRate;
    restart(from, to, run);
  }

  return {
    switchTo,
    cancel,
    get shown() { return shown; },
    get standby() { return standby; },
    get switching() { return pending !== null; },
    get last() { return last; },
  };
}
