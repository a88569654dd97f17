// The picture's own controls: full screen, sound, and a click on the video to play or pause. With the
// player's script running, the browser's native video controls are turned off: the player has its own
// play, seek and speed controls, and the native bar covered the clip's count band whenever the video was
// paused (the counts the dancer pauses to read). Without the script the native controls stay
// (the template keeps `controls`), so the video still plays.

// The label and state of the full-screen button for whether the player is full screen now.
export function fullscreenLabel(isFullscreen) {
  return isFullscreen ? "Exit full screen" : "Full screen";
}

// The label of the sound button for whether the video is muted now (the button says what it does).
export function soundLabel(muted) {
  return muted ? "Sound on" : "Mute";
}

export function installScreen(player) {
  const { ui, videos } = player;
  for (const element of videos) element.controls = false;
  const wrap = player.video.closest(".video-wrap") || player.video;
  const doc = wrap.ownerDocument;

  const canFullscreen = Boolean(doc.fullscreenEnabled && wrap.requestFullscreen);
  function renderFullscreen() {
    if (!ui.fullscreen) return;
    const on = doc.fullscreenElement === wrap;
    ui.fullscreen.textContent = fullscreenLabel(on);
    ui.fullscreen.setAttribute("aria-pressed", String(on));
  }
  player.toggleFullscreen = () => {
    if (!canFullscreen) return;
    if (doc.fullscreenElement) doc.exitFullscreen().catch(() => {});
    else wrap.requestFullscreen().catch(() => {});
  };
  if (ui.fullscreen) {
    ui.fullscreen.hidden = !canFullscreen; // e.g. an iPhone's Safari: no full screen for an element
    ui.fullscreen.addEventListener("click", player.toggleFullscreen);
    doc.addEventListener("fullscreenchange", renderFullscreen);
    renderFullscreen();
  }

  // The twins carry `muted` over when they switch (twins.js), so the shown one's is the truth.
  function renderSound() {
    if (!ui.sound) return;
    ui.sound.textContent = soundLabel(player.video.muted);
    ui.sound.setAttribute("aria-pressed", String(player.video.muted));
  }
  player.toggleSound = () => {
    player.video.muted = !player.video.muted;
    renderSound();
  };
  if (ui.sound) {
    ui.sound.addEventListener("click", player.toggleSound);
    player.onVideo("volumechange", renderSound);
    renderSound();
  }

  // What the native controls did on the picture itself: a click plays or pauses, a double click goes
  // full screen (its first click has paused, the second plays again: the state is as before).
  for (const element of videos) {
    element.addEventListener("click", () => {
      if (element === player.video) player.togglePlay();
    });
    element.addEventListener("dblclick", () => {
      if (element === player.video) player.toggleFullscreen();
    });
  }
}
