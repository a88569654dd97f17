import assert from "node:assert/strict";
import { test } from "node:test";

import { COUNT_WORDS, wordsAhead } from "../player/voice.js";

// 120 BPM from 0.3 s, the 1s on beats 0, 8, 16.
const beats = Array.from({ length: 24 }, (_, i) => 0.3 + i * 0.5);
const downbeats = [beats[0], beats[8], beats[16]];

test("the words are the dancer's count, with taps on 4 and 8", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((count) => COUNT_WORDS[count]),
    ["one", "two", "three", "tap", "five", "six", "seven", "tap"]);
});

test("each word is placed at its beat on the wall clock, at 1x", () => {
  const words = wordsAhead({ beats, downbeats, fromT: 0.2, speed: 1, lookaheadS: 1 });
  assert.deepEqual(words.map((w) => [w.word, +w.inS.toFixed(3)]), [["one", 0.1], ["two", 0.6]]);
});

test("at 0.5x the words stay on the beats: twice as far apart on the wall clock", () => {
  const words = wordsAhead({ beats, downbeats, fromT: 0.2, speed: 0.5, lookaheadS: 2.5 });
  assert.deepEqual(words.map((w) => [w.word, +w.inS.toFixed(3)]), [["one", 0.2], ["two", 1.2], ["three", 2.2]]);
  for (const word of words) assert.ok(Math.abs(0.2 + word.inS * 0.5 - word.beat) < 1e-9, "media time of the word is its beat");
});

test("only the 1: the other counts are left out", () => {
  const words = wordsAhead({ beats, downbeats, fromT: 0, speed: 2, lookaheadS: 5, onlyOne: true });
  assert.deepEqual(words.map((w) => w.beat), [beats[0], beats[8], beats[16]]);
});

test("nothing is said at or after the end of a loop", () => {
  const words = wordsAhead({ beats, downbeats, fromT: 0.2, speed: 1, lookaheadS: 2, loopEnd: beats[2] });
  assert.deepEqual(words.map((w) => w.word), ["one", "two"]);
});

test("a beat just passed is still said at once; one long gone is not", () => {
  assert.deepEqual(wordsAhead({ beats, downbeats, fromT: 0.305, speed: 1, lookaheadS: 0.1 }).map((w) => [w.word, w.inS]),
    [["one", 0]]);
  assert.deepEqual(wordsAhead({ beats, downbeats, fromT: 0.4, speed: 1, lookaheadS: 0.1 }), []);
  assert.deepEqual(wordsAhead({ beats: [], downbeats: [], fromT: 0, speed: 1 }), []);
});
