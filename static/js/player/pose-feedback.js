// Timing feedback from pose, on the device: are the dancer's steps on the beat? Three ways in, from the Timing
// panel beside Camera: live while the camera is on, a take recorded with the camera while the routine plays, or a
// video the dancer already has. Every picture stays in this page (MediaPipe runs here, from our own static files);
// only the numbers are kept with the practice session. The pose model (pose-engine.js) and the step finder
// (steps.js) load on first use, not with the page. The plain parts are in pose-timing.js.
import {
  LIVE_JUDGE_AFTER_S, LIVE_MIN_FPS, bodyShare, phraseLine, progressText, routineTimeAt, scoreFrames, summaryLines,
  takeRate, timingPayload, tooSlowText,
} from "./pose-timing.js";

// Frames per second of the take or file analysed (by its own media time).
const ANALYSIS_FPS = 15;
// Fewer frames than this share with a body in them: the camera did not see the dancer for most of it.
const FEW_BODIES = 0.3;
// The first live pictures, slower while the graph adapts to the camera's size, are not judged for speed.
const LIVE_WARM_FRAMES = 2;
// The recorder's formats, best first (Chrome and Firefox: WebM; Safari: MP4).
const TAKE_TYPES = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm", "video/mp4"];

const MESSAGES = {
  loading: "Getting the pose model ready on this device (the first time takes a few seconds)…",
  engineFailed: "The pose model could not start in this browser, so there is no timing reading. The player works as before.",
  noCamera: "Timing needs your camera for this: press Camera (or see the message above), then try again.",
  noRecorder: "This browser cannot record your camera. Use a video you have instead (recorded with your phone).",
  livePress: "Live timing is on: press Play and dance with the routine. A summary comes after each loop, or when you pause.",
  liveStopped: "Live timing is off.",
  recording: "Recording your take (it stays on this device). Dance with the routine, then press Stop and analyse.",
  notPlayed: "The routine did not play while you recorded, so there is nothing to compare with its beats. "
    + "Press Record a take, and dance while the routine plays.",
  unreadable: "Your browser cannot read this video. Try an MP4 or WebM file.",
  noBody: "No body found in the video: the pose model saw no one in any frame. Stand back so that the camera "
    + "sees you from head to feet, in good light, and try again.",
  fewBodies: "Your body was found in only a few frames, so this reading is rough: stand back so that the camera sees "
    + "you from head to feet.",
  noSteps: "No steps found: was the whole body, feet included, in the picture while the routine played?",
  cancelled: "Stopped. Nothing was kept.",
  takeRecording: "Your camera is on, mirrored, and recording a take on this device for timing: nothing is sent.",
  takeKept: "Your camera is on, mirrored. The take stays on this device, only for the analysis: nothing is sent.",
  saved: "Kept with this practice session: the numbers only, never your picture.",
  notSaved: "Not kept: this routine is not yours. The numbers stay on this page.",
};

function pickTakeType() {
  if (typeof MediaRecorder === "undefined") return null;
  if (typeof MediaRecorder.isTypeSupported !== "function") return "";
  return TAKE_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}


function once(target, type) {
  return new Promise((resolve, reject) => {
    const done = () => {
      target.removeEventListener("error", failed);
      resolve();
    };
    const failed = () => {
      target.removeEventListener(type, done);
      reject(new Error("unreadable"));
    };
    target.addEventListener(type, done, { once: true });
    target.addEventListener("error", failed, { once: true });
  });
}

