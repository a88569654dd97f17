// Keyboard shortcuts: which key does what, and when a key belongs to what the dancer is typing
// or to the focused control. The predicates are pure (static/js/tests/keys.test.mjs).
import { SPEED_BIG_STEP, SPEED_STEP } from "./speed.js";

export const SEEK_STEP_S = 2;
const NOT_TEXT_INPUTS = ["checkbox", "radio", "range", "button", "submit", "reset"];

// target: anything with tagName, type and isContentEditable (an element, or a plain object in tests).
export function isTyping(target) {
  if (!target) return false;
  const tag = target.tagName;
  if (tag === "INPUT") return !NOT_TEXT_INPUTS.includes(target.type);
  return tag === "TEXTAREA" || tag === "SELECT" || Boolean(target.isContentEditable);
}

// Keys a focused control handles itself: space presses a button or ticks a box, arrows move a slider.
export function controlOwnsKey(target, key) {
  if (!target) return false;
  const tag = target.tagName;
  if (key === " ") return tag === "BUTTON" || tag === "SUMMARY" || (tag === "INPUT" && target.type !== "range");
  if (key === "ArrowLeft" || key === "ArrowRight") return tag === "INPUT" && target.type === "range";
  return false;
}

// The key as the table below names it: letters in lower case ("L" with caps lock is "l").
export function normaliseKey(key) {
  return key.length === 1 ? key.toLowerCase() : key;
}

// The action name for a key event, or null when the page should leave it alone.
export function actionFor(event, actions) {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return null;
  const key = normaliseKey(event.key);
  if (controlOwnsKey(event.target, key)) return null;
  return Object.prototype.hasOwnProperty.call(actions, key) ? actions[key] : null;
}

export function installKeys(player) {
  const actions = {
    " ": () => player.togglePlay(),
    ArrowLeft: () => player.jumpTo(player.video.currentTime - SEEK_STEP_S),
    ArrowRight: () => player.jumpTo(player.video.currentTime + SEEK_STEP_S),
    "[": () => player.setMarker("a"),
    "]": () => player.setMarker("b"),
    l: () => player.toggleLoop(),
    m: () => player.toggleMirror(),
    c: () => player.toggleCounts(),
    v: () => { if (player.toggleVoice) player.toggleVoice(); },
    k: () => { if (player.toggleCamera) player.toggleCamera(); },
    f: () => { if (player.toggleFullscreen) player.toggleFullscreen(); },
    "+": () => player.changeSpeed(SPEED_STEP),
    "=": () => player.changeSpeed(SPEED_STEP),
    "-": () => player.changeSpeed(-SPEED_STEP),
    _: () => player.changeSpeed(-SPEED_STEP),
    PageUp: () => player.changeSpeed(SPEED_BIG_STEP),
    PageDown: () => player.changeSpeed(-SPEED_BIG_STEP),
  };
  document.addEventListener("keydown", (event) => {
    const action = actionFor(event, actions);
    if (!action) return;
    event.preventDefault(); // no page scroll on space, no native seek on the arrows
    action();
  });
}
