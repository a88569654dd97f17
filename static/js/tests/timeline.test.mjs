import assert from "node:assert/strict";
import { test } from "node:test";

import {
  beatLengthNear, countAt, formatSeconds, isTap, lastAtOrBefore, moveAt, nearestBeatIndex, songBeatLength,
} from "../player/timeline.js";

// A 120 BPM song whose first beat is at 0.3 s and whose "1"s fall on beats 0, 8, 16, ...
const beats = Array.from({ length: 24 }, (_, i) => 0.3 + i * 0.5);
const downbeats = [beats[0], beats[8], beats[16]];

test("lastAtOrBefore finds the last value at or before t", () => {
  assert.equal(lastAtOrBefore([1, 2, 3], 0.5), -1);
  assert.equal(lastAtOrBefore([1, 2, 3], 1), 0);
  assert.equal(lastAtOrBefore([1, 2, 3], 2.9), 1);
  assert.equal(lastAtOrBefore([1, 2, 3], 99), 2);
  assert.equal(lastAtOrBefore([], 1), -1);
});

test("nearestBeatIndex takes the closer neighbour", () => {
  assert.equal(nearestBeatIndex(beats, 0.31), 0);
  assert.equal(nearestBeatIndex(beats, 0.7), 1);
  assert.equal(nearestBeatIndex(beats, 100), beats.length - 1);
});

test("countAt counts 1 to 8 from each downbeat", () => {
  assert.equal(countAt(beats, downbeats, 0.0), null, "before the first beat there is no count");
  assert.equal(countAt(beats, downbeats, 0.3), 1);
  assert.equal(countAt(beats, downbeats, 0.3 + 3 * 0.5), 4);
  assert.equal(countAt(beats, downbeats, 0.3 + 7 * 0.5 + 0.1), 8);
  assert.equal(countAt(beats, downbeats, 0.3 + 8 * 0.5), 1);
  assert.equal(countAt(beats, downbeats, 0.3 + 13 * 0.5), 6);
});

test("countAt changes a hair before the beat", () => {
  assert.equal(countAt(beats, downbeats, 0.3 + 0.5 - 0.01), 2);
  assert.equal(countAt(beats, downbeats, 0.3 + 0.5 - 0.05), 1);
});

test("countAt counts back from a first 1 that is not the first beat", () => {
  const late = [beats[2], beats[10]];
  assert.equal(countAt(beats, late, beats[0]), 7);
  assert.equal(countAt(beats, late, beats[2]), 1);
});

test("countAt without downbeats counts from the first beat", () => {
  assert.equal(countAt(beats, [], beats[9]), 2);
  assert.equal(countAt([], [], 3), null);
});

test("the taps are 4 and 8", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].filter(isTap), [4, 8]);
});

test("beatLengthNear reads the beat and refuses glitches", () => {
  assert.ok(Math.abs(beatLengthNear(beats, 3) - 0.5) < 1e-9);
  assert.equal(beatLengthNear([0, 0.05, 0.1], 0), 0.5, "a 50 ms beat is a glitch: 120 BPM instead");
  assert.equal(beatLengthNear([1], 0), 0.5);
  assert.ok(Math.abs(beatLengthNear([0, 0.6, 1.2], 100) - 0.6) < 1e-9, "after the last beat: the last gap");
});

test("songBeatLength prefers a plausible tempo", () => {
  assert.equal(songBeatLength({ tempoBpm: 120, beats, firstDownbeat: 0.3 }), 0.5);
  assert.ok(Math.abs(songBeatLength({ tempoBpm: 500, beats: [0, 0.4, 0.8], firstDownbeat: 0 }) - 0.4) < 1e-9);
  assert.equal(songBeatLength({ tempoBpm: null, beats: [], firstDownbeat: null }), 0.5);
});

test("moveAt uses [start, end)", () => {
  const moves = [{ slug: "basic", start: 0, end: 4 }, { slug: "turn", start: 4, end: 8 }];
  assert.equal(moveAt(moves, 3.99).slug, "basic");
  assert.equal(moveAt(moves, 4).slug, "turn");
  assert.equal(moveAt(moves, 8), null);
});

test("formatSeconds shows minutes and seconds", () => {
  assert.equal(formatSeconds(0), "0:00");
  assert.equal(formatSeconds(65.9), "1:05");
  assert.equal(formatSeconds(-3), "0:00");
});
