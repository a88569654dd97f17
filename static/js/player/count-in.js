// Count-in: "5 6 7 8" before each repetition, and before the music starts when its first "1"
// comes too soon to catch. countInSchedule is pure (static/js/tests/count-in.test.mjs).
import { beatLengthNear, songBeatLength } from "./timeline.js";

// A first "1" sooner than this after the music starts is hard to catch: count in before it.
export const COUNT_IN_BEFORE_S = 2;
const COUNT_IN_WORDS = ["5", "6", "7", "8"];
// A setting of the dancer's, not of one routine: kept for every routine.
const COUNT_IN_START_KEY = "bachata.countInAtStart";

// When each word is shown and when the music starts, in ms of wall clock from now.
// beatS: one beat of the song (at 1x); leadS: song time from the start point to the "1",
// taken off the wait after "8" so the "1" falls on the next beat; speed: playback rate.
export function countInSchedule({ beatS, leadS = 0, speed = 1 }) {
  const beatMs = (beatS / speed) * 1000;
  const leadMs = (leadS / speed) * 1000;
  const words = COUNT_IN_WORDS.map((word, index) => ({ word, atMs: index * beatMs, accent: word === "8" }));
  return { words, playAtMs: Math.max(3 * beatMs, 4 * beatMs - leadMs) };
}

// Whether playing from currentTime should count in first (the first "1" is under 2 s in and ahead).
export function wantsCountInAtStart({ enabled, firstDownbeat, currentTime, ended }) {
  if (!enabled || firstDownbeat === null) return false;
  return firstDownbeat < COUNT_IN_BEFORE_S && currentTime <= firstDownbeat + 0.05 && !ended;
}

export function installCountIn(player) {
  const { ui, state, timeline } = player;
  let timers = [];
  let audioContext = null;

  // A short click on each count (WebAudio); silent where the page has no sound or the video is muted.
  function beep(accent) {
    const video = player.video;
    if (video.muted || video.volume === 0) return;
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audioContext = audioContext || new Context();
      if (audioContext.state === "suspended") audioContext.resume();
      const now = audioContext.currentTime;
      const tone = audioContext.createOscillator();
      const gain = audioContext.createGain();
      tone.frequency.value = accent ? 1320 : 880;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.3 * video.volume, now + 0.005);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.09);
      tone.connect(gain).connect(audioContext.destination);
      tone.start(now);
      tone.stop(now + 0.1);
    } catch (error) {
      /* no sound output: the words on the video are enough */
    }
  }

  // options.beatS: the beat (default: the song's beat near a); options.leadS: see countInSchedule.
  player.startCountIn = (a, options) => {
    const opts = options || {};
    player.cancelCountIn();
    state.countingIn = true;
    const video = player.video;
    video.pause();
    video.currentTime = a;
    const schedule = countInSchedule({
      beatS: opts.beatS || beatLengthNear(timeline.beats, a), leadS: opts.leadS || 0, speed: state.speed,
    });
    for (const { word, atMs, accent } of schedule.words) {
      timers.push(setTimeout(() => {
        player.showOverlay(word, { countIn: true });
        beep(accent);
      }, atMs));
    }
    timers.push(setTimeout(() => {
      state.countingIn = false;
      timers = [];
      player.countInDone = true;
      player.playVideo();
    }, schedule.playAtMs));
  };

  player.cancelCountIn = () => {
    timers.forEach(clearTimeout);
    timers = [];
    if (state.countingIn) {
      state.countingIn = false;
      player.updateCountOverlay(player.video.currentTime);
    }
  };

  player.countInAtStartWanted = () => wantsCountInAtStart({
    enabled: Boolean(ui.countInStart && ui.countInStart.checked),
    firstDownbeat: timeline.firstDownbeat,
    currentTime: player.video.currentTime,
    ended: player.video.ended,
  });

  // From the very start; the "1" then lands one beat after "8" where the song leaves room for it.
  player.startCountInAtStart = () => {
    player.startCountIn(0, { beatS: songBeatLength(timeline), leadS: timeline.firstDownbeat });
  };

  if (ui.countInStart) {
    ui.countInStart.checked = player.storage.get(COUNT_IN_START_KEY) !== "0"; // on unless the dancer turned it off
    ui.countInStart.addEventListener("change", () => player.storage.set(COUNT_IN_START_KEY, ui.countInStart.checked ? "1" : "0"));
  }
}
