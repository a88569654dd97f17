// Pose on the device: MediaPipe's pose graph (the npm package @mediapipe/pose, copied by `make js` into
// /static/vendor/mediapipe-pose/) finds the dancer's 33 body landmarks in a picture. Every file it needs (its
// script, wasm, packed assets, graph and model) comes from our own static files through `locateFile`:
// nothing is sent anywhere, no picture leaves the page. Where there is no GPU the graph runs on WebGL2
// emulated by SwiftShader (headless Chromium here: about half a second a picture), so a recording is
// analysed frame by frame by seeking (analyseVideo), each frame at its own media time, never the wall clock.

const DEFAULT_ASSETS_URL = "/static/vendor/mediapipe-pose/";
const SCRIPT_NAME = "pose.js";
const WARM_UP_SIZE = 64; // pixels: a blank square is enough to compile the graph's shaders and load the model
// A seek lands on the frame shown at that time: aim a hair after the frame's start, so a time that is a
// whole frame of the video (k / fps) is not rounded onto the frame before.
const SEEK_NUDGE_S = 0.001;
// The frame a seek shows says its own media time (requestVideoFrameCallback); where no new frame comes
// within this long (the seek stayed on the frame shown), the seek's time stands.
const FRAME_TIME_WAIT_MS = 250;

let scriptPromise = null;

// The classic script defines window.Pose; loaded once per page.
function loadPoseScript(assetsUrl) {
  if (window.Pose) return Promise.resolve(window.Pose);
  if (!scriptPromise) {
    scriptPromise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = assetsUrl + SCRIPT_NAME;
      script.crossOrigin = "anonymous";
      script.onload = () => (window.Pose ? resolve(window.Pose) : reject(new Error("pose.js defined no Pose")));
      script.onerror = () => {
        scriptPromise = null;
        reject(new Error(`could not load ${script.src}`));
      };
      document.head.appendChild(script);
    });
  }
  return scriptPromise;
}

function blankCanvas(size) {
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.getContext("2d").fillRect(0, 0, size, size);
  return canvas;
}

function plainLandmarks(landmarks) {
  if (!landmarks || !landmarks.length) return null;
  return landmarks.map(({ x, y, z, visibility }) => ({ x, y, z, visibility }));
}

// A pose engine: estimate(imageSource) -> Promise of the 33 landmarks ({x, y, z, visibility}, x and y 0..1 of
// the picture, y down) or null where no body is seen; close() frees the graph. One picture at a time: the
// calls queue. Resolves once the graph has run once (the first run costs seconds).
export async function createPoseEngine({ assetsUrl = DEFAULT_ASSETS_URL, modelComplexity = 0 } = {}) {
  const Pose = await loadPoseScript(assetsUrl);
  const pose = new Pose({ locateFile: (file) => assetsUrl + file });
  pose.setOptions({
    modelComplexity,
    // The step finder smooths over time itself, by media time: the graph's smoothing assumes live frames.
    smoothLandmarks: false,
    enableSegmentation: false,
    selfieMode: false,
    minDetectionConfidence: 0.5,
    minTrackingConfidence: 0.5,
  });
  let latest = null;
  pose.onResults((results) => {
    latest = plainLandmarks(results.poseLandmarks);
  });
  let queue = Promise.resolve();
  let closed = false;

  function estimate(imageSource) {
    const run = queue.then(async () => {
      if (closed) throw new Error("the pose engine is closed");
      latest = null;
      await pose.send({ image: imageSource });
      return latest;
    });
    queue = run.catch(() => {});
    return run;
  }

  await pose.initialize();
  await estimate(blankCanvas(WARM_UP_SIZE));
  return {
    estimate,
    async close() {
      closed = true;
      await queue;
      await pose.close();
    },
  };
}

// The media time of the next frame the video presents, or `fallback` where none comes (or the browser
// cannot say): a recording's frames need not fall on the times asked for.
function presentedFrameTime(video, fallback) {
  if (typeof video.requestVideoFrameCallback !== "function") return () => Promise.resolve(fallback);
  let presented = null;
  video.requestVideoFrameCallback((_now, metadata) => {
    presented = metadata.mediaTime;
  });
  return () => new Promise((resolve) => {
    if (presented !== null) {
      resolve(presented);
      return;
    }
    const started = performance.now();
    const poll = () => {
      if (presented !== null) resolve(presented);
      else if (performance.now() - started > FRAME_TIME_WAIT_MS) resolve(fallback);
      else setTimeout(poll, 5);
    };
    poll();
  });
}

function seek(video, time) {
  return new Promise((resolve, reject) => {
    const done = () => {
      video.removeEventListener("seeked", done);
      video.removeEventListener("error", failed);
      resolve();
    };
    const failed = () => {
      video.removeEventListener("seeked", done);
      video.removeEventListener("error", failed);
      reject(new Error("the video could not be read at " + time.toFixed(2) + " s"));
    };
    video.addEventListener("seeked", done);
    video.addEventListener("error", failed);
    video.currentTime = time;
  });
}

async function knownDuration(video) {
  if (video.readyState < 1) {
    await new Promise((resolve, reject) => {
      video.addEventListener("loadedmetadata", resolve, { once: true });
      video.addEventListener("error", () => reject(new Error("the video could not be opened")), { once: true });
    });
  }
  if (Number.isFinite(video.duration)) return video.duration;
  // A MediaRecorder file has no duration until the end has been looked for.
  await seek(video, 1e7);
  const duration = video.duration;
  return Number.isFinite(duration) ? duration : video.currentTime;
}

// Every frame of a (recorded or picked) video at `fps` frames per second of its own media time, through the
// engine: [{t, landmarks, aspect}], t = toRoutineTime(the media time of the frame read, as the video presents
// it), aspect = the picture's width / height (for findFootEvents). onProgress({done, total, msPerFrame});
// `signal` (an AbortSignal) stops it with an AbortError. The video is left paused where it stopped.
export async function analyseVideo(engine, video, { fps = 15, toRoutineTime = (t) => t, onProgress, signal } = {}) {
  video.pause();
  const duration = await knownDuration(video);
  const times = [];
  for (let index = 0; index / fps < duration; index += 1) times.push(index / fps + SEEK_NUDGE_S);
  const frames = [];
  const aspect = video.videoWidth && video.videoHeight ? video.videoWidth / video.videoHeight : undefined;
  const started = performance.now();
  let lastMediaTime = null;
  for (const [done, time] of times.entries()) {
    if (signal && signal.aborted) throw new DOMException("the analysis was stopped", "AbortError");
    const target = Math.min(time, duration);
    const frameTime = presentedFrameTime(video, target - SEEK_NUDGE_S);
    await seek(video, target);
    const mediaTime = await frameTime();
    // Asked for more frames a second than the video has: a frame already read is not read again.
    if (mediaTime !== lastMediaTime) {
      lastMediaTime = mediaTime;
      const landmarks = await engine.estimate(video);
      frames.push({ t: toRoutineTime(mediaTime), landmarks, aspect });
    }
    if (onProgress) {
      onProgress({ done: done + 1, total: times.length, msPerFrame: (performance.now() - started) / (done + 1) });
    }
  }
  return frames;
}
