/* Bachata Buddy practice player.
 *
 * Plain JavaScript on top of the markup in templates/choreography/routine_detail.html:
 * current-move highlight, jump to a move, speed with pitch kept, loops (a move, the selected
 * moves, free A-B) checked on every video frame, count-in, mirror, a count overlay, keyboard
 * shortcuts and a practice log that survives lost requests.
 *
 * Mirror switches to the routine's mirrored video (static/js/twins.js) at the same instant; `video`
 * is always the one shown. A routine made before there were mirrored videos is flipped with CSS.
 */
(function () {
  "use strict";

  const dataElement = document.getElementById("player-data");
  // The video shown; with a mirrored twin, the other one waits under it (#video-standby).
  let video = document.getElementById("video");
  if (!dataElement || !video) return; // a routine that is not ready has no player
  const standbyVideo = document.getElementById("video-standby");
  const videos = standbyVideo ? [video, standbyVideo] : [video];
  const seenVideo = videos.find((element) => element.dataset.twin !== "mirrored") || video;
  const mirroredVideo = videos.find((element) => element.dataset.twin === "mirrored") || null;

  // Listen on both twins, but hear only the one shown: the standby's seeks and plays are the switch's own.
  function onVideo(type, handler) {
    for (const element of videos) {
      element.addEventListener(type, (event) => { if (element === video) handler(event); });
    }
  }

  const data = JSON.parse(dataElement.textContent);
  const $ = (id) => document.getElementById(id);
  const ui = {
    play: $("play"), slower: $("slower"), faster: $("faster"), speed: $("speed"),
    setA: $("set-a"), setB: $("set-b"), loop: $("loop"), mirror: $("mirror"), counts: $("counts"),
    countIn: $("count-in"), countInStart: $("count-in-start"), loopInfo: $("loop-info"), overlay: $("count-overlay"),
    moves: $("moves"), loopSelected: $("loop-selected"), seek: $("seek"), time: $("time"),
    download: $("download"),
  };

  const SPEED_MIN = 0.25;
  const SPEED_MAX = 2;
  const SPEED_STEP = 0.05;
  const SPEED_BIG_STEP = 0.25;
  const SEEK_STEP_S = 2;
  const MIN_LOOP_S = 0.3;
  const SEND_EVERY_MS = 30000;
  const RETRY_FIRST_MS = 2000; // a practice batch that could not be sent is tried again after this,
  const RETRY_MAX_MS = 60000; // doubling up to this
  const speedKey = "bachata.speed." + data.routineId;
  // A setting of the dancer's, not of one routine: kept for every routine.
  const countInStartKey = "bachata.countInAtStart";
  // A first "1" sooner than this after the music starts is hard to catch: count in before it.
  const COUNT_IN_BEFORE_S = 2;
  const pendingKey = "bachata.practice.pending." + data.routineId;

  const beats = (data.beats || []).map(Number);
  const downbeats = (data.downbeats || []).map(Number);
  const firstDownbeat = Number.isFinite(Number(data.firstDownbeatS)) && data.firstDownbeatS !== null
    ? Number(data.firstDownbeatS) : null;
  const tempoBpm = Number(data.tempoBpm) || null;
  // The list items carry the timings too; the JSON is the source, the items are the view.
  const moveItems = new Map(
    Array.from(document.querySelectorAll("#moves li.move")).map((item) => [String(item.dataset.order), item])
  );
  const moves = (data.moves || []).map((move) => ({
    ...move, start: Number(move.start), end: Number(move.end), item: moveItems.get(String(move.order)) || null,
  }));

  const state = {
    speed: 1,
    loop: { a: null, b: null, on: false, slugs: [], label: "", repetitions: 0 },
    mirror: false,
    counts: false,
    count: null,
    currentMove: null,
    countingIn: false,
  };

  /* ---------- small helpers ---------- */

  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }
  function roundSpeed(value) { return Math.round(value * 100) / 100; }
  function formatSeconds(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }
  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return null; } // private mode
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (error) { /* storage full or blocked */ }
  }

  // Index of the last value <= t in a sorted array, or -1 when t comes before all of them.
  function lastAtOrBefore(sorted, t) {
    let low = 0;
    let high = sorted.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (sorted[middle] <= t) { found = middle; low = middle + 1; } else { high = middle - 1; }
    }
    return found;
  }

  function moveAt(t) {
    for (const move of moves) if (t >= move.start && t < move.end) return move;
    return null;
  }

  /* ---------- speed ---------- */

  // Keep the music's pitch at any speed (slowed-down music that drops an octave is no help).
  function keepPitch() {
    for (const element of videos) {
      element.preservesPitch = true;
      element.mozPreservesPitch = true;
      element.webkitPreservesPitch = true;
    }
  }

  function setSpeed(value) {
    closePracticeSegment(); // time so far counts at the old speed
    const speed = clamp(roundSpeed(Number(value) || 1), SPEED_MIN, SPEED_MAX);
    state.speed = speed;
    keepPitch();
    // defaultPlaybackRate too: a reload of the media resets playbackRate to it. Both twins: a switch keeps it.
    for (const element of videos) {
      element.defaultPlaybackRate = speed;
      element.playbackRate = speed;
    }
    ui.speed.textContent = speed.toFixed(2) + "x";
    ui.slower.disabled = speed <= SPEED_MIN;
    ui.faster.disabled = speed >= SPEED_MAX;
    storageSet(speedKey, String(speed));
    openPracticeSegment();
    return speed;
  }

  function changeSpeed(delta) { return setSpeed(state.speed + delta); }

  function restoreSpeed() {
    const saved = parseFloat(storageGet(speedKey));
    setSpeed(Number.isFinite(saved) ? saved : 1);
  }

  /* ---------- the current move ---------- */

  function highlightMove(move) {
    if (move === state.currentMove) return;
    if (state.currentMove && state.currentMove.item) state.currentMove.item.removeAttribute("aria-current");
    state.currentMove = move;
    if (move && move.item) {
      move.item.setAttribute("aria-current", "step");
      scrollListTo(move.item);
    }
  }

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

  // leaveLoop: a jump the dancer aims outside the running loop (a move name, the seek bar)
  // ends the loop; otherwise the loop would throw them straight back to A.
  function jumpTo(seconds, options) {
    cancelCountIn();
    const target = clamp(seconds, 0, video.duration || seconds);
    const loop = state.loop;
    if (options && options.leaveLoop && loop.on && (target < loop.a || target >= loop.b)) {
      loop.on = false;
      renderLoop();
    }
    video.currentTime = target;
    refresh(target);
  }

  /* ---------- loops ---------- */

  // The moves a span covers by at least a quarter second: they get the credit for its repetitions.
  function movesIn(a, b) {
    return moves.filter((move) => Math.min(b, move.end) - Math.max(a, move.start) > 0.25).map((move) => move.slug);
  }

  function setLoop(a, b, options) {
    const opts = options || {};
    a = Number(a);
    b = Number(b);
    if (!Number.isFinite(a) || !Number.isFinite(b) || b - a < MIN_LOOP_S) {
      showLoopInfo("A loop needs B at least " + MIN_LOOP_S + " s after A.");
      return false;
    }
    state.loop = {
      a: Math.max(0, a), b, on: opts.on !== false, slugs: opts.slugs || movesIn(a, b),
      label: opts.label || "", repetitions: 0,
    };
    renderLoop();
    if (state.loop.on && opts.seek !== false) jumpTo(state.loop.a);
    return true;
  }

  function toggleLoop() {
    if (state.loop.a === null || state.loop.b === null) {
      showLoopInfo("Set A and B, or press ⟲ on a move, to loop.");
      return;
    }
    state.loop.on = !state.loop.on;
    renderLoop();
    if (state.loop.on) {
      const t = video.currentTime;
      if (t < state.loop.a || t >= state.loop.b) jumpTo(state.loop.a);
    }
  }

  function setMarker(which) {
    const t = video.currentTime;
    const loop = state.loop;
    if (which === "a") {
      // A new A after the current B starts a new span.
      const b = loop.b !== null && loop.b - t >= MIN_LOOP_S ? loop.b : null;
      state.loop = { a: t, b, on: false, slugs: [], label: "", repetitions: 0 };
      if (b !== null) setLoop(t, b, { seek: false });
      else renderLoop();
      return;
    }
    const a = loop.a !== null ? loop.a : 0;
    if (t - a < MIN_LOOP_S) {
      showLoopInfo("B must come after A (A is at " + a.toFixed(1) + " s).");
      return;
    }
    setLoop(a, t);
  }

  function loopMove(move) {
    const same = state.loop.on && state.loop.a === move.start && state.loop.b === move.end;
    if (same) {
      state.loop.on = false;
      renderLoop();
      return;
    }
    setLoop(move.start, move.end, { slugs: [move.slug], label: move.name });
    if (video.paused) playVideo();
  }

  function loopSelected() {
    const chosen = moves.filter((move) => move.item && move.item.querySelector(".select-move:checked"));
    if (!chosen.length) {
      showLoopInfo("Tick “select” on one or more moves first.");
      return;
    }
    // A contiguous span: from the first chosen move's start to the last one's end.
    const first = chosen[0];
    const last = chosen[chosen.length - 1];
    const span = moves.filter((move) => move.start >= first.start && move.end <= last.end);
    const label = span.length > 1 ? first.name + " → " + last.name : first.name;
    setLoop(first.start, last.end, { slugs: span.map((move) => move.slug), label });
    if (video.paused) playVideo();
  }

  function renderLoop() {
    const loop = state.loop;
    ui.loop.setAttribute("aria-pressed", String(loop.on));
    for (const move of moves) {
      const button = move.item && move.item.querySelector(".loop-move");
      if (!button) continue;
      const active = loop.on && loop.a === move.start && loop.b === move.end;
      button.setAttribute("aria-pressed", String(active));
      move.item.classList.toggle("in-loop", loop.on && move.start < loop.b && move.end > loop.a);
    }
    if (loop.a === null) { showLoopInfo("No loop set."); return; }
    if (loop.b === null) { showLoopInfo("A at " + loop.a.toFixed(1) + " s: now set B."); return; }
    const span = loop.a.toFixed(1) + " s – " + loop.b.toFixed(1) + " s";
    const what = loop.label ? loop.label + " (" + span + ")" : span;
    const reps = loop.repetitions ? " · " + loop.repetitions + (loop.repetitions === 1 ? " repetition" : " repetitions") : "";
    showLoopInfo((loop.on ? "Looping " : "Loop off: ") + what + reps);
  }

  function showLoopInfo(text) { ui.loopInfo.textContent = text; }

  // Called for every presented frame: jump back when the next frame would be past B, so
  // nothing after B is ever shown (timeupdate fires only every ~250 ms: far too late).
  function checkLoop(t, frameSeconds) {
    const loop = state.loop;
    if (!loop.on || loop.b === null || state.countingIn || video.paused || video.seeking) return;
    if (t + frameSeconds < loop.b - 0.001) return;
    // Far past B means the dancer seeked there: take them back, but that was no repetition.
    repeatLoop(t <= loop.b + 0.5);
  }

  function repeatLoop(counted) {
    const loop = state.loop;
    if (counted) {
      loop.repetitions += 1;
      recordLoop(loop.slugs);
      renderLoop();
    }
    // Saved loops played in order (static/js/loops.js) hand over to the next loop here, after a count-in.
    const next = counted && loopHandoff ? loopHandoff() : null;
    if (next && setLoop(next.a, next.b, { label: next.label, seek: false })) {
      startCountIn(state.loop.a);
    } else if (ui.countIn && ui.countIn.checked) {
      startCountIn(loop.a);
    } else {
      video.currentTime = loop.a;
      if (video.paused) playVideo(); // after "ended" when B is the very end
    }
  }

  /* ---------- count-in: "5 6 7 8" before each repetition, and before the music starts ---------- */

  let countInTimers = [];
  // Set when a count-in hands over to playback, so the "play" it causes is not counted in again.
  let countInDone = false;
  let audioContext = null;

  // One beat near t, from the song's beats (at speed 1); 0.5 s (120 BPM) when unknown.
  function beatLengthNear(t) {
    const index = lastAtOrBefore(beats, t);
    const i = clamp(index, 0, beats.length - 2);
    const length = beats.length > 1 ? beats[i + 1] - beats[i] : 0.5;
    return length > 0.15 && length < 2 ? length : 0.5;
  }

  // The song's own beat (from its tempo) for the count-in before the music.
  function songBeatLength() {
    if (tempoBpm && tempoBpm >= 40 && tempoBpm <= 260) return 60 / tempoBpm;
    return beatLengthNear(firstDownbeat || 0);
  }

  // Count in before the music when the first "1" comes under 2 s in and playback starts before it.
  function countInAtStartWanted() {
    if (!ui.countInStart || !ui.countInStart.checked || firstDownbeat === null) return false;
    return firstDownbeat < COUNT_IN_BEFORE_S && video.currentTime <= firstDownbeat + 0.05 && !video.ended;
  }

  function startCountInAtStart() {
    // From the very start; the "1" then lands one beat after "8" where the song leaves room for it.
    startCountIn(0, { beatS: songBeatLength(), leadS: firstDownbeat });
  }

  // A short click on each count (WebAudio); silent where the page has no sound or the video is muted.
  function beep(accent) {
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
    } catch (error) { /* no sound output: the words on the video are enough */ }
  }

  // options.beatS: the beat (default: the song's beat near a); options.leadS: song time from a to
  // the "1", subtracted from the wait after "8" so the "1" falls on the next beat.
  function startCountIn(a, options) {
    const opts = options || {};
    cancelCountIn();
    state.countingIn = true;
    video.pause();
    video.currentTime = a;
    const beatMs = ((opts.beatS || beatLengthNear(a)) / state.speed) * 1000;
    const leadMs = ((opts.leadS || 0) / state.speed) * 1000;
    ["5", "6", "7", "8"].forEach((word, index) => {
      countInTimers.push(setTimeout(() => {
        showOverlay(word, { countIn: true });
        beep(word === "8");
      }, index * beatMs));
    });
    countInTimers.push(setTimeout(() => {
      state.countingIn = false;
      countInTimers = [];
      countInDone = true;
      playVideo();
    }, Math.max(3 * beatMs, 4 * beatMs - leadMs)));
  }

  function cancelCountIn() {
    countInTimers.forEach(clearTimeout);
    countInTimers = [];
    if (state.countingIn) {
      state.countingIn = false;
      updateCountOverlay(video.currentTime);
    }
  }

  function wireCountInSetting() {
    if (!ui.countInStart) return;
    ui.countInStart.checked = storageGet(countInStartKey) !== "0"; // on unless the dancer turned it off
    ui.countInStart.addEventListener("change", () => storageSet(countInStartKey, ui.countInStart.checked ? "1" : "0"));
  }

  /* ---------- count overlay ---------- */

  // The dancer's count (1-8) at t: beats since the last downbeat ("the 1"), modulo 8.
  function countAt(t) {
    if (!beats.length) return null;
    const beatIndex = lastAtOrBefore(beats, t + 0.02); // a hair early: the eye lags the ear
    if (beatIndex < 0) return null;
    if (!downbeats.length) return (beatIndex % 8) + 1;
    let downbeatIndex = lastAtOrBefore(downbeats, beats[beatIndex] + 0.01);
    if (downbeatIndex < 0) downbeatIndex = 0; // before the first "1": count back from it
    const downbeatBeat = nearestBeatIndex(downbeats[downbeatIndex]);
    return ((((beatIndex - downbeatBeat) % 8) + 8) % 8) + 1;
  }

  function nearestBeatIndex(t) {
    const index = Math.max(0, lastAtOrBefore(beats, t));
    const next = Math.min(index + 1, beats.length - 1);
    return Math.abs(beats[next] - t) < Math.abs(beats[index] - t) ? next : index;
  }

  function showOverlay(text, options) {
    const opts = options || {};
    ui.overlay.textContent = text;
    ui.overlay.classList.toggle("tap", Boolean(opts.tap));
    ui.overlay.classList.toggle("count-in", Boolean(opts.countIn));
    ui.overlay.hidden = false;
  }

  function updateCountOverlay(t) {
    if (state.countingIn) return; // the count-in owns the overlay
    const count = countAt(t);
    state.count = count;
    if (!state.counts || count === null) {
      ui.overlay.hidden = true;
      return;
    }
    ui.overlay.dataset.count = String(count);
    // 4 and 8 are the taps: no weight change, marked differently.
    const tap = count === 4 || count === 8;
    showOverlay(tap ? "tap" : String(count), { tap });
    ui.overlay.setAttribute("aria-label", "count " + count);
  }

  function toggleCounts() {
    state.counts = !state.counts;
    ui.counts.setAttribute("aria-pressed", String(state.counts));
    updateCountOverlay(video.currentTime);
  }

  /* ---------- mirror ---------- */

  // With a mirrored video: switch to it (or back) at the instant shown, keeping speed, play or pause
  // and the loop; the download link follows, so the MP4 saved is the one being watched.
  const twins = mirroredVideo && window.BachataTwins
    ? window.BachataTwins.createTwinSwitcher({ shown: seenVideo, standby: mirroredVideo, onSwitch: onTwinSwitch })
    : null;

  function onTwinSwitch(from, to, info) {
    const playing = info.playing;
    closePracticeSegment();
    video = to;
    // The shown twin's play() is the switch's, not the dancer's: no count-in for it.
    if (playing) countInDone = true;
    lastMediaTime = null;
    refresh(video.currentTime);
    updatePlayButton();
    if (playing) { openPracticeSegment(); requestFrame(true); }
  }

  function renderDownload() {
    if (!ui.download || !twins) return;
    const mirrored = state.mirror;
    ui.download.href = mirrored ? ui.download.dataset.mirroredHref : ui.download.dataset.seenHref;
    ui.download.textContent = mirrored ? "Download MP4 (mirrored)" : "Download MP4";
  }

  function toggleMirror() {
    state.mirror = !state.mirror;
    ui.mirror.setAttribute("aria-pressed", String(state.mirror));
    if (twins) {
      twins.switchTo(state.mirror ? mirroredVideo : seenVideo);
      renderDownload();
      return;
    }
    video.classList.toggle("mirrored", state.mirror);
    // The native controls would be flipped with the picture (a seek bar running right to
    // left): use our own seek bar while mirrored.
    if (ui.seek && video.controls === state.mirror) {
      video.controls = !state.mirror;
      // Chromium (software compositing) can leave a flipped video black once its controls
      // go; rebuilding the element's box gives it a fresh video layer.
      video.style.display = "none";
      void video.offsetHeight;
      video.style.display = "";
    }
    ui.mirror.setAttribute("aria-pressed", String(state.mirror));
  }

  /* ---------- playback and the per-frame loop ---------- */

  function updatePlayButton() {
    const playing = !video.paused;
    ui.play.textContent = playing ? "❚❚ Pause" : "▶︎ Play";
    ui.play.setAttribute("aria-label", playing ? "Pause" : "Play");
  }

  function playVideo() {
    const promise = video.play();
    if (promise && promise.catch) promise.catch(() => { /* autoplay refused: the dancer presses play */ });
  }

  function togglePlay() {
    if (state.countingIn) { cancelCountIn(); return; }
    if (!(video.paused || video.ended)) { video.pause(); return; }
    if (countInAtStartWanted()) startCountInAtStart(); else playVideo();
  }

  let frameRequested = null; // the pending callback's handle, so it is never requested twice
  let frameVideo = video; // the video it was requested on
  let lastMediaTime = null;
  let frameSeconds = 1 / 30;
  const hasFrameCallbacks = typeof video.requestVideoFrameCallback === "function";

  // fresh: drop a pending request first (a media reload can silently drop its callbacks).
  function requestFrame(fresh) {
    if (frameRequested !== null) {
      if (!fresh) return;
      if (hasFrameCallbacks) frameVideo.cancelVideoFrameCallback(frameRequested);
      else window.cancelAnimationFrame(frameRequested);
    }
    frameVideo = video;
    frameRequested = hasFrameCallbacks
      ? video.requestVideoFrameCallback(onVideoFrame)
      : window.requestAnimationFrame(onAnimationFrame);
  }

  function onVideoFrame(now, metadata) {
    frameRequested = null;
    const t = metadata && typeof metadata.mediaTime === "number" ? metadata.mediaTime : video.currentTime;
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
    onFrame(video.currentTime, state.speed / 60);
  }

  function onFrame(t, stepSeconds) {
    checkLoop(t, stepSeconds);
    refresh(t);
    if (!video.paused) requestFrame();
  }

  // Everything on screen that follows the playhead.
  function refresh(t) {
    highlightMove(moveAt(t));
    updateCountOverlay(t);
    if (ui.seek && !seekDragging) ui.seek.value = String(t);
    if (ui.time) ui.time.textContent = formatSeconds(t) + " / " + formatSeconds(video.duration || 0);
  }

  let seekDragging = false;

  function wireSeekBar() {
    if (!ui.seek) return;
    const setMax = () => { if (Number.isFinite(video.duration)) ui.seek.max = String(video.duration); };
    onVideo("loadedmetadata", setMax);
    setMax();
    ui.seek.addEventListener("input", () => { seekDragging = true; jumpTo(Number(ui.seek.value), { leaveLoop: true }); });
    ui.seek.addEventListener("change", () => { seekDragging = false; });
  }

  /* ---------- practice log ---------- */

  const practice = {
    enabled: Boolean(data.practiceUrl),
    clientId: makeClientId(),
    batch: 0,
    startedAt: null,
    segmentStart: null, // performance.now() while playing, else null
    segmentSpeed: 1,
    seconds: 0,
    speeds: {},
    loops: {},
    moveSpeeds: {},
    inFlight: new Set(),
  };

  function makeClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  // Practice time is wall-clock time spent playing (at 0.5x a 4 s move takes 8 s to practise).
  function openPracticeSegment() {
    if (!practice.enabled || video.paused || state.countingIn) return;
    if (practice.startedAt === null) practice.startedAt = new Date().toISOString();
    practice.segmentStart = performance.now();
    practice.segmentSpeed = state.speed;
  }

  function closePracticeSegment() {
    if (!practice.enabled || practice.segmentStart === null) return;
    const elapsed = (performance.now() - practice.segmentStart) / 1000;
    practice.segmentStart = null;
    if (!(elapsed > 0)) return;
    const key = String(roundSpeed(practice.segmentSpeed));
    practice.seconds += elapsed;
    practice.speeds[key] = (practice.speeds[key] || 0) + elapsed;
  }

  function recordLoop(slugs) {
    if (!practice.enabled) return;
    for (const slug of slugs) {
      practice.loops[slug] = (practice.loops[slug] || 0) + 1;
      practice.moveSpeeds[slug] = Math.max(practice.moveSpeeds[slug] || 0, state.speed);
    }
  }

  function readPending() {
    try {
      const list = JSON.parse(storageGet(pendingKey) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (error) {
      return [];
    }
  }

  function batchId(batch) { return batch.client_id + "#" + batch.batch; }

  // Read-modify-write: another tab of the same routine may have changed the list meanwhile.
  function updatePending(change) {
    const list = change(readPending());
    storageSet(pendingKey, JSON.stringify(list.slice(-100)));
  }

  // Turn what was practised since the last batch into a numbered batch, kept until the server has it.
  function takeBatch() {
    const playing = practice.segmentStart !== null;
    closePracticeSegment();
    if (playing) openPracticeSegment();
    const hasLoops = Object.keys(practice.loops).length > 0;
    if (practice.seconds < 0.05 && !hasLoops) return null;
    const round3 = (value) => Math.round(value * 1000) / 1000;
    const speeds = {};
    for (const [speed, seconds] of Object.entries(practice.speeds)) speeds[speed] = round3(seconds);
    practice.batch += 1;
    const batch = {
      client_id: practice.clientId,
      batch: practice.batch,
      started_at: practice.startedAt || new Date().toISOString(),
      seconds: round3(practice.seconds),
      speeds,
      loops: practice.loops,
      move_speeds: practice.moveSpeeds,
    };
    practice.seconds = 0;
    practice.speeds = {};
    practice.loops = {};
    practice.moveSpeeds = {};
    return batch;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // keepalive lets the request outlive the page (pagehide); sendBeacon cannot carry the CSRF header.
  function sendBatch(batch) {
    const id = batchId(batch);
    if (practice.inFlight.has(id)) return Promise.resolve(false);
    practice.inFlight.add(id);
    return fetch(data.practiceUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      redirect: "manual", // a redirect to the login page is not a success
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(batch),
    }).then((response) => {
      // Kept for a retry: network errors, redirects, 5xx, 403 (an expired token or session).
      // Dropped: a 400, which the same batch would get again forever.
      const done = response.ok || response.status === 400;
      if (response.status === 400) console.warn("Practice batch refused", batch);
      if (done) updatePending((list) => list.filter((item) => batchId(item) !== id));
      else retryPendingLater();
      return response.ok;
    }).catch(() => { retryPendingLater(); return false; }).finally(() => practice.inFlight.delete(id));
  }

  // A batch that could not be sent (offline, the server busy) is tried again after a pause that
  // grows each time, paused or playing, so the practice log never waits for the next visit.
  let retryTimer = null;
  let retryDelayMs = RETRY_FIRST_MS;
  function retryPendingLater() {
    if (retryTimer !== null) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      retryDelayMs = Math.min(retryDelayMs * 2, RETRY_MAX_MS);
      Promise.all(readPending().map(sendBatch)).then((sent) => {
        if (sent.every(Boolean)) retryDelayMs = RETRY_FIRST_MS;
      });
    }, retryDelayMs);
  }

  // Queue what was practised (in storage first, so a closed tab loses nothing), then send
  // every batch still pending, this one and any left by a failed send or an earlier visit.
  function flush() {
    if (!practice.enabled) return Promise.resolve([]);
    const batch = takeBatch();
    if (batch) updatePending((list) => list.concat([batch]));
    return Promise.all(readPending().map(sendBatch));
  }

  function wirePracticeLog() {
    if (!practice.enabled) return;
    onVideo("playing", openPracticeSegment);
    onVideo("pause", closePracticeSegment);
    onVideo("waiting", closePracticeSegment); // buffering is not practising
    onVideo("ended", closePracticeSegment);
    setInterval(() => { if (!video.paused) flush(); }, SEND_EVERY_MS);
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") flush();
      else openPracticeSegment();
    });
    if (readPending().length) flush(); // retry what an earlier visit could not send
  }

  /* ---------- keyboard ---------- */

  const NOT_TEXT_INPUTS = ["checkbox", "radio", "range", "button", "submit", "reset"];

  function isTyping(target) {
    if (!target) return false;
    const tag = target.tagName;
    if (tag === "INPUT") return !NOT_TEXT_INPUTS.includes(target.type);
    return tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  // Keys a focused control handles itself: space presses a button or ticks a box, arrows move a slider.
  function controlOwnsKey(target, key) {
    if (!target) return false;
    const tag = target.tagName;
    if (key === " ") return tag === "BUTTON" || tag === "SUMMARY" || (tag === "INPUT" && target.type !== "range");
    if (key === "ArrowLeft" || key === "ArrowRight") return tag === "INPUT" && target.type === "range";
    return false;
  }

  const keyActions = {
    " ": togglePlay,
    ArrowLeft: () => jumpTo(video.currentTime - SEEK_STEP_S),
    ArrowRight: () => jumpTo(video.currentTime + SEEK_STEP_S),
    "[": () => setMarker("a"),
    "]": () => setMarker("b"),
    l: toggleLoop,
    m: toggleMirror,
    c: toggleCounts,
    "+": () => changeSpeed(SPEED_STEP),
    "=": () => changeSpeed(SPEED_STEP),
    "-": () => changeSpeed(-SPEED_STEP),
    _: () => changeSpeed(-SPEED_STEP),
    PageUp: () => changeSpeed(SPEED_BIG_STEP),
    PageDown: () => changeSpeed(-SPEED_BIG_STEP),
  };

  function onKeyDown(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (controlOwnsKey(event.target, key)) return;
    const action = keyActions[key];
    if (!action) return;
    event.preventDefault(); // no page scroll on space, no native seek on the arrows
    action();
  }

  /* ---------- wiring ---------- */

  function wireControls() {
    ui.play.addEventListener("click", togglePlay);
    // Shift-click for quarter steps (0.25x); a plain click moves by 0.05x.
    ui.slower.addEventListener("click", (event) => changeSpeed(event.shiftKey ? -SPEED_BIG_STEP : -SPEED_STEP));
    ui.faster.addEventListener("click", (event) => changeSpeed(event.shiftKey ? SPEED_BIG_STEP : SPEED_STEP));
    ui.setA.addEventListener("click", () => setMarker("a"));
    ui.setB.addEventListener("click", () => setMarker("b"));
    ui.loop.addEventListener("click", toggleLoop);
    ui.mirror.addEventListener("click", toggleMirror);
    ui.counts.addEventListener("click", toggleCounts);
    if (ui.loopSelected) ui.loopSelected.addEventListener("click", loopSelected);
    for (const move of moves) {
      if (!move.item) continue;
      const jump = move.item.querySelector(".jump");
      const loopButton = move.item.querySelector(".loop-move");
      if (jump) jump.addEventListener("click", () => jumpTo(move.start, { leaveLoop: true }));
      if (loopButton) loopButton.addEventListener("click", () => loopMove(move));
    }
    document.addEventListener("keydown", onKeyDown);
  }

  function wireVideo() {
    const sync = () => { refresh(video.currentTime); requestFrame(); };
    onVideo("play", () => {
      // Play pressed during a count-in (native controls): the dancer is ready, skip the rest.
      if (state.countingIn) cancelCountIn();
      else if (countInDone) countInDone = false;
      // Started from the native controls (or a loop) before the first "1": count in first.
      else if (countInAtStartWanted()) { startCountInAtStart(); return; }
      lastMediaTime = null;
      requestFrame(true);
    });
    onVideo("playing", () => requestFrame());
    onVideo("seeked", () => { lastMediaTime = null; sync(); });
    onVideo("loadedmetadata", sync);
    // A source (re)load resets the rate to the default: put the dancer's speed back.
    onVideo("loadstart", () => { keepPitch(); video.playbackRate = state.speed; });
    onVideo("ratechange", () => {
      // The native controls can change the rate as well: keep ours in step.
      if (Math.abs(video.playbackRate - state.speed) > 0.001 && video.playbackRate > 0) setSpeed(video.playbackRate);
    });
    onVideo("ended", () => {
      const loop = state.loop;
      if (loop.on && loop.b !== null && loop.b >= video.duration - 0.1) repeatLoop(true);
    });
    onVideo("play", updatePlayButton);
    onVideo("pause", updatePlayButton);
    updatePlayButton();
  }

  restoreSpeed();
  wireCountInSetting();
  wireControls();
  wireVideo();
  wireSeekBar();
  wirePracticeLog();
  renderLoop();
  refresh(video.currentTime || 0);

  // A small surface for tests, the console and the saved loops (static/js/loops.js).
  let loopHandoff = null;
  window.bachataPlayer = {
    setSpeed,
    // options: label (shown as "Looping <label>"); a loop that is on starts at its A.
    setLoop: (a, b, options) => setLoop(a, b, { label: options && options.label }),
    play: playVideo,
    // handoff(): at the end of a repetition, the next loop {a, b, label} to play instead, or null to repeat.
    setLoopHandoff: (handoff) => { loopHandoff = handoff || null; },
    flush,
    get state() {
      return {
        speed: state.speed,
        loop: { a: state.loop.a, b: state.loop.b, on: state.loop.on, slugs: state.loop.slugs.slice(),
          repetitions: state.loop.repetitions },
        mirror: state.mirror,
        // Which video is shown ("seen" or "mirrored"), whether a switch is under way, and the last one's times.
        showing: video.dataset.twin || "seen",
        switching: Boolean(twins && twins.switching),
        lastSwitch: twins && twins.last ? { ...twins.last } : null,
        counts: state.counts,
        count: state.count,
        currentMove: state.currentMove ? state.currentMove.slug : null,
        countingIn: state.countingIn,
        clientId: practice.clientId,
        pending: readPending().length,
      };
    },
  };
})();
