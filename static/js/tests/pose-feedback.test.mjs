import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bodyShare, mergeReports, offsetInWords, phraseLine, progressText, routineTimeAt, splitPasses, summaryLines,
  tapsInWords, timingPayload, tooSlowText,
} from "../player/pose-timing.js";

const frame = (t, landmarks = []) => ({ t, landmarks });

test("a take's time maps to the routine's between anchors, at any speed", () => {
  // Half speed: one second of the take is half a second of the routine.
  const anchors = [0, 0.1, 0.2, 0.3].map((take) => ({ take, routine: 10 + take / 2 }));
  assert.equal(routineTimeAt(anchors, 0.15), 10.075);
  assert.equal(routineTimeAt(anchors, 0), 10);
  assert.equal(routineTimeAt(anchors, 0.3), 10.15);
  assert.equal(routineTimeAt(anchors, -0.01), null, "before the routine played");
  assert.equal(routineTimeAt(anchors, 0.31), null, "after it stopped");
  assert.equal(routineTimeAt([], 1), null);
});

test("a take's speed is the routine's between anchors, pauses and jumps left out", async () => {
  const { takeRate } = await import("../player/pose-timing.js");
  const half = [0, 0.1, 0.2, 0.3].map((take) => ({ take, routine: 10 + take / 2 }));
  assert.equal(takeRate(half), 0.5);
  const withPauseAndJump = [...half, { take: 2.3, routine: 10.15 }, { take: 2.4, routine: 4 }, { take: 2.5, routine: 4.05 }];
  assert.equal(takeRate(withPauseAndJump), 0.5);
  assert.equal(takeRate([]), 1);
});

test("no routine time across a pause or a loop's jump back to A", () => {
  const anchors = [
    { take: 0, routine: 4 }, { take: 0.05, routine: 4.05 },
    // paused for two seconds
    { take: 2.05, routine: 4.05 }, { take: 2.1, routine: 4.1 },
    // the loop jumps back from 8 to 4
    { take: 2.15, routine: 7.99 }, { take: 2.2, routine: 4.0 },
  ];
  assert.equal(routineTimeAt(anchors, 1), null);
  assert.ok(Math.abs(routineTimeAt(anchors, 2.075) - 4.075) < 1e-9);
  assert.equal(routineTimeAt(anchors, 2.18), null);
});

test("frames split into passes where the routine time jumps", () => {
  const frames = [frame(1), frame(1.1), frame(1.2), frame(NaN), frame(0.5), frame(0.6), frame(5), frame(5.1), frame(9)];
  const passes = splitPasses(frames);
  assert.deepEqual(passes.map((pass) => pass.map((f) => f.t)), [[1, 1.1, 1.2], [0.5, 0.6], [5, 5.1]]);
});

test("each pass through the routine is scored on its own span, too short ones left out", async () => {
  const { scoreFrames } = await import("../player/pose-timing.js");
  const spans = [];
  const rates = [];
  const steps = {
    findFootEvents: (pass, { playbackRate }) => {
      rates.push(playbackRate);
      return pass.map((f) => ({ t: f.t, foot: "left", kind: "step" }));
    },
    scoreTiming: (events, timeline, { from, to }) => {
      spans.push([from, to]);
      return { steps: events.length, stepsOnBeat: events.length, share: 1, meanOffsetMs: 0, tapsExpected: 2,
        tapsFound: 2, phrases: [{ index: 0, start: from, end: to, steps: events.length }] };
    },
  };
  const run = (from, to) => Array.from({ length: Math.round((to - from) * 10) + 1 }, (_, i) => frame(from + i / 10));
  // A loop of 4-8 s danced twice, then a jump back to 1 s for a second.
  const frames = [...run(4, 8), ...run(4, 8), ...run(1, 2)];
  const report = scoreFrames(frames, { beats: [], downbeats: [] }, steps, { playbackRate: 0.75 });
  assert.deepEqual(rates, [0.75, 0.75], "the step finder hears the speed the dancer danced at");
  assert.deepEqual(spans.map(([from, to]) => [from, Math.round(to * 10) / 10]), [[4, 8], [4, 8]]);
  assert.equal(report.passes, 2);
  assert.equal(report.steps, 82);
  assert.deepEqual(report.phrases.map((p) => p.pass), [0, 1]);
});

const phrase = (start, extra) => ({
  index: 0, start, end: start + 4, steps: 6, stepsOnBeat: 6, share: 1, meanOffsetMs: 0, tapsExpected: 2,
  tapsFound: 2, lookAgain: [], ...extra,
});

