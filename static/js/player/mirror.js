// Mirror: with a mirrored video, switch to it (or back) at the instant shown, keeping speed, play or
// pause and the loop (twins.js); the download link follows, so the MP4 saved is the one being watched.
// A routine made before there were mirrored videos is flipped with CSS.
import { createTwinSwitcher } from "./twins.js";

export function installMirror(player) {
  const { ui, state, seenVideo, mirroredVideo } = player;

  function onTwinSwitch(from, to, info) {
    const playing = info.playing;
    player.closePracticeSegment();
    player.video = to;
    // The shown twin's play() is the switch's, not the dancer's: no count-in for it.
    if (playing) player.countInDone = true;
    player.forgetLastFrame();
    player.refresh(player.video.currentTime);
    player.updatePlayButton();
    if (playing) {
      player.openPracticeSegment();
      player.requestFrame(true);
    }
  }

  const twins = mirroredVideo
    ? createTwinSwitcher({ shown: seenVideo, standby: mirroredVideo, onSwitch: onTwinSwitch })
    : null;
  player.twins = twins;

  function renderDownload() {
    if (!ui.download || !twins) return;
    const mirrored = state.mirror;
    ui.download.href = mirrored ? ui.download.dataset.mirroredHref : ui.download.dataset.seenHref;
    ui.download.textContent = mirrored ? "Download MP4 (mirrored)" : "Download MP4";
  }

  player.toggleMirror = () => {
    state.mirror = !state.mirror;
    ui.mirror.setAttribute("aria-pressed", String(state.mirror));
    if (twins) {
      twins.switchTo(state.mirror ? mirroredVideo : seenVideo);
      renderDownload();
      return;
    }
    const video = player.video;
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
  };

  ui.mirror.addEventListener("click", player.toggleMirror);
}
