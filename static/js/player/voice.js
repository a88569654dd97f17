// Spoken counts: "one two three tap five six seven tap" said on the song's beats, scheduled with Web
// Audio from the beat times so they stay on the beat at any speed (at 0.5x a beat lasts twice as long on
// the wall clock; each word is placed at its own beat, never by a metronome of its own). The samples are
// static/audio/counts/*.wav, made by scripts/make_count_voice.py. Pure planning here is unit-tested in
// static/js/tests/voice.test.mjs.
import { countAt, lastAtOrBefore } from "./timeline.js";

export const COUNT_WORDS = { 1: "one", 2: "two", 3: "three", 4: "tap", 5: "five", 6: "six", 7: "seven", 8: "tap" };
// How far ahead (wall-clock seconds) words are handed to the audio clock, and how often the plan is renewed.
export const LOOKAHEAD_S = 0.35;
const PLAN_EVERY_MS = 100;
// A beat already this far behind the playhead is not said late.
const LATE_S = 0.01;
const VOLUME_KEY = "bachata.voice.volume";
const ONLY_ONE_KEY = "bachata.voice.onlyOne";

// The words to say for media time [fromT, fromT + lookaheadS * speed): [{ beat, count, word, inS }], inS
// being the wall-clock seconds from now at which the word must start. onlyOne: the 1s alone.
// loopEnd: beats at or after it are not said (the loop jumps back before them).
export function wordsAhead({ beats, downbeats, fromT, speed, lookaheadS = LOOKAHEAD_S, onlyOne = false, loopEnd = null }) {
  if (!beats.length || !(speed > 0)) return [];
  const untilT = fromT + lookaheadS * speed;
  const words = [];
  for (let i = Math.max(0, lastAtOrBefore(beats, fromT - LATE_S)); i < beats.length; i += 1) {
    const beat = beats[i];
    if (beat >= untilT) break;
    if (beat < fromT - LATE_S) continue;
    if (loopEnd !== null && beat >= loopEnd - 1e-3) break;
    // The count at the beat itself (countAt reads a hair early, which is right on the beat).
    const count = countAt(beats, downbeats, beat);
    if (count === null || (onlyOne && count !== 1)) continue;
    words.push({ beat, count, word: COUNT_WORDS[count], inS: Math.max(0, (beat - fromT) / speed) });
  }
  return words;
}

export function installVoice(player) {
  const { ui, state, timeline, storage } = player;
  if (!ui.voice) return;
  const said = new Set(); // the beats already handed to the audio clock in this run of playback
  let context = null;
  let gain = null;
  let buffers = null; // word -> AudioBuffer, once loaded
  let sources = [];
  let timer = null;
  state.voice = { on: false, onlyOne: false, volume: 0.8, scheduled: [], ready: false };
  // The audio clock and the video's time read together (tests and the console check the words against the beats).
  player.voiceClock = () => (context ? { audio: context.currentTime, media: player.video.currentTime } : null);

  function audioContext() {
    if (context) return context;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    context = new Context();
    gain = context.createGain();
    gain.gain.value = state.voice.volume;
    gain.connect(context.destination);
    return context;
  }

  function loadSamples() {
    if (buffers) return Promise.resolve(buffers);
    const base = ui.voice.dataset.samples;
    const words = Array.from(new Set(Object.values(COUNT_WORDS)));
    return Promise.all(words.map((word) => fetch(base + word + ".wav")
      .then((response) => response.arrayBuffer())
      .then((bytes) => context.decodeAudioData(bytes))
      .then((buffer) => [word, buffer])))
      .then((pairs) => { buffers = Object.fromEntries(pairs); return buffers; });
  }

  // Forget what was planned: after a seek, a pause, a speed change or a loop's jump back.
  function reset() {
    for (const source of sources) {
      try { source.stop(); } catch (error) { /* already over */ }
    }
    sources = [];
    said.clear();
    state.voice.scheduled = [];
  }

  function plan() {
    const video = player.video;
    if (!state.voice.on || !buffers || video.paused || video.seeking || state.countingIn) return;
    const loop = state.loop;
    const now = context.currentTime;
    const words = wordsAhead({
      beats: timeline.beats, downbeats: timeline.downbeats, fromT: video.currentTime, speed: state.speed,
      onlyOne: state.voice.onlyOne, loopEnd: loop.on && loop.b !== null ? loop.b : null,
    });
    for (const word of words) {
      if (said.has(word.beat)) continue;
      said.add(word.beat);
      const source = context.createBufferSource();
      source.buffer = buffers[word.word];
      source.connect(gain);
      const at = now + word.inS;
      source.start(at);
      source.onended = () => { sources = sources.filter((item) => item !== source); };
      sources.push(source);
      state.voice.scheduled.push({ beat: word.beat, word: word.word, at, mediaT: video.currentTime, now });
      if (state.voice.scheduled.length > 32) state.voice.scheduled.shift();
    }
  }

  function render() {
    ui.voice.setAttribute("aria-pressed", String(state.voice.on));
    ui.voice.textContent = state.voice.on ? "Voice on" : "Voice";
  }

  player.toggleVoice = () => {
    state.voice.on = !state.voice.on;
    reset();
    render();
    if (!state.voice.on) {
      clearInterval(timer);
      timer = null;
      return;
    }
    if (!audioContext()) {
      state.voice.on = false;
      render();
      ui.voiceInfo.textContent = "This browser cannot play sound from the page: the counts are not spoken.";
      return;
    }
    if (context.state === "suspended") context.resume();
    loadSamples().then(() => {
      state.voice.ready = true;
      ui.voiceInfo.textContent = "";
      if (timer === null) timer = setInterval(plan, PLAN_EVERY_MS);
      plan();
    }).catch(() => {
      ui.voiceInfo.textContent = "The spoken counts could not be loaded. Check the connection and try again.";
      state.voice.on = false;
      render();
    });
  };

  ui.voice.addEventListener("click", player.toggleVoice);
  if (ui.voiceVolume) {
    const saved = parseFloat(storage.get(VOLUME_KEY));
    if (Number.isFinite(saved)) state.voice.volume = Math.min(1, Math.max(0, saved));
    ui.voiceVolume.value = String(state.voice.volume);
    ui.voiceVolume.addEventListener("input", () => {
      state.voice.volume = Number(ui.voiceVolume.value);
      if (gain) gain.gain.value = state.voice.volume;
      storage.set(VOLUME_KEY, String(state.voice.volume));
    });
  }
  if (ui.voiceOnlyOne) {
    state.voice.onlyOne = storage.get(ONLY_ONE_KEY) === "1";
    ui.voiceOnlyOne.checked = state.voice.onlyOne;
    ui.voiceOnlyOne.addEventListener("change", () => {
      state.voice.onlyOne = ui.voiceOnlyOne.checked;
      storage.set(ONLY_ONE_KEY, state.voice.onlyOne ? "1" : "0");
      reset();
    });
  }
  for (const type of ["seeking", "pause", "ratechange", "emptied"]) player.onVideo(type, reset);
  player.onVideo("play", plan);
  render();
}
