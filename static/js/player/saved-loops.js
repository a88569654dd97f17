/* Bachata Buddy saved loops: name and save the player's loop, jump to a saved one, play them all in order.
 *
 * Works on the "Saved loops" list of templates/choreography/routine_detail.html through the player's
 * surface (window.bachataPlayer, main.js). The loops are stored by the API
 * (/api/routines/<id>/loops/); through a share link there is no loopsUrl and the list is read-only.
 * A loop set on whole moves (a move's loop button, "Loop selected moves") is saved as that range of
 * moves, so it follows a swapped move; any other loop is saved as its seconds.
 */
import { csrfToken } from "./practice-log.js";

// A loop's bounds within this much of a move's start and end are that move's.
const SAME_TIME_S = 0.01;

// Whole moves from a to b: their orders, or null when a and b are not move boundaries.
export function moveRange(moves, a, b) {
  const first = moves.find((move) => Math.abs(move.start - a) < SAME_TIME_S);
  const last = moves.find((move) => Math.abs(move.end - b) < SAME_TIME_S);
  return first && last && first.order <= last.order ? { first_move: first.order, last_move: last.order } : null;
}

// "3.0–7.5 s": a saved loop's span in the list.
export function loopSpanText(start, end) {
  return start.toFixed(1) + "–" + end.toFixed(1) + " s";
}

// player: the player's surface (window.bachataPlayer); data: the page's player data.
export function installSavedLoops(player, data) {
  const list = document.getElementById("saved-loop-list");
  if (!list) return;
  const $ = (id) => document.getElementById(id);
  const ui = {
    form: $("save-loop"), name: $("save-loop-name"), message: $("saved-loops-message"),
    template: $("saved-loop-template"), playAll: $("play-all-loops"),
  };
  const moves = (data.moves || []).map((move) => ({ ...move, start: Number(move.start), end: Number(move.end) }));
  const loops = new Map((data.loops || []).map((loop) => [String(loop.id), loop]));
  let sequence = null; // while playing all in order: { ids, index }
  let playing = null; // the saved loop last started, by id

  function say(text) { ui.message.textContent = text; }

  function api(url, method, body) {
    return fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /* ---------- the list ---------- */

  function itemFor(id) { return list.querySelector('li.saved-loop[data-id="' + id + '"]'); }

  function addItem(loop) {
    loops.set(String(loop.id), loop);
    const item = ui.template.content.firstElementChild.cloneNode(true);
    item.dataset.id = String(loop.id);
    item.querySelector(".loop-name").textContent = loop.name;
    item.querySelector(".loop-span").textContent = loopSpanText(loop.start, loop.end);
    const remove = item.querySelector(".delete-loop");
    if (remove) remove.setAttribute("aria-label", "Delete " + loop.name);
    list.appendChild(item);
    renderList();
  }

  function renderList() {
    if (ui.playAll) ui.playAll.hidden = loops.size === 0;
    if (loops.size === 0) say("No saved loops yet.");
    for (const item of list.querySelectorAll("li.saved-loop")) {
      const current = sequence ? sequence.ids[sequence.index] : playing;
      if (item.dataset.id === current) item.setAttribute("aria-current", "true");
      else item.removeAttribute("aria-current");
    }
    if (ui.playAll) ui.playAll.textContent = sequence ? "Stop playing all" : "Play all in order";
  }

  /* ---------- playing ---------- */

  function start(id) {
    const loop = loops.get(id);
    if (!loop) return false;
    if (!player.setLoop(loop.start, loop.end, { label: loop.name })) return false;
    playing = id;
    player.play();
    renderList();
    return true;
  }

  // The player asks at the end of each repetition; the next loop starts after a count-in.
  function handoff() {
    if (!sequence) return null;
    const shown = player.state.loop;
    const current = loops.get(sequence.ids[sequence.index]);
    // The dancer set another loop meanwhile: playing all in order is over.
    if (!current || !shown.on || shown.a !== current.start || shown.b !== current.end) {
      stopSequence();
      return null;
    }
    sequence.index = (sequence.index + 1) % sequence.ids.length; // after the last, the first again
    const next = loops.get(sequence.ids[sequence.index]);
    playing = sequence.ids[sequence.index];
    renderList();
    return next ? { a: next.start, b: next.end, label: next.name } : null;
  }

  function stopSequence() {
    sequence = null;
    player.setLoopHandoff(null);
    renderList();
  }

  function playAll() {
    if (sequence) { stopSequence(); return; }
    const ids = Array.from(list.querySelectorAll("li.saved-loop")).map((item) => item.dataset.id).filter((id) => loops.has(id));
    if (!ids.length) return;
    sequence = { ids, index: 0 };
    player.setLoopHandoff(handoff);
    if (!start(ids[0])) stopSequence();
    else say("Playing all " + ids.length + " saved loops in order, counting in between them.");
  }

  /* ---------- saving and deleting ---------- */

  function save(event) {
    event.preventDefault();
    const name = ui.name.value.trim();
    const loop = player.state.loop;
    if (loop.a === null || loop.b === null) { say("Set a loop first: A and B, or a move's loop button."); return; }
    if (!name) { say("Give the loop a name."); ui.name.focus(); return; }
    const bounds = moveRange(moves, loop.a, loop.b) || { start_s: loop.a, end_s: loop.b };
    api(data.loopsUrl, "POST", { name, ...bounds })
      .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
      .then(({ ok, body }) => {
        if (!ok) { say(body.error || body.detail || "The loop could not be saved."); return; }
        addItem({ id: body.id, name: body.name, start: body.start_s, end: body.end_s });
        ui.name.value = "";
        say("Saved “" + body.name + "”.");
      })
      .catch(() => say("The loop could not be saved: no connection. Try again."));
  }

  function remove(id) {
    const loop = loops.get(id);
    if (!loop) return;
    api(data.loopsUrl + id + "/", "DELETE").then((response) => {
      if (!response.ok && response.status !== 404) { say("The loop could not be deleted. Try again."); return; }
      loops.delete(id);
      const item = itemFor(id);
      if (item) item.remove();
      if (sequence) stopSequence();
      say("Deleted “" + loop.name + "”.");
      renderList();
    }).catch(() => say("The loop could not be deleted: no connection. Try again."));
  }

  list.addEventListener("click", (event) => {
    const item = event.target.closest("li.saved-loop");
    if (!item) return;
    if (event.target.closest(".delete-loop")) { remove(item.dataset.id); return; }
    if (event.target.closest(".play-loop")) {
      if (sequence) stopSequence();
      start(item.dataset.id);
    }
  });
  if (ui.form && data.loopsUrl) ui.form.addEventListener("submit", save);
  if (ui.playAll) ui.playAll.addEventListener("click", playAll);
  renderList();
}
