// Routine page while the routine is built: ask for its status, name the stage it is in (from its job's
// record), reload when it is ready or failed. Each request says what the page shows; where the jobs run
// in the web process (the embedded mode) the server answers as soon as that changes, so the page asks
// again at once. Elsewhere the answer comes at once: quick polls first (most routines take under a second).
(function () {
  "use strict";
  const box = document.getElementById("progress");
  if (!box || !box.dataset.statusUrl) return;
  const label = document.getElementById("progress-status");
  const stage = document.getElementById("progress-stage");
  const shown = { status: box.dataset.status || "", stage: box.dataset.stage || "" };
  let polls = 0;
  const nextDelay = () => (polls < 12 ? 250 : polls < 40 ? 700 : 1500);
  function poll() {
    polls += 1;
    const query = new URLSearchParams({ wait: "20", status: shown.status, stage: shown.stage });
    fetch(`${box.dataset.statusUrl}?${query}`, { headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((data) => {
        if (data.status === "ready" || data.status === "failed") { location.reload(); return; }
        const news = data.status !== shown.status || data.stage !== shown.stage;
        shown.status = data.status;
        shown.stage = data.stage;
        if (label) label.textContent = data.status;
        if (stage && data.stage_label) stage.textContent = data.stage_label;
        setTimeout(poll, news ? 0 : nextDelay());
      })
      .catch(() => setTimeout(poll, 2000));
  }
  poll();
})();
