// Loops on the player: a move, the selected moves, or free A-B, checked on every video frame.
// The arithmetic is in loop-math.js; this wires it to the buttons, the move list and the video.
import {
  describeLoop, emptyLoop, isMoveLoop, loopCoversMove, loopProblem, loopStep, makeLoop, markA, markB, selectedSpan,
} from "./loop-math.js";

export function installLoops(player) {
  const { ui, state, moves } = player;
  // Saved loops played in order (saved-loops.js) hand over to the next loop at the end of a repetition.
  player.loopHandoff = null;

  function showLoopInfo(text) {
    ui.loopInfo.textContent = text;
  }

  player.renderLoop = () => {
    const loop = state.loop;
    ui.loop.setAttribute("aria-pressed", String(loop.on));
    for (const move of moves) {
      const button = move.item && move.item.querySelector(".loop-move");
      if (!button) continue;
      button.setAttribute("aria-pressed", String(isMoveLoop(loop, move)));
      move.item.classList.toggle("in-loop", loopCoversMove(loop, move));
    }
    showLoopInfo(describeLoop(loop));
  };

  player.setLoop = (a, b, options) => {
    const opts = options || {};
    a = Number(a);
    b = Number(b);
    const problem = loopProblem(a, b);
    if (problem) {
      showLoopInfo(problem);
      return false;
    }
    state.loop = makeLoop(moves, a, b, opts);
    player.renderLoop();
    if (state.loop.on && opts.seek !== false) player.jumpTo(state.loop.a);
    return true;
  };

  player.toggleLoop = () => {
    if (state.loop.a === null || state.loop.b === null) {
      showLoopInfo("Set A and B, or press Loop on a move, to loop.");
      return;
    }
    state.loop.on = !state.loop.on;
    player.renderLoop();
    if (state.loop.on) {
      const t = player.video.currentTime;
      if (t < state.loop.a || t >= state.loop.b) player.jumpTo(state.loop.a);
    }
  };

  player.setMarker = (which) => {
    const t = player.video.currentTime;
    if (which === "a") {
      const { a, b } = markA(state.loop, t);
      state.loop = { ...emptyLoop(), a, b };
      if (b !== null) player.setLoop(a, b, { seek: false });
      else player.renderLoop();
      return;
    }
    const marked = markB(state.loop, t);
    if (marked.problem) {
      showLoopInfo(marked.problem);
      return;
    }
    player.setLoop(marked.a, marked.b);
  };

  function loopMove(move) {
    if (isMoveLoop(state.loop, move)) {
      state.loop.on = false;
      player.renderLoop();
      return;
    }
    player.setLoop(move.start, move.end, { slugs: [move.slug], label: move.name });
    if (player.video.paused) player.playVideo();
  }

  function loopSelected() {
    const chosen = moves.filter((move) => move.item && move.item.querySelector(".select-move:checked"));
    const span = selectedSpan(moves, chosen);
    if (!span) {
      showLoopInfo("Tick “select” on one or more moves first.");
      return;
    }
    player.setLoop(span.a, span.b, { slugs: span.slugs, label: span.label });
    if (player.video.paused) player.playVideo();
  }

  // Called for every presented frame: jump back when the next frame would be past B, so
  // nothing after B is ever shown (timeupdate fires only every ~250 ms: far too late).
  player.checkLoop = (t, frameSeconds) => {
    const video = player.video;
    if (state.countingIn || video.paused || video.seeking) return;
    const step = loopStep(state.loop, t, frameSeconds);
    if (step) player.repeatLoop(step === "repeat");
  };

  player.repeatLoop = (counted) => {
    const loop = state.loop;
    if (counted) {
      loop.repetitions += 1;
      player.recordLoop(loop.slugs);
      player.renderLoop();
    }
    const next = counted && player.loopHandoff ? player.loopHandoff() : null;
    if (next && player.setLoop(next.a, next.b, { label: next.label, seek: false })) {
      player.startCountIn(state.loop.a);
    } else if (ui.countIn && ui.countIn.checked) {
      player.startCountIn(loop.a);
    } else {
      player.video.currentTime = loop.a;
      if (player.video.paused) player.playVideo(); // after "ended" when B is the very end
    }
  };

  ui.setA.addEventListener("click", () => player.setMarker("a"));
  ui.setB.addEventListener("click", () => player.setMarker("b"));
  ui.loop.addEventListener("click", player.toggleLoop);
  if (ui.loopSelected) ui.loopSelected.addEventListener("click", loopSelected);
  for (const move of moves) {
    const loopButton = move.item && move.item.querySelector(".loop-move");
    if (loopButton) loopButton.addEventListener("click", () => loopMove(move));
  }
}
