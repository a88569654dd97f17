// Camera: the dancer's own camera beside the routine's video (under it on a phone), mirrored like a
// dance-studio mirror. The picture goes from getUserMedia straight into a <video> on this page: nothing is
// recorded or sent. Turning it off, or leaving the page, stops every track, so the camera light goes out.
// The pure parts (can this browser try, which message for which failure, the request, stopping a stream)
// are unit-tested in static/js/tests/camera.test.mjs; the layout is CSS (player.css, .stage).

export const CAMERA_MESSAGES = {
  notFound: "We can't find a camera on this device. Plug one in or switch it on, then press Camera again. "
    + "The video works as before.",
  refused: "Your browser isn't letting this page use the camera. Allow the camera for this site (the camera "
    + "icon in the address bar, or your browser's site settings), then press Camera again. The video works as before.",
  busy: "Your camera is busy: another app or tab is using it. Close that one, then press Camera again. "
    + "The video works as before.",
  insecure: "The camera only works on a secure page: an https:// address, or localhost on your own computer. "
    + "Open Bachata Buddy over https to practise with your camera. The video works as before.",
  unsupported: "This browser can't show your camera. A recent Chrome, Firefox, Safari or Edge can. "
    + "The video works as before.",
  stopped: "Your camera stopped (unplugged, or taken by another app). Press Camera to start it again.",
  other: "Your camera could not start. Press Camera to try again. The video works as before.",
};

// DOMException names from getUserMedia, by what the dancer can do about them.
const KIND_BY_ERROR = {
  NotFoundError: "notFound",
  DevicesNotFoundError: "notFound", // older Chrome
  OverconstrainedError: "notFound", // no camera matches what was asked for
  NotAllowedError: "refused",
  PermissionDeniedError: "refused", // older Chrome
  SecurityError: "refused", // the page's Permissions-Policy or the browser's settings forbid it
  NotReadableError: "busy",
  TrackStartError: "busy", // older Chrome
  AbortError: "busy",
};

// Why this browser cannot even ask for the camera ("insecure" or "unsupported"), or null when it can.
// env: { isSecureContext, mediaDevices } (window and navigator's, or a plain object in tests).
export function cameraUnavailableReason(env) {
  if (env.isSecureContext === false) return "insecure";
  const devices = env.mediaDevices;
  if (!devices || typeof devices.getUserMedia !== "function") return "unsupported";
  return null;
}

// The kind of failure ("notFound", "refused", "busy", "insecure", "unsupported", "stopped" or "other")
// for an error thrown by getUserMedia (anything with a name) or a reason from cameraUnavailableReason.
export function cameraFailureKind(errorOrReason) {
  const own = (table, key) => typeof key === "string" && Object.prototype.hasOwnProperty.call(table, key);
  if (typeof errorOrReason === "string") return own(CAMERA_MESSAGES, errorOrReason) ? errorOrReason : "other";
  const name = errorOrReason && errorOrReason.name;
  return own(KIND_BY_ERROR, name) ? KIND_BY_ERROR[name] : "other";
}

export function cameraMessage(errorOrReason) {
  return CAMERA_MESSAGES[cameraFailureKind(errorOrReason)];
}

// Picture only, the camera that faces the dancer (the front one on a phone). The panel is at most half
// the page wide, so a modest size is plenty to see oneself and asks less of the camera and the CPU.
export function cameraConstraints() {
  return {
    audio: false,
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 360 } },
  };
}

// Stops every track of a stream (the camera light goes out); returns how many were stopped.
export function stopStream(stream) {
  if (!stream) return 0;
  const tracks = stream.getTracks();
  for (const track of tracks) track.stop();
  return tracks.length;
}

export function installCamera(player) {
  const button = document.getElementById("camera");
  const stage = document.getElementById("stage");
  const layout = document.getElementById("player");
  const panel = document.getElementById("camera-panel");
  const view = document.getElementById("camera-video");
  const info = document.getElementById("camera-info");
  if (!button || !stage || !panel || !view) return;

  // on: the dancer wants it; stream: what getUserMedia gave; request: counts the asks, so that an answer
  // arriving after the dancer turned the camera off (or asked again) is stopped, not shown.
  const camera = { on: false, stream: null, request: 0 };
  player.camera = camera;

  function say(text) {
    if (info) info.textContent = text || "";
  }

  function render() {
    button.setAttribute("aria-pressed", String(camera.on));
    panel.hidden = !camera.on;
    stage.classList.toggle("with-camera", camera.on);
    // Two pictures side by side need the page's whole width: the move list goes under the player meanwhile.
    if (layout) layout.classList.toggle("camera-on", camera.on);
  }

  function stop() {
    camera.request += 1;
    stopStream(camera.stream);
    camera.stream = null;
    view.srcObject = null;
  }

  function turnOff(message) {
    camera.on = false;
    stop();
    render();
    say(message || "");
  }

  async function turnOn() {
    const reason = cameraUnavailableReason({ isSecureContext: window.isSecureContext, mediaDevices: navigator.mediaDevices });
    if (reason) {
      say(cameraMessage(reason));
      return;
    }
    camera.on = true;
    const request = ++camera.request;
    render();
    say("Starting your camera… Your picture stays on this device: nothing is recorded or sent.");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(cameraConstraints());
    } catch (error) {
      if (request === camera.request) turnOff(cameraMessage(error));
      return;
    }
    if (request !== camera.request) {
      stopStream(stream); // turned off (or the page left) while the browser was asking
      return;
    }
    camera.stream = stream;
    for (const track of stream.getVideoTracks()) {
      track.addEventListener("ended", () => {
        if (camera.stream === stream) turnOff(cameraMessage("stopped"));
      });
    }
    view.srcObject = stream;
    say("Your camera is on, mirrored. Your picture stays on this device: nothing is recorded or sent.");
    try {
      await view.play();
    } catch (error) {
      // A play() cut short by turning the camera off again is not a failure.
      if (camera.stream === stream && error && error.name !== "AbortError") turnOff(cameraMessage(error));
    }
  }

  player.toggleCamera = () => (camera.on ? turnOff() : turnOn());
  // The camera's stream, started first where it is off (timing feedback records or watches it); null where the
  // camera could not start (the message says why).
  player.startCamera = async () => {
    if (!camera.on) await turnOn();
    return camera.stream;
  };
  button.addEventListener("click", player.toggleCamera);
  // Leaving the page (or the phone putting it in the back/forward cache) lets go of the camera.
  window.addEventListener("pagehide", () => {
    if (camera.on) turnOff();
  });
  render();
}
