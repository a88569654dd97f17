// Timing feedback's plain data (pose-feedback.js is the page around it): mapping a take's time to the
// routine's, cutting analysed frames into passes through the routine, adding up the passes' reports, the
// words the dancer reads and the numbers the practice log keeps. No DOM: static/js/tests/pose-feedback.test.mjs.
import { formatSeconds } from "./timeline.js";

// Under this many analysed frames per second of the routine, a live reading would be a wrong score (steps
// fall between frames): say so and offer the recording instead.
export const LIVE_MIN_FPS = 12;
// Judge the live frame rate after this much of the routine has been analysed (the first frames can be slow).
export const LIVE_JUDGE_AFTER_S = 2;
// A pass shorter than this (seconds of the routine) is too short to say anything about.
export const SHORTEST_PASS_S = 2;
// Between two anchors of a take further apart than this, the routine was paused (or buffering): no mapping.
export const LONGEST_ANCHOR_GAP_S = 0.25;
// Closer than this to the beat on average reads as "right on the beat" (the history page says the same).
export const ON_THE_BEAT_MS = 10;
// A routine time going back by more than this between two frames starts a new pass (a loop, a seek).
const BACKWARDS_S = 0.05;
// Routine time may run ahead of the frames by this much before a gap splits the pass (a seek forward).
const LONGEST_FRAME_GAP_S = 1;

/* ---------- a take's time -> the routine's ---------- */

// anchors: [{ take, routine }] recorded while the routine played (take seconds since the recording started,
// the routine video's media time then), in take order. The routine time at takeTime, interpolated between the
// two anchors around it; null before, after, across a pause (anchors far apart in take time) or a jump back.
export function routineTimeAt(anchors, takeTime, { longestGapS = LONGEST_ANCHOR_GAP_S } = {}) {
  if (!anchors.length || !Number.isFinite(takeTime)) return null;
  let low = 0;
  let high = anchors.length - 1;
  if (takeTime < anchors[0].take || takeTime > anchors[high].take) return null;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (anchors[middle].take <= takeTime) low = middle;
    else high = middle;
  }
  const before = anchors[low];
  const after = anchors[high];
  const span = after.take - before.take;
  if (span <= 0) return before.routine;
  if (span > longestGapS) return null;
  const routineSpan = after.routine - before.routine;
  // The routine jumped (a loop's return to A, a seek) between these two anchors: no time lies between them.
  if (routineSpan < 0 || routineSpan > span * 2.5) return null;
  return before.routine + (routineSpan * (takeTime - before.take)) / span;
}

// The routine's speed over a take: the median of the rates between anchors (routine seconds per take second),
// rounded to the player's 0.05 steps; 1 without two anchors in a row.
export function takeRate(anchors, { longestGapS = LONGEST_ANCHOR_GAP_S } = {}) {
  const rates = [];
  for (let i = 1; i < anchors.length; i += 1) {
    const span = anchors[i].take - anchors[i - 1].take;
    const routine = anchors[i].routine - anchors[i - 1].routine;
    if (span > 0.01 && span <= longestGapS && routine > 0) rates.push(routine / span);
  }
  if (!rates.length) return 1;
  rates.sort((a, b) => a - b);
  return Math.round(rates[rates.length >> 1] * 20) / 20 || 1;
}

/* ---------- passes through the routine ---------- */

// frames [{ t, landmarks }] in analysis order -> runs where the routine time moves forward without a jump
// (each repetition of a loop is one), frames without a routine time left out.
export function splitPasses(frames) {
  const passes = [];
  let current = [];
  let last = null;
  for (const frame of frames) {
    if (!Number.isFinite(frame.t)) continue;
    if (last !== null && (frame.t < last - BACKWARDS_S || frame.t - last > LONGEST_FRAME_GAP_S)) {
      passes.push(current);
      current = [];
    }
    current.push(frame);
    last = frame.t;
  }
  if (current.length) passes.push(current);
  return passes.filter((pass) => pass.length > 1);
}

export function passSpan(pass) {
  return { start: pass[0].t, end: pass[pass.length - 1].t };
}

/* ---------- reports ---------- */

const sum = (items, key) => items.reduce((total, item) => total + (Number(item[key]) || 0), 0);

// The mean offset of items weighted by their steps; null where none has a mean.
function weightedOffset(items) {
  const timed = items.filter((item) => Number.isFinite(item.meanOffsetMs) && item.steps > 0);
  const steps = sum(timed, "steps");
  return steps ? timed.reduce((total, item) => total + item.meanOffsetMs * item.steps, 0) / steps : null;
}

// Several passes' reports (steps.js scoreTiming's shape) as one: counts added, the phrases of every pass in order,
// each marked with its pass. scoreTiming's share counts against the steps a phrase asks for (a missed step counts),
// so the passes' shares are weighted by their phrases; the mean offset by their steps.
export function mergeReports(reports) {
  if (reports.length === 1) return { ...reports[0], passes: 1, phrases: reports[0].phrases.map((p) => ({ ...p, pass: 0 })) };
  const phrases = [];
  reports.forEach((report, pass) => {
    for (const phrase of report.phrases || []) phrases.push({ ...phrase, pass });
  });
  const weight = (report) => Math.max(1, (report.phrases || []).length);
  const shared = reports.filter((report) => Number.isFinite(report.share));
  const weights = shared.reduce((total, report) => total + weight(report), 0);
  return {
    steps: sum(reports, "steps"),
    stepsOnBeat: sum(reports, "stepsOnBeat"),
    share: weights ? shared.reduce((total, report) => total + report.share * weight(report), 0) / weights : null,
    meanOffsetMs: weightedOffset(reports),
    tapsExpected: sum(reports, "tapsExpected"),
    tapsFound: sum(reports, "tapsFound"),
    passes: reports.length,
    phrases,
  };
}

