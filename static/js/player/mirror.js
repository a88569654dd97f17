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
    // The native controls are off (screen.js): nothing else would be flipped with the picture.
    player.video.classList.toggle("mirrored", state.mirror);
  };

  ui.mirror.addEventListener("click", player.toggleMirror);
}
