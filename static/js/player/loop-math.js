// Pure loop arithmetic: bounds, which moves a loop covers, the words under the video, and what a
// frame near B asks for. static/js/tests/loop-math.test.mjs runs these under `node --test`.

// A loop shorter than this cannot be seen or danced.
export const MIN_LOOP_S = 0.3;
// A move must be inside a span this long to get the credit for its repetitions.
const CREDIT_OVERLAP_S = 0.25;
// Reaching B from further than this past it is a seek there, not a repetition.
const SEEKED_PAST_B_S = 0.5;

export function emptyLoop() {
  return { a: null, b: null, on: false, slugs: [], label: "", repetitions: 0 };
}

// Why a and b make no loop (text for the dancer), or null when they do.
export function loopProblem(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b - a < MIN_LOOP_S) {
    return "A loop needs B at least " + MIN_LOOP_S + " s after A.";
  }
  return null;
}

// The slugs of the moves a span covers by more than a quarter second.
export function movesIn(moves, a, b) {
  return moves.filter((move) => Math.min(b, move.end) - Math.max(a, move.start) > CREDIT_OVERLAP_S).map((move) => move.slug);
}

// A new loop from a to b (already checked with loopProblem).
export function makeLoop(moves, a, b, { on = true, slugs = null, label = "" } = {}) {
  return { a: Math.max(0, a), b, on: on !== false, slugs: slugs || movesIn(moves, a, b), label: label || "", repetitions: 0 };
}

// "[" at t: a new A; the old B stays when it still comes at least MIN_LOOP_S after.
// Returns { a, b } where b may be null (then the dancer sets B next).
export function markA(loop, t) {
  const b = loop.b !== null && loop.b - t >= MIN_LOOP_S ? loop.b : null;
  return { a: t, b };
}

// "]" at t: B at t after the current A (or the start). Returns { a, b } or { problem }.
export function markB(loop, t) {
  const a = loop.a !== null ? loop.a : 0;
  if (t - a < MIN_LOOP_S) return { problem: "B must come after A (A is at " + a.toFixed(1) + " s)." };
  return { a, b: t };
}

// The span from the first chosen move's start to the last one's end, with every move inside it.
export function selectedSpan(moves, chosen) {
  if (!chosen.length) return null;
  const first = chosen[0];
  const last = chosen[chosen.length - 1];
  const span = moves.filter((move) => move.start >= first.start && move.end <= last.end);
  const label = span.length > 1 ? first.name + " → " + last.name : first.name;
  return { a: first.start, b: last.end, slugs: span.map((move) => move.slug), label };
}

export function isMoveLoop(loop, move) {
  return loop.on && loop.a === move.start && loop.b === move.end;
}

export function loopCoversMove(loop, move) {
  return loop.on && move.start < loop.b && move.end > loop.a;
}

// The line under the controls.
export function describeLoop(loop) {
  if (loop.a === null) return "No loop set.";
  if (loop.b === null) return "A at " + loop.a.toFixed(1) + " s: now set B.";
  const span = loop.a.toFixed(1) + " s – " + loop.b.toFixed(1) + " s";
  const what = loop.label ? loop.label + " (" + span + ")" : span;
  const count = loop.repetitions;
  const reps = count ? " · " + count + (count === 1 ? " repetition" : " repetitions") : "";
  return (loop.on ? "Looping " : "Loop off: ") + what + reps;
}

// What a presented frame at t (the next one frameSeconds later) asks of a loop that is on:
// null (play on), "repeat" (B reached: one more repetition) or "return" (seeked far past B: back to A, uncounted).
export function loopStep(loop, t, frameSeconds) {
  if (!loop.on || loop.b === null) return null;
  if (t + frameSeconds < loop.b - 0.001) return null;
  return t <= loop.b + SEEKED_PAST_B_S ? "repeat" : "return";
}