// steps: steps.js's { findFootEvents, scoreTiming }. Every pass scored on the span of the routine it covered.
// playbackRate: the routine's speed while the dancer danced (the step finder's durations are the dancer's).
export function scoreFrames(frames, timeline, steps, { playbackRate = 1 } = {}) {
  const reports = [];
  for (const pass of splitPasses(frames)) {
    const { start, end } = passSpan(pass);
    if (end - start < SHORTEST_PASS_S) continue;
    const events = steps.findFootEvents(pass, { playbackRate });
    reports.push(steps.scoreTiming(events, timeline, { from: start, to: end }));
  }
  return mergeReports(reports);
}

// Frames with a body in them (landmarks found), of all the frames analysed.
export function bodyShare(frames) {
  if (!frames.length) return 0;
  return frames.filter((frame) => frame.landmarks).length / frames.length;
}

/* ---------- words ---------- */

export function percent(share) {
  return Math.round(share * 100) + "%";
}

// "on average 120 ms late" for +120: how a teacher would say the mean offset.
export function offsetInWords(offsetMs) {
  if (!Number.isFinite(offsetMs)) return "";
  if (Math.abs(offsetMs) < ON_THE_BEAT_MS) return "on average right on the beat";
  return `on average ${Math.round(Math.abs(offsetMs))} ms ${offsetMs > 0 ? "late" : "early"}`;
}

export function tapsInWords(found, expected) {
  if (!expected) return "no taps on 4 and 8 in this part";
  if (found === 0) return `no taps found on 4 and 8 (of ${expected}): a step with weight instead?`;
  return `taps on 4 and 8: ${found} of ${expected}`;
}

// The summary's lines: share on the beat, the mean offset, the taps.
export function summaryLines(report) {
  if (!report.steps) return ["No steps found: was the whole body, feet included, in the picture?"];
  // The share counts the steps the routine asks for (a missed step counts against it), not only those seen.
  const lines = [`${percent(report.share)} of your steps on the beat (${report.stepsOnBeat} on the beat, `
    + `${report.steps} steps seen)`];
  const offset = offsetInWords(report.meanOffsetMs);
  if (offset) lines.push(offset[0].toUpperCase() + offset.slice(1));
  const taps = tapsInWords(report.tapsFound, report.tapsExpected);
  lines.push(taps[0].toUpperCase() + taps.slice(1));
  return lines;
}

// One phrase's row: "Phrase 3 at 0:12: 5 on the beat (6 steps seen), on average 30 ms late, taps 2 of 2".
export function phraseLine(phrase) {
  const head = `Phrase ${phrase.index + 1} at ${formatSeconds(phrase.start)}`;
  if (!phrase.steps) return `${head}: no steps found`;
  const parts = [`${phrase.stepsOnBeat} on the beat (${phrase.steps} steps seen)`];
  const offset = offsetInWords(phrase.meanOffsetMs);
  if (offset) parts.push(offset);
  parts.push(phrase.tapsExpected ? `taps ${phrase.tapsFound} of ${phrase.tapsExpected}` : "no taps here");
  return `${head}: ${parts.join(", ")}`;
}

// "Analysing your take: 40%", with the time left where known ("about 2 min left").
export function progressText(what, fraction, secondsLeft = null) {
  const share = Math.max(0, Math.min(1, Number(fraction) || 0));
  const text = `Analysing ${what}: ${Math.floor(share * 100)}%`;
  if (!Number.isFinite(secondsLeft) || secondsLeft <= 0 || share === 0) return text;
  const left = secondsLeft < 90 ? `${Math.max(5, Math.round(secondsLeft / 5) * 5)} s` : `${Math.round(secondsLeft / 60)} min`;
  return `${text} (about ${left} left)`;
}

export function tooSlowText(fps) {
  const rate = fps.toFixed(1).replace(/\.0$/, "");
  return `This device analyses about ${rate} frames a second while the routine plays; a live reading needs `
    + `${LIVE_MIN_FPS} or more, so a live score would be wrong. Record a take instead: it is analysed frame by `
    + "frame after you dance, however long that takes.";
}

/* ---------- what the practice log keeps ---------- */

const round = (value, places) => (Number.isFinite(value) ? Number(value.toFixed(places)) : null);

// The reading as the practice log's `timing` (choreography/services/practice.py): numbers only, never a picture.
export function timingPayload(report, source) {
  return {
    source,
    share: round(report.share, 4),
    mean_offset_ms: round(report.meanOffsetMs, 1),
    steps: report.steps,
    steps_on_beat: report.stepsOnBeat,
    taps_expected: report.tapsExpected,
    taps_found: Math.min(report.tapsFound, report.tapsExpected),
    phrases: report.phrases.map((phrase) => ({
      index: phrase.index,
      share: round(phrase.share, 4),
      mean_offset_ms: round(phrase.meanOffsetMs, 1),
      steps: phrase.steps,
      steps_on_beat: phrase.stepsOnBeat,
      taps_expected: phrase.tapsExpected,
      taps_found: Math.min(phrase.tapsFound, phrase.tapsExpected),
    })),
  };
}