test("passes add up: counts summed, shares weighted by phrases, offsets by steps", () => {
  const first = {
    steps: 12, stepsOnBeat: 12, share: 1, meanOffsetMs: 20, tapsExpected: 4, tapsFound: 4,
    phrases: [phrase(1), phrase(5, { index: 1 })],
  };
  const second = {
    steps: 4, stepsOnBeat: 0, share: 0, meanOffsetMs: 180, tapsExpected: 2, tapsFound: 0,
    phrases: [phrase(5, { index: 1, steps: 4, stepsOnBeat: 0, share: 0, meanOffsetMs: 180, tapsFound: 0 })],
  };
  const merged = mergeReports([first, second]);
  assert.equal(merged.steps, 16);
  assert.equal(merged.share, 2 / 3);
  assert.equal(merged.meanOffsetMs, (12 * 20 + 4 * 180) / 16);
  assert.deepEqual([merged.tapsFound, merged.tapsExpected], [4, 6]);
  assert.deepEqual(merged.phrases.map((p) => [p.index, p.pass]), [[0, 0], [1, 0], [1, 1]]);
  // One pass is the step finder's own report.
  assert.equal(mergeReports([second]).share, 0);
  assert.equal(mergeReports([second]).passes, 1);
  const none = mergeReports([]);
  assert.equal(none.share, null);
  assert.equal(none.meanOffsetMs, null);
});

test("the offset, the taps and the summary in words", () => {
  assert.equal(offsetInWords(120.4), "on average 120 ms late");
  assert.equal(offsetInWords(-35), "on average 35 ms early");
  assert.equal(offsetInWords(4), "on average right on the beat");
  assert.equal(offsetInWords(null), "");
  assert.equal(tapsInWords(3, 4), "taps on 4 and 8: 3 of 4");
  assert.match(tapsInWords(0, 4), /no taps found/);
  const lines = summaryLines({ steps: 12, stepsOnBeat: 9, share: 0.75, meanOffsetMs: 120, tapsExpected: 4, tapsFound: 3 });
  assert.deepEqual(lines, ["75% of your steps on the beat (9 on the beat, 12 steps seen)", "On average 120 ms late", "Taps on 4 and 8: 3 of 4"]);
  assert.match(summaryLines({ steps: 0 })[0], /No steps found/);
  assert.equal(
    phraseLine(phrase(12.5, { index: 2, stepsOnBeat: 5, meanOffsetMs: 30 })),
    "Phrase 3 at 0:12: 5 on the beat (6 steps seen), on average 30 ms late, taps 2 of 2",
  );
  assert.equal(progressText("your take", 0.404), "Analysing your take: 40%");
  assert.equal(progressText("your video", 7), "Analysing your video: 100%");
  assert.equal(progressText("your take", 0.5, 42), "Analysing your take: 50% (about 40 s left)");
  assert.equal(progressText("your take", 0.1, 200), "Analysing your take: 10% (about 3 min left)");
  assert.match(tooSlowText(2.04), /about 2 frames a second.*12 or more.*Record a take/);
});

test("the practice log gets numbers only", () => {
  const report = mergeReports([{
    steps: 12, stepsOnBeat: 9, share: 0.75, meanOffsetMs: 120.456, tapsExpected: 4, tapsFound: 3,
    phrases: [phrase(1, { lookAgain: [2.5], share: null, meanOffsetMs: null, steps: 0, stepsOnBeat: 0 })],
  }]);
  const payload = timingPayload(report, "take");
  assert.deepEqual(payload, {
    source: "take", share: 0.75, mean_offset_ms: 120.5, steps: 12, steps_on_beat: 9, taps_expected: 4, taps_found: 3,
    phrases: [{ index: 0, share: null, mean_offset_ms: null, steps: 0, steps_on_beat: 0, taps_expected: 2, taps_found: 2 }],
  });
  const values = JSON.stringify(payload).match(/"[a-z_]+":"[^"]*"/g);
  assert.deepEqual(values, ['"source":"take"'], "the source is the only text");
});

test("the share of frames with a body in them", () => {
  assert.equal(bodyShare([frame(0), frame(0.1, null), frame(0.2, null), frame(0.3)]), 0.5);
  assert.equal(bodyShare([]), 0);
});

test("a timing reading goes with the next practice batch, once", async () => {
  const { createTally, recordTimingIn, takeBatchFrom } = await import("../player/practice-log.js");
  const tally = createTally("tab");
  const timing = { source: "file", share: 1, steps: 4, steps_on_beat: 4 };
  recordTimingIn(tally, timing);
  const batch = takeBatchFrom(tally, "2026-12-07T14:00:00Z");
  assert.ok(batch, "a reading alone is worth a batch");
  assert.equal(batch.seconds, 0);
  assert.deepEqual(batch.timing, timing);
  assert.equal(takeBatchFrom(tally, "later"), null, "and it is not sent twice");
});
