import assert from "node:assert/strict";
import { test } from "node:test";

import { countInSchedule, wantsCountInAtStart } from "../player/count-in.js";
import { actionFor, controlOwnsKey, isTyping, normaliseKey } from "../player/keys.js";
import {
  batchId, closeSegment, createTally, openSegment, parsePending, recordLoopIn, takeBatchFrom,
} from "../player/practice-log.js";
import { loopSpanText, moveRange } from "../player/saved-loops.js";
import { normaliseSpeed, speedLabel } from "../player/speed.js";
import { createStorage } from "../player/storage.js";

test("speeds are rounded to 0.01 and kept within 0.25x-2x", () => {
  assert.equal(normaliseSpeed("0.754"), 0.75);
  assert.equal(normaliseSpeed(5), 2);
  assert.equal(normaliseSpeed(0.1), 0.25);
  assert.equal(normaliseSpeed("nonsense"), 1);
  assert.equal(speedLabel(0.5), "0.50x");
});

test("the count-in shows 5 6 7 8 a beat apart, slower at a lower speed", () => {
  const schedule = countInSchedule({ beatS: 0.5, speed: 0.5 });
  assert.deepEqual(schedule.words.map((w) => [w.word, w.atMs, w.accent]),
    [["5", 0, false], ["6", 1000, false], ["7", 2000, false], ["8", 3000, true]]);
  assert.equal(schedule.playAtMs, 4000);
});

test("the count-in starts the music early by the lead to the first 1, never before 8", () => {
  assert.equal(countInSchedule({ beatS: 0.5, leadS: 0.3 }).playAtMs, 1700);
  assert.equal(countInSchedule({ beatS: 0.5, leadS: 1.9 }).playAtMs, 1500);
});

test("a count-in before the music only when the first 1 is under 2 s in and still ahead", () => {
  const at = (overrides) => wantsCountInAtStart({ enabled: true, firstDownbeat: 0.4, currentTime: 0, ended: false, ...overrides });
  assert.equal(at({}), true);
  assert.equal(at({ enabled: false }), false);
  assert.equal(at({ firstDownbeat: 2.5 }), false);
  assert.equal(at({ firstDownbeat: null }), false);
  assert.equal(at({ currentTime: 1 }), false);
  assert.equal(at({ ended: true }), false);
});

test("keys typed into a text box or owned by the focused control are left alone", () => {
  assert.equal(isTyping({ tagName: "INPUT", type: "text" }), true);
  assert.equal(isTyping({ tagName: "INPUT", type: "checkbox" }), false);
  assert.equal(isTyping({ tagName: "TEXTAREA" }), true);
  assert.equal(isTyping({ tagName: "DIV", isContentEditable: true }), true);
  assert.equal(controlOwnsKey({ tagName: "BUTTON" }, " "), true);
  assert.equal(controlOwnsKey({ tagName: "INPUT", type: "range" }, "ArrowLeft"), true);
  assert.equal(controlOwnsKey({ tagName: "INPUT", type: "range" }, " "), false);
  assert.equal(normaliseKey("L"), "l");
  assert.equal(normaliseKey("PageUp"), "PageUp");
  const actions = { l: "loop", " ": "play" };
  const body = { tagName: "BODY" };
  assert.equal(actionFor({ key: "L", target: body }, actions), "loop");
  assert.equal(actionFor({ key: "l", ctrlKey: true, target: body }, actions), null);
  assert.equal(actionFor({ key: " ", target: { tagName: "BUTTON" } }, actions), null);
  assert.equal(actionFor({ key: "toString", target: body }, actions), null, "no inherited names");
});

test("the practice tally counts wall-clock time per speed and loops per move", () => {
  const tally = createTally("client-1");
  openSegment(tally, 1000, 0.5, "2026-12-07T03:00:00Z");
  closeSegment(tally, 9000);
  openSegment(tally, 10000, 1, "later");
  closeSegment(tally, 12000);
  recordLoopIn(tally, ["basic", "turn"], 0.5);
  recordLoopIn(tally, ["basic"], 0.75);
  const batch = takeBatchFrom(tally, "now");
  assert.deepEqual(batch, {
    client_id: "client-1", batch: 1, started_at: "2026-12-07T03:00:00Z", seconds: 10,
    speeds: { "0.5": 8, 1: 2 }, loops: { basic: 2, turn: 1 }, move_speeds: { basic: 0.75, turn: 0.5 },
  });
  assert.equal(batchId(batch), "client-1#1");
  assert.equal(takeBatchFrom(tally, "now"), null, "nothing new: no batch");
  closeSegment(tally, 99999);
  assert.equal(tally.seconds, 0, "closing a closed segment adds nothing");
});

test("pending batches survive garbage in storage", () => {
  assert.deepEqual(parsePending(null), []);
  assert.deepEqual(parsePending("{not json"), []);
  assert.deepEqual(parsePending('{"a": 1}'), []);
  assert.deepEqual(parsePending('[{"batch": 1}]'), [{ batch: 1 }]);
});

test("storage that throws reads as nothing saved", () => {
  const broken = { getItem() { throw new Error("blocked"); }, setItem() { throw new Error("full"); } };
  const storage = createStorage(broken);
  assert.equal(storage.get("x"), null);
  storage.set("x", "1");
  const map = new Map();
  const working = createStorage({ getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, v) });
  working.set("x", "1");
  assert.equal(working.get("x"), "1");
});

test("a loop on whole moves is saved as that range of moves", () => {
  const moves = [{ order: 0, start: 0, end: 4 }, { order: 1, start: 4, end: 8 }, { order: 2, start: 8, end: 12 }];
  assert.deepEqual(moveRange(moves, 4.005, 12), { first_move: 1, last_move: 2 });
  assert.equal(moveRange(moves, 4.5, 8), null);
  assert.equal(moveRange(moves, 8, 4), null);
  assert.equal(loopSpanText(3, 7.45), "3.0–7.5 s");
});