export function installPoseFeedback(player) {
  const $ = (id) => document.getElementById(id);
  const button = $("timing");
  const panel = $("timing-panel");
  if (!button || !panel) return;
  const ui = {
    live: $("timing-live"), record: $("timing-record"), file: $("timing-file"), status: $("timing-status"),
    progress: $("timing-progress"), cancel: $("timing-cancel"), results: $("timing-results"),
    summary: $("timing-summary"), phrases: $("timing-phrases"), saved: $("timing-saved"),
    cameraView: $("camera-video"), cameraInfo: $("camera-info"),
  };
  const assetsUrl = panel.dataset.assets || "/static/vendor/mediapipe-pose/";

  // mode: null, "live", "recording" or "analysing"; report: the last reading shown.
  const feedback = { mode: null, report: null, source: null, fps: null, message: "" };
  player.poseFeedback = feedback;
  let enginePromise = null;
  let live = null;
  let take = null;
  let analysis = null;

  function say(text) {
    feedback.message = text || "";
    ui.status.textContent = feedback.message;
  }

  // The camera's own line says "nothing is recorded" while it only shows the picture: not while a take records.
  function sayOnCamera(text) {
    if (ui.cameraInfo) ui.cameraInfo.textContent = text;
  }

  function render() {
    button.setAttribute("aria-expanded", String(!panel.hidden));
    ui.live.setAttribute("aria-pressed", String(feedback.mode === "live"));
    ui.live.textContent = feedback.mode === "live" ? "Stop live timing" : "Live while the camera is on";
    ui.record.setAttribute("aria-pressed", String(feedback.mode === "recording"));
    ui.record.textContent = feedback.mode === "recording" ? "Stop and analyse" : "Record a take";
    const busy = feedback.mode === "analysing";
    ui.live.disabled = busy || feedback.mode === "recording";
    ui.record.disabled = busy || feedback.mode === "live";
    ui.file.disabled = Boolean(feedback.mode);
    ui.file.closest("label").classList.toggle("disabled", Boolean(feedback.mode));
    ui.progress.hidden = !busy;
    ui.cancel.hidden = !busy;
  }

  function setMode(mode) {
    feedback.mode = mode;
    render();
  }

  /* ---------- the pose model and the step finder, loaded on first use ---------- */

  function engine() {
    if (!enginePromise) {
      say(MESSAGES.loading);
      enginePromise = import("./pose-engine.js").then((module) => module.createPoseEngine({ assetsUrl })
        .then((created) => ({ module, engine: created })));
      enginePromise.catch(() => {
        enginePromise = null;
      });
    }
    return enginePromise;
  }

  const steps = () => import("./steps.js");

  /* ---------- results ---------- */

  function clearResults() {
    ui.results.hidden = true;
    ui.summary.replaceChildren();
    ui.phrases.replaceChildren();
  }

  function phraseItem(phrase, repeated) {
    const item = document.createElement("li");
    item.className = "timing-phrase";
    const text = document.createElement("span");
    text.textContent = (repeated ? `Repetition ${phrase.pass + 1}, ` : "") + phraseLine(phrase);
    if (phrase.steps && phrase.share !== null && phrase.share < 1) item.classList.add("off-beat");
    item.append(text);
    const moment = (phrase.lookAgain || []).find(Number.isFinite);
    if (moment !== undefined) {
      const look = document.createElement("button");
      look.type = "button";
      look.className = "btn small secondary look-again";
      look.textContent = "Look again";
      look.title = "Go to the moment to look at, paused";
      look.addEventListener("click", () => {
        player.video.pause();
        player.jumpTo(moment, { leaveLoop: true });
      });
      item.append(look);
    }
    const loop = document.createElement("button");
    loop.type = "button";
    loop.className = "btn small secondary loop-phrase";
    loop.textContent = "Loop this phrase";
    loop.addEventListener("click", () => {
      if (player.setLoop(phrase.start, phrase.end, { label: `phrase ${phrase.index + 1}` }) && player.video.paused) {
        player.playVideo();
      }
    });
    item.append(loop);
    return item;
  }

  async function showReport(report, source) {
    feedback.report = report;
    feedback.source = source;
    clearResults();
    for (const line of summaryLines(report)) {
      const item = document.createElement("li");
      item.textContent = line;
      ui.summary.append(item);
    }
    const repeated = report.passes > 1;
    for (const phrase of report.phrases) ui.phrases.append(phraseItem(phrase, repeated));
    ui.results.hidden = false;
    ui.saved.textContent = player.practiceLogEnabled ? "Keeping the numbers with this practice session…" : MESSAGES.notSaved;
    if (!player.practiceLogEnabled) return;
    const sent = await player.recordTiming(timingPayload(report, source));
    feedback.saved = sent.some(Boolean);
    ui.saved.textContent = feedback.saved ? MESSAGES.saved
      : "Not sent yet (offline?): the numbers wait on this device and go with your next practice.";
  }

  /* ---------- a take or a file, analysed frame by frame ---------- */

  async function analyse(blob, { what, source, toRoutineTime, playbackRate = 1 }) {
    setMode("analysing");
    clearResults();
    const controller = new AbortController();
    analysis = controller;
    const url = URL.createObjectURL(blob);
    const video = document.createElement("video");
    video.className = "timing-source";
    video.muted = true;
    video.playsInline = true;
    video.preload = "auto";
    video.setAttribute("aria-hidden", "true");
    panel.append(video);
    try {
      const loaded = once(video, "loadeddata");
      video.src = url;
      try {
        await loaded;
      } catch (error) {
        say(MESSAGES.unreadable);
        return null;
      }
      let loadedEngine;
      try {
        loadedEngine = await engine();
      } catch (error) {
        say(MESSAGES.engineFailed);
        return null;
      }
      const stepFinder = await steps();
      ui.progress.value = 0;
      say(progressText(what, 0));
      const frames = await loadedEngine.module.analyseVideo(loadedEngine.engine, video, {
        fps: ANALYSIS_FPS,
        toRoutineTime,
        signal: controller.signal,
        onProgress: ({ done, total, msPerFrame }) => {
          ui.progress.value = total ? done / total : 0;
          feedback.msPerFrame = msPerFrame;
          say(progressText(what, total ? done / total : 0, ((total - done) * msPerFrame) / 1000));
        },
      });
      if (controller.signal.aborted) {
        say(MESSAGES.cancelled);
        return null;
      }
      const timed = frames.filter((frame) => Number.isFinite(frame.t));
      const bodies = bodyShare(timed);
      if (!timed.length) {
        say(MESSAGES.notPlayed);
        return null;
      }
      if (bodies === 0) {
        say(MESSAGES.noBody);
        return null;
      }
      const report = scoreFrames(timed, player.timeline, stepFinder, { playbackRate });
      if (!report.steps) {
        say(MESSAGES.noSteps);
        return null;
      }
      say(bodies < FEW_BODIES ? MESSAGES.fewBodies : `Your ${source === "take" ? "take" : "video"}, analysed on this device:`);
      await showReport(report, source);
      return report;
    } catch (error) {
      if (controller.signal.aborted || (error && error.name === "AbortError")) say(MESSAGES.cancelled);
      else say(`The analysis stopped: ${error && error.message ? error.message : error}. Nothing was kept.`);
      return null;
    } finally {
      analysis = null;
      video.removeAttribute("src");
      video.load();
      video.remove();
      URL.revokeObjectURL(url);
      setMode(null);
    }
  }

  ui.cancel.addEventListener("click", () => {
    if (analysis) analysis.abort();
  });

  ui.file.addEventListener("change", () => {
    const file = ui.file.files && ui.file.files[0];
    ui.file.value = ""; // the same file can be picked again
    if (!file || feedback.mode) return;
    // A video of the routine danced from its start: its time is the routine's.
    analyse(file, { what: "your video", source: "file", toRoutineTime: (t) => t });
  });

  /* ---------- record a take ---------- */

  async function startRecording() {
    const type = pickTakeType();
    if (type === null) {
      say(MESSAGES.noRecorder);
      return;
    }
    const stream = await player.startCamera();
    if (!stream) {
      say(MESSAGES.noCamera);
      return;
    }
    let recorder;
    try {
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    } catch (error) {
      say(MESSAGES.noRecorder);
      return;
    }
    clearResults();
    // anchors: the routine's media time against the page's clock, on every screen frame while the routine plays;
    // made take times once the take's time 0 is known.
    take = { recorder, chunks: [], anchors: [], startCalled: null, startEvent: null, firstFrame: null, frame: null };
    const current = take;
    const mark = () => {
      const video = player.video;
      if (!video.paused && !video.seeking && !player.state.countingIn) {
        current.anchors.push({ wall: performance.now(), routine: video.currentTime });
      }
      current.frame = requestAnimationFrame(mark);
    };
    // The take's time 0 is the capture time of its first camera frame: the first frame the camera's picture on the
    // page shows after the recorder started (Chrome gives its capture time), else when the recorder said it started.
    const noteFirstFrame = (now, metadata) => {
      const captured = metadata && metadata.captureTime;
      if (Number.isFinite(captured) && captured >= current.startCalled) current.firstFrame = captured;
      else if (take === current && current.firstFrame === null && now - current.startCalled < 1000) {
        ui.cameraView.requestVideoFrameCallback(noteFirstFrame);
      }
    };
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) current.chunks.push(event.data);
    });
    recorder.addEventListener("start", () => {
      current.startEvent = performance.now();
    });
    recorder.addEventListener("stop", () => {
      cancelAnimationFrame(current.frame);
      take = null;
      if (player.camera && player.camera.stream) sayOnCamera(MESSAGES.takeKept);
      const blob = new Blob(current.chunks, { type: recorder.mimeType || type || "video/webm" });
      if (!current.anchors.length) {
        setMode(null);
        say(MESSAGES.notPlayed);
        return;
      }
      const origin = current.firstFrame ?? current.startEvent ?? current.startCalled;
      feedback.takeOrigin = { fromFrame: current.firstFrame !== null, startEventAfterMs: current.startEvent - origin };
      const anchors = current.anchors.map(({ wall, routine }) => ({ take: (wall - origin) / 1000, routine }));
      analyse(blob, {
        what: "your take", source: "take", toRoutineTime: (t) => routineTimeAt(anchors, t), playbackRate: takeRate(anchors),
      });
    });
    current.startCalled = performance.now();
    if (typeof ui.cameraView.requestVideoFrameCallback === "function") {
      ui.cameraView.requestVideoFrameCallback(noteFirstFrame);
    }
    recorder.start(1000);
    current.frame = requestAnimationFrame(mark);
    setMode("recording");
    say(MESSAGES.recording);
    sayOnCamera(MESSAGES.takeRecording);
    if (player.video.paused && !player.state.countingIn) player.togglePlay();
  }

  function stopRecording() {
    if (!take || take.recorder.state === "inactive") return;
    if (!player.video.paused) player.video.pause();
    take.recorder.stop();
  }

  ui.record.addEventListener("click", () => (feedback.mode === "recording" ? stopRecording() : startRecording()));
  player.onVideo("ended", () => {
    if (feedback.mode === "recording" && !player.state.loop.on) stopRecording();
  });

  /* ---------- live ---------- */

  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

  // The frames of this live run so far, scored when the dancer pauses or the loop goes round.
  async function scoreLive(run) {
    const frames = run.frames;
    run.frames = [];
    if (frames.length < 2 || !run.steps) return;
    const report = scoreFrames(frames, player.timeline, run.steps, { playbackRate: player.state.speed });
    if (!report.steps) {
      say(bodyShare(frames) === 0 ? MESSAGES.noBody : MESSAGES.noSteps);
      return;
    }
    say("Live timing, the last part you danced:");
    await showReport(report, "live");
  }

  function tooSlow(run, fps) {
    feedback.fps = fps;
    stopLive({ score: false });
    say(tooSlowText(fps));
    // The recording is the way on: point at it.
    ui.record.classList.add("suggested");
    ui.record.focus();
    run.frames = [];
  }

  async function runLive(run) {
    let loadedEngine;
    try {
      loadedEngine = await engine();
      run.steps = await steps();
    } catch (error) {
      stopLive({ score: false });
      say(MESSAGES.engineFailed);
      return;
    }
    if (live !== run) return;
    say(MESSAGES.livePress);
    let last = null;
    while (live === run) {
      if (!player.camera || !player.camera.on) {
        // The camera went off (the dancer, or the device): nothing more to watch.
        stopLive();
        return;
      }
      const video = player.video;
      if (video.paused || video.seeking || player.state.countingIn || ui.cameraView.readyState < 2) {
        await nextFrame();
        continue;
      }
      const t = video.currentTime;
      const asked = performance.now();
      const landmarks = await loadedEngine.engine.estimate(ui.cameraView);
      if (live !== run) break;
      run.estimates += 1;
      // The loop went round (or the dancer jumped back): a summary of the pass just danced.
      if (last !== null && t < last - 0.05) await scoreLive(run);
      last = t;
      run.frames.push({ t, landmarks });
      // The first pictures of the camera's size cost more (the graph adapts to it): not judged.
      if (run.estimates <= LIVE_WARM_FRAMES) continue;
      run.costMs += performance.now() - asked;
      feedback.msPerFrame = run.costMs / (run.estimates - LIVE_WARM_FRAMES);
      run.judged.push({ t, landmarks });
      const span = run.judged[run.judged.length - 1].t - run.judged[0].t;
      if (span >= LIVE_JUDGE_AFTER_S && run.judged.length > 1) {
        const fps = run.steps.frameRateOf(run.judged);
        feedback.fps = fps;
        if (fps < LIVE_MIN_FPS) {
          tooSlow(run, fps);
          return;
        }
        run.judged = run.judged.slice(-Math.ceil(fps * LIVE_JUDGE_AFTER_S));
      }
    }
  }

  async function startLive() {
    const stream = await player.startCamera();
    if (!stream) {
      say(MESSAGES.noCamera);
      return;
    }
    clearResults();
    live = { frames: [], judged: [], steps: null, estimates: 0, costMs: 0 };
    setMode("live");
    runLive(live);
  }

  function stopLive({ score = true } = {}) {
    const run = live;
    live = null;
    if (feedback.mode === "live") setMode(null);
    if (!run || !score) return;
    if (run.frames.length > 1) scoreLive(run);
    else say(MESSAGES.liveStopped);
  }

  ui.live.addEventListener("click", () => (feedback.mode === "live" ? stopLive() : startLive()));
  player.onVideo("pause", () => {
    if (live) {
      // Pausing ends a pass: restart the frame-rate judgement with the next one.
      live.judged = [];
      scoreLive(live);
    }
  });

  /* ---------- the panel ---------- */

  button.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    render();
  });
  window.addEventListener("pagehide", () => {
    if (live) stopLive({ score: false });
    if (take) take.recorder.stop();
    if (analysis) analysis.abort();
  });
  render();
}
