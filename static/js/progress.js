// Routine page while the routine is built: poll its status, reload when it is ready or failed.
(function () {
  "use strict";
  const box = document.getElementById("progress");
  if (!box || !box.dataset.statusUrl) return;
  const label = document.getElementById("progress-status");
  setTimeout(function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((data) => {
        if (label) label.textContent = data.status;
        if (data.status === "ready" || data.status === "failed") { location.reload(); } else { setTimeout(poll, 700); }
      })
      .catch(() => setTimeout(poll, 2000));
  }, 700);
})();
