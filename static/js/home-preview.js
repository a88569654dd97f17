/* The home page's demo preview: a muted loop that plays by itself, unless the visitor asked for reduced
 * motion (or the browser refuses to autoplay). Then the poster stays, with a button to play it.
 *
 * Loaded as a plain script right after the <video>, before it has data to start with, so that a
 * reduced-motion visitor never sees it move on its own.
 */
(function () {
  const video = document.getElementById("demo-preview-video");
  const button = document.getElementById("demo-preview-play");
  if (!video || !button) return;
  const reduce = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;

  function showButton(label) {
    button.textContent = label;
    button.hidden = false;
  }

  function stopAutoplay() {
    video.autoplay = false;
    video.removeAttribute("autoplay");
    video.pause();
    showButton("Play the preview");
  }

  if (reduce && reduce.matches) stopAutoplay();
  if (reduce && reduce.addEventListener) {
    reduce.addEventListener("change", (event) => { if (event.matches) stopAutoplay(); });
  }

  button.addEventListener("click", () => {
    if (video.paused) {
      video.play().catch(() => showButton("Play the preview"));
    } else {
      video.pause();
    }
  });
  video.addEventListener("play", () => {
    // Once it plays, the button stays as a pause control for those who started it themselves.
    if (!button.hidden) button.textContent = "Pause the preview";
  });
  video.addEventListener("pause", () => { if (!button.hidden) button.textContent = "Play the preview"; });
  // A browser that blocks autoplay even muted: say nothing went wrong, offer the button.
  video.addEventListener("canplay", () => {
    if (video.autoplay && video.paused) {
      const started = video.play();
      if (started && started.catch) started.catch(() => showButton("Play the preview"));
    }
  }, { once: true });
})();
