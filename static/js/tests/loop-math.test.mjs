import assert from "node:assert/strict";
import { test } from "node:test";

import {
  describeLoop, emptyLoop, isMoveLoop, loopCoversMove, loopProblem, loopStep, makeLoop, markA, markB, MIN_LOOP_S,
  movesIn, selectedSpan,
} from "../player/loop-math.js";

const moves = [
  { slug: "basic", name: "Basic", start: 0, end: 4 },
  { slug: "turn", name: "Right turn", start: 4, end: 8 },
  { slug: "dip", name: "Dip", start: 8, end: 12 },
];

test("a loop needs B at least MIN_LOOP_S after A", () => {
  assert.equal(loopProblem(1, 1 + MIN_LOOP_S), null);
  assert.match(loopProblem(1, 1.1), /B at least 0.3 s after A/);
  assert.match(loopProblem(NaN, 2), /B at least/);
});

test("movesIn credits the moves a span covers by more than a quarter second", () => {
  assert.deepEqual(movesIn(moves, 3.9, 8.1), ["turn"]);
  assert.deepEqual(movesIn(moves, 3.5, 8), ["basic", "turn"]);
  assert.deepEqual(movesIn(moves, 0, 12), ["basic", "turn", "dip"]);
});

test("makeLoop starts at 0 at the earliest, on unless told, and counts no repetitions", () => {
  const loop = makeLoop(moves, -1, 4);
  assert.deepEqual(loop, { a: 0, b: 4, on: true, slugs: ["basic"], label: "", repetitions: 0 });
  assert.equal(makeLoop(moves, 0, 4, { on: false }).on, false);
  assert.deepEqual(makeLoop(moves, 0, 8, { slugs: ["x"], label: "Mine" }).slugs, ["x"]);
});

test("A keeps a B that still comes long enough after it", () => {
  assert.deepEqual(markA({ ...emptyLoop(), a: 1, b: 5 }, 2), { a: 2, b: 5 });
  assert.deepEqual(markA({ ...emptyLoop(), a: 1, b: 5 }, 4.9), { a: 4.9, b: null });
  assert.deepEqual(markA(emptyLoop(), 3), { a: 3, b: null });
});

test("B comes after A (or the start)", () => {
  assert.deepEqual(markB({ ...emptyLoop(), a: 2 }, 5), { a: 2, b: 5 });
  assert.deepEqual(markB(emptyLoop(), 5), { a: 0, b: 5 });
  assert.equal(markB({ ...emptyLoop(), a: 2 }, 2.1).problem, "B must come after A (A is at 2.0 s).");
});

test("selected moves loop from the first one's start to the last one's end", () => {
  assert.equal(selectedSpan(moves, []), null);
  assert.deepEqual(selectedSpan(moves, [moves[1]]), { a: 4, b: 8, slugs: ["turn"], label: "Right turn" });
  assert.deepEqual(selectedSpan(moves, [moves[0], moves[2]]),
    { a: 0, b: 12, slugs: ["basic", "turn", "dip"], label: "Basic → Dip" });
});

test("a move's loop and the moves a loop covers", () => {
  const loop = makeLoop(moves, 4, 8);
  assert.ok(isMoveLoop(loop, moves[1]));
  assert.ok(!isMoveLoop(loop, moves[0]));
  assert.deepEqual(moves.filter((move) => loopCoversMove(loop, move)).map((m) => m.slug), ["turn"]);
  assert.ok(!loopCoversMove({ ...loop, on: false }, moves[1]));
});

test("describeLoop says what is looping in the dancer's words", () => {
  assert.equal(describeLoop(emptyLoop()), "No loop set.");
  assert.equal(describeLoop({ ...emptyLoop(), a: 1.25 }), "A at 1.3 s: now set B.");
  const loop = makeLoop(moves, 4, 8, { label: "Right turn" });
  assert.equal(describeLoop(loop), "Looping Right turn (4.0 s – 8.0 s)");
  assert.equal(describeLoop({ ...loop, repetitions: 1 }), "Looping Right turn (4.0 s – 8.0 s) · 1 repetition");
  assert.equal(describeLoop({ ...loop, on: false, label: "", repetitions: 3 }), "Loop off: 4.0 s – 8.0 s · 3 repetitions");
});

test("loopStep repeats on the frame before B and only returns from a seek far past it", () => {
  const loop = makeLoop(moves, 4, 8);
  const frame = 1 / 30;
  assert.equal(loopStep(loop, 7.9, frame), null);
  assert.equal(loopStep(loop, 8 - frame, frame), "repeat", "the next frame would be B: repeat now");
  assert.equal(loopStep(loop, 8.4, frame), "repeat");
  assert.equal(loopStep(loop, 9, frame), "return");
  assert.equal(loopStep({ ...loop, on: false }, 9, frame), null);
});
