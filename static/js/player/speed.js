// Playback speed: the pure steps (static/js/tests/speed.test.mjs) and the control that applies them.
import { clamp } from "./timeline.js";

export const SPEED_MIN = 0.25;
export const SPEED_MAX = 2;
export const SPEED_STEP = 0.05;
export const SPEED_BIG_STEP = 0.25;

export function roundSpeed(value) {
  return Math.round(value * 100) / 100;
}

// Any input (a stored string, a native rate) as a speed the player offers; 1 for nonsense.
export function normaliseSpeed(value) {
  return clamp(roundSpeed(Number(value) || 1), SPEED_MIN, SPEED_MAX);
}

export function speedLabel(speed) {
  return speed.toFixed(2) + "x";
}

// Keep the music's pitch at any speed (slowed-down music that drops an octave is no help).
export function keepPitch(videos) {
  for (const element of videos) {
    element.preservesPitch = true;
    element.mozPreservesPitch = true;
    element.webkitPreservesPitch = true;
  }
}

export function installSpeed(player) {
  const { ui, videos, storage } = player;
  const speedKey = "bachata.speed." + player.data.routineId;

  player.setSpeed = (value) => {
    player.closePracticeSegment(); // time so far counts at the old speed
    const speed = normaliseSpeed(value);
    player.state.speed = speed;
    keepPitch(videos);
    // defaultPlaybackRate too: a reload of the media resets playbackRate to it. Both twins: a switch keeps it.
    for (const element of videos) {
      element.defaultPlaybackRate = speed;
      element.playbackRate = speed;
    }
    ui.speed.textContent = speedLabel(speed);
    ui.slower.disabled = speed <= SPEED_MIN;
    ui.faster.disabled = speed >= SPEED_MAX;
    storage.set(speedKey, String(speed));
    player.openPracticeSegment();
    return speed;
  };

  player.changeSpeed = (delta) => player.setSpeed(player.state.speed + delta);

  player.restoreSpeed = () => {
    const saved = parseFloat(storage.get(speedKey));
    player.setSpeed(Number.isFinite(saved) ? saved : 1);
  };

  // Shift-click for quarter steps (0.25x); a plain click moves by 0.05x.
  ui.slower.addEventListener("click", (event) => player.changeSpeed(event.shiftKey ? -SPEED_BIG_STEP : -SPEED_STEP));
  ui.faster.addEventListener("click", (event) => player.changeSpeed(event.shiftKey ? SPEED_BIG_STEP : SPEED_STEP));
}
