// Playback: play/pause, jumps, the seek bar, the current-move highlight, and the per-frame loop
// that everything following the playhead hangs on (requestVideoFrameCallback where there is one).
import { clamp, formatSeconds, moveAt } from "./timeline.js";
import { keepPitch } from "./speed.js";

const FALLBACK_FRAME_S = 1 / 30;

export function installPlayback(player) {
  const { ui, state, moves } = player;
  let seekDragging = false;

  player.updatePlayButton = () => {
    const playing = !player.video.paused;
    ui.play.textContent = playing ? "❚❚ Pause" : "▶︎ Play";
    ui.play.setAttribute("aria-label", playing ? "Pause" : "Play");
  };

  player.playVideo = () => {
    const promise = player.video.play();
    if (promise && promise.catch) promise.catch(() => { /* autoplay refused: the dancer presses play */ });
  };

  player.togglePlay = () => {
    const video = player.video;
    if (state.countingIn) {
      player.cancelCountIn();
      return;
    }
    if (!(video.paused || video.ended)) {
      video.pause();
      return;
    }
    if (player.countInAtStartWanted()) player.startCountInAtStart();
    else player.playVideo();
  };

  // Scroll only the move list, never the page: on a phone the list sits under the video,
  // and moving the page would take the video away from the dancer.
  function scrollListTo(item) {
    const list = ui.moves;
    if (list.scrollHeight <= list.clientHeight) return;
    const top = item.offsetTop - list.offsetTop;
    const bottom = top + item.offsetHeight;
    if (top >= list.scrollTop && bottom <= list.scrollTop + list.clientHeight) return;
    const reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    list.scrollTo({ top: Math.max(0, top - list.clientHeight / 3), behavior: reduce ? "auto" : "smooth" });
  }

  function highlightMove(move) {
    if (move === state.currentMove) return;
    if (state.currentMove && state.currentMove.item) state.currentMove.item.removeAttribute("aria-current");
    state.currentMove = move;
    if (move && move.item) {
      move.item.setAttribute("aria-current", "step");
      scrollListTo(move.item);
    }
  }

  // Everything on screen that follows the playhead.
  player.refresh = (t) => {
    highlightMove(moveAt(moves, t));
    player.updateCountOverlay(t);
    if (ui.seek && !seekDragging) ui.seek.value = String(t);
    if (ui.time) ui.time.textContent = formatSeconds(t) + " / " + formatSeconds(player.video.duration || 0);
  };

  // leaveLoop: a jump the dancer aims outside the running loop (a move name, the seek bar)
  // ends the loop; otherwise the loop would throw them straight back to A.
  player.jumpTo = (seconds, options) => {
    player.cancelCountIn();
    const video = player.video;
    const target = clamp(seconds, 0, video.duration || seconds);
    const loop = state.loop;
    if (options && options.leaveLoop && loop.on && (target < loop.a || target >= loop.b)) {
      loop.on = false;
      player.renderLoop();
    }
    video.currentTime = target;
    player.refresh(target);
  };

  /* ---------- one callback per presented frame ---------- */

  let frameRequested = null; // the pending callback's handle, so it is never requested twice
  let frameVideo = player.video; // the video it was requested on
  let lastMediaTime = null;
  let frameSeconds = FALLBACK_FRAME_S;
  const hasFrameCallbacks = typeof player.video.requestVideoFrameCallback === "function";

  // fresh: drop a pending request first (a media reload can silently drop its callbacks).
  player.requestFrame = (fresh) => {
    if (frameRequested !== null) {
      if (!fresh) return;
      if (hasFrameCallbacks) frameVideo.cancelVideoFrameCallback(frameRequested);
      else window.cancelAnimationFrame(frameRequested);
    }
    frameVideo = player.video;
    frameRequested = hasFrameCallbacks
      ? player.video.requestVideoFrameCallback(onVideoFrame)
      : window.requestAnimationFrame(onAnimationFrame);
  };

  // The next frame starts a new run of frames (after a seek or a switch of videos).
  player.forgetLastFrame = () => {
    lastMediaTime = null;
  };

  function onVideoFrame(now, metadata) {
    frameRequested = null;
    const t = metadata && typeof metadata.mediaTime === "number" ? metadata.mediaTime : player.video.currentTime;
    // Learn the frame length from consecutive frames (the file's frame rate, not the screen's).
    if (lastMediaTime !== null) {
      const step = t - lastMediaTime;
      if (step > 0.005 && step < 0.1) frameSeconds = step;
    }
    lastMediaTime = t;
    onFrame(t, frameSeconds);
  }

  function onAnimationFrame() {
    frameRequested = null;
    // Without frame callbacks, one screen refresh (1/60 s) of media time at the current speed.
    onFrame(player.video.currentTime, state.speed / 60);
  }

  function onFrame(t, stepSeconds) {
    player.checkLoop(t, stepSeconds);
    player.refresh(t);
    if (!player.video.paused) player.requestFrame();
  }

  /* ---------- wiring ---------- */

  function wireSeekBar() {
    if (!ui.seek) return;
    const setMax = () => {
      if (Number.isFinite(player.video.duration)) ui.seek.max = String(player.video.duration);
    };
    player.onVideo("loadedmetadata", setMax);
    setMax();
    ui.seek.addEventListener("input", () => {
      seekDragging = true;
      player.jumpTo(Number(ui.seek.value), { leaveLoop: true });
    });
    ui.seek.addEventListener("change", () => {
      seekDragging = false;
    });
  }

  player.wirePlayback = () => {
    ui.play.addEventListener("click", player.togglePlay);
    for (const move of moves) {
      const jump = move.item && move.item.querySelector(".jump");
      if (jump) jump.addEventListener("click", () => player.jumpTo(move.start, { leaveLoop: true }));
    }
    const sync = () => {
      player.refresh(player.video.currentTime);
      player.requestFrame();
    };
    player.onVideo("play", () => {
      // Play pressed during a count-in (native controls): the dancer is ready, skip the rest.
      if (state.countingIn) player.cancelCountIn();
      else if (player.countInDone) player.countInDone = false;
      // Started from the native controls (or a loop) before the first "1": count in first.
      else if (player.countInAtStartWanted()) {
        player.startCountInAtStart();
        return;
      }
      lastMediaTime = null;
      player.requestFrame(true);
    });
    player.onVideo("playing", () => player.requestFrame());
    player.onVideo("seeked", () => {
      lastMediaTime = null;
      sync();
    });
    player.onVideo("loadedmetadata", sync);
    // A source (re)load resets the rate to the default: put the dancer's speed back.
    player.onVideo("loadstart", () => {
      keepPitch(player.videos);
      player.video.playbackRate = state.speed;
    });
    player.onVideo("ratechange", () => {
      // The native controls can change the rate as well: keep ours in step.
      const rate = player.video.playbackRate;
      if (Math.abs(rate - state.speed) > 0.001 && rate > 0) player.setSpeed(rate);
    });
    player.onVideo("ended", () => {
      const loop = state.loop;
      if (loop.on && loop.b !== null && loop.b >= player.video.duration - 0.1) player.repeatLoop(true);
    });
    player.onVideo("play", player.updatePlayButton);
    player.onVideo("pause", player.updatePlayButton);
    player.updatePlayButton();
    wireSeekBar();
  };
}
