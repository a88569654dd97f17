// Pure helpers over a routine's time line: beats, downbeats ("the 1"), moves and clock text.
// No DOM here: static/js/tests/timeline.test.mjs runs these under `node --test`.

// A beat shorter or longer than these (seconds) is a detection glitch, not the song's pulse.
const SHORTEST_BEAT_S = 0.15;
const LONGEST_BEAT_S = 2;
// 120 BPM when a song's beat is unknown.
export const DEFAULT_BEAT_S = 0.5;
// The count changes a hair before the beat: the eye lags the ear.
const COUNT_LEAD_S = 0.02;

export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

// Index of the last value <= t in a sorted array, or -1 when t comes before all of them.
export function lastAtOrBefore(sorted, t) {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] <= t) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

// Index of the beat closest to t (the earlier one on a tie).
export function nearestBeatIndex(beats, t) {
  const index = Math.max(0, lastAtOrBefore(beats, t));
  const next = Math.min(index + 1, beats.length - 1);
  return Math.abs(beats[next] - t) < Math.abs(beats[index] - t) ? next : index;
}

// The dancer's count (1-8) at t: beats since the last downbeat ("the 1"), modulo 8; null before
// the first beat or without beats. Before the first "1" it counts back from it.
export function countAt(beats, downbeats, t) {
  if (!beats.length) return null;
  const beatIndex = lastAtOrBefore(beats, t + COUNT_LEAD_S);
  if (beatIndex < 0) return null;
  if (!downbeats.length) return (beatIndex % 8) + 1;
  let downbeatIndex = lastAtOrBefore(downbeats, beats[beatIndex] + 0.01);
  if (downbeatIndex < 0) downbeatIndex = 0;
  const downbeatBeat = nearestBeatIndex(beats, downbeats[downbeatIndex]);
  return ((((beatIndex - downbeatBeat) % 8) + 8) % 8) + 1;
}

// 4 and 8 are the taps: no weight change.
export function isTap(count) {
  return count === 4 || count === 8;
}

// One beat near t, from the song's beats (at speed 1); DEFAULT_BEAT_S when unknown or implausible.
export function beatLengthNear(beats, t) {
  if (beats.length < 2) return DEFAULT_BEAT_S;
  const i = clamp(lastAtOrBefore(beats, t), 0, beats.length - 2);
  const length = beats[i + 1] - beats[i];
  return length > SHORTEST_BEAT_S && length < LONGEST_BEAT_S ? length : DEFAULT_BEAT_S;
}

// The song's own beat from its tempo, else from its beats near the first "1".
export function songBeatLength({ tempoBpm, beats, firstDownbeat }) {
  if (tempoBpm && tempoBpm >= 40 && tempoBpm <= 260) return 60 / tempoBpm;
  return beatLengthNear(beats, firstDownbeat || 0);
}

// The move playing at t ([start, end)), or null.
export function moveAt(moves, t) {
  for (const move of moves) if (t >= move.start && t < move.end) return move;
  return null;
}

// "1:05" for 65.4 s: the clock under the video.
export function formatSeconds(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
}
