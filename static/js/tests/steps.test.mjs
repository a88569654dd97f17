import assert from "node:assert/strict";
import { test } from "node:test";

import { findFootEvents, frameRateOf, phrasesOf, scoreTiming } from "../player/steps.js";

// A made-up dancer seen from the front, as MediaPipe would report it: the side basic at 120 BPM from
// FIRST_BEAT, each foot easing (smoothstep) from where it stands to where it lands on its beat, lifted on
// the way; the hips easing over a foot once it takes the weight. Picture 16:9; the dancer's left foot is on
// the picture's right (he faces the camera).
const BEAT = 0.5;
const FIRST_BEAT = 0.5;
const ASPECT = 16 / 9;
const HIP_Y = 0.42;
const FOOT_Y = 0.75;
const SWING_S = 0.27;
const TRANSFER_S = 0.15;
// One phrase: [count, foot, kind, where that foot lands (picture x)] for the side basic.
const PHRASE = [
  [1, "left", "step", 0.52], [2, "right", "step", 0.49], [3, "left", "step", 0.57], [4, "right", "tap", 0.55],
  [5, "right", "step", 0.49], [6, "left", "step", 0.52], [7, "right", "step", 0.43], [8, "left", "tap", 0.46],
];

function smoothstep(value) {
  const u = Math.min(1, Math.max(0, value));
  return u * u * (3 - 2 * u);
}

// A small seeded random source, so the noise is the same on every run.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function dancerMoves({ phrases = 2, lateS = 0, taps = true } = {}) {
  const moves = [];
  for (let phrase = 0; phrase < phrases; phrase += 1) {
    for (const [count, foot, kind, x] of PHRASE) {
      if (kind === "tap" && !taps) continue;
      moves.push({ land: FIRST_BEAT + (phrase * 8 + count - 1) * BEAT + lateS, foot, kind, x });
    }
  }
  return moves;
}

// The landmarks at time t: feet and hips from the moves, the rest of the body where it would be.
function poseAt(t, moves, noise) {
  const feet = { left: 0.46, right: 0.43 };
  const lift = { left: 0, right: 0 };
  let weightOn = "right";
  let hipsFrom = 0.43;
  let hipsTo = 0.43;
  let transferStart = -1;
  for (const move of moves) {
    const start = move.land - SWING_S;
    if (t < start) break;
    const progress = smoothstep((t - start) / SWING_S);
    const from = feet[move.foot];
    feet[move.foot] = from + (move.x - from) * progress;
    lift[move.foot] = t < move.land ? 0.025 * Math.sin(Math.PI * progress) : 0;
    if (move.kind === "step" && t >= move.land) {
      hipsFrom = hipsFrom + (hipsTo - hipsFrom) * smoothstep((move.land - transferStart) / TRANSFER_S);
      hipsTo = move.x;
      transferStart = move.land;
      weightOn = move.foot;
    }
  }
  const hips = transferStart < 0 ? hipsFrom : hipsFrom + (hipsTo - hipsFrom) * smoothstep((t - transferStart) / TRANSFER_S);
  const jitter = () => (noise() - 0.5) * 0.004;
  const point = (x, y) => ({ x: x + jitter(), y: y + jitter(), z: 0, visibility: 0.95 });
  const landmarks = Array.from({ length: 33 }, () => point(hips, 0.25));
  landmarks[23] = point(hips + 0.025, HIP_Y); // left hip: the picture's right
  landmarks[24] = point(hips - 0.025, HIP_Y);
  for (const [foot, ankle, heel, toe] of [["left", 27, 29, 31], ["right", 28, 30, 32]]) {
    const y = FOOT_Y - lift[foot];
    landmarks[ankle] = point(feet[foot], y - 0.01);
    landmarks[heel] = point(feet[foot], y + 0.005);
    landmarks[toe] = point(feet[foot], y + 0.01);
  }
  return { landmarks, weightOn };
}

function take({ fps = 15, seconds = 8.9, lateS = 0, taps = true, dropEvery = 0, seed = 7 } = {}) {
  const moves = dancerMoves({ lateS, taps });
  const noise = random(seed);
  const frames = [];
  for (let index = 0; index / fps < seconds; index += 1) {
    const t = index / fps;
    const missing = dropEvery && index % dropEvery === dropEvery - 1;
    frames.push({ t, landmarks: missing ? null : poseAt(t, moves, noise).landmarks });
  }
  return { frames, moves: moves.filter((move) => move.land < seconds - 0.2) };
}

const beats = Array.from({ length: 16 }, (_, index) => FIRST_BEAT + index * BEAT);
const timeline = { beats, downbeats: [beats[0], beats[8]] };

test("findFootEvents finds every step and tap where the foot lands, with the foot that moved", () => {
  const { frames, moves } = take();
  const events = findFootEvents(frames);
  assert.equal(events.length, moves.length);
  events.forEach((event, index) => {
    const truth = moves[index];
    assert.equal(event.foot, truth.foot, `event ${index}`);
    assert.equal(event.kind, truth.kind, `event ${index} at ${truth.land}`);
    assert.ok(Math.abs(event.t - truth.land) < 0.04, `event ${index}: ${event.t} for ${truth.land}`);
  });
});

test("findFootEvents copes with jitter and frames without a body, at 10 frames/s", () => {
  const { frames, moves } = take({ fps: 10, dropEvery: 9, seed: 3 });
  assert.ok(frames.some((frame) => frame.landmarks === null));
  const events = findFootEvents(frames);
  assert.equal(events.filter((event) => event.kind === "step").length, moves.filter((m) => m.kind === "step").length);
  assert.equal(events.filter((event) => event.kind === "tap").length, moves.filter((m) => m.kind === "tap").length);
  const errors = events.map((event, index) => event.t - moves[index].land);
  assert.ok(Math.abs(errors.reduce((a, b) => a + b, 0) / errors.length) < 0.03, `mean error ${errors}`);
});

test("a standing foot the pose model wavers over while the other foot steps is no event", () => {
  const { frames, moves } = take();
  // Count 3 (t = 1.5): the left foot steps out; the right one, standing, seems to jump for one frame.
  const wavering = frames.map((frame) => {
    if (Math.abs(frame.t - 1.4) > 0.01) return frame;
    const landmarks = frame.landmarks.map((point, index) => ([28, 30, 32].includes(index)
      ? { ...point, x: point.x + 0.015, y: point.y - 0.02 } : point));
    return { ...frame, landmarks };
  });
  assert.equal(findFootEvents(wavering).length, moves.length);
});

test("at half speed the frames' routine time runs slower than the dancer, and the events follow it", () => {
  const { frames, moves } = take();
  const halfSpeed = frames.map((frame) => ({ ...frame, t: frame.t * 0.5 }));
  const events = findFootEvents(halfSpeed, { playbackRate: 0.5 });
  assert.deepEqual(events.map((event) => event.kind), moves.map((move) => move.kind));
  events.forEach((event, index) => assert.ok(Math.abs(event.t - moves[index].land * 0.5) < 0.02, `${event.t}`));
});

test("a dancer who leaves out the taps has steps only", () => {
  const events = findFootEvents(take({ taps: false }).frames);
  assert.equal(events.filter((event) => event.kind === "tap").length, 0);
  assert.equal(events.length, 12);
});

test("a dancer standing still, or no body at all, has no events", () => {
  const still = take({ seconds: 0.2 }).frames.slice(0, 1);
  const standing = Array.from({ length: 30 }, (_, index) => ({ t: index / 15, landmarks: still[0].landmarks }));
  assert.deepEqual(findFootEvents(standing), []);
  assert.deepEqual(findFootEvents([{ t: 0, landmarks: null }, { t: 0.1, landmarks: null }]), []);
  assert.deepEqual(findFootEvents([]), []);
});

test("frameRateOf counts analysed frames per second of media time", () => {
  assert.equal(frameRateOf(take({ fps: 15, seconds: 2 }).frames).toFixed(3), "15.000");
  const every = [0, 0.5, 1, 1.5, 2].map((t) => ({ t, landmarks: null }));
  assert.equal(frameRateOf(every), 2);
  assert.equal(frameRateOf([{ t: 1, landmarks: null }]), 0);
  assert.equal(frameRateOf([]), 0);
});

test("phrasesOf takes 8 beats from each downbeat", () => {
  const phrases = phrasesOf(timeline);
  assert.deepEqual(phrases.map((phrase) => [phrase.start, phrase.end]), [[0.5, 4.5], [4.5, 8.5]]);
});

function events({ lateS = 0, taps = true, stepOnFour = false } = {}) {
  return dancerMoves({ lateS, taps }).map((move) => ({
    t: move.land, foot: move.foot, kind: stepOnFour && Math.abs(move.land - lateS - 2.0) < 1e-9 ? "step" : move.kind,
  }));
}

test("scoreTiming: on the beat, every step counts and both taps are there", () => {
  const report = scoreTiming(events(), timeline);
  assert.equal(report.phrases.length, 2);
  assert.equal(report.steps, 12);
  assert.equal(report.stepsOnBeat, 12);
  assert.equal(report.share, 1);
  assert.equal(report.meanOffsetMs, 0);
  assert.deepEqual([report.tapsFound, report.tapsExpected], [4, 4]);
  assert.deepEqual(report.phrases[0].lookAgain, []);
  assert.equal(report.tolerances.onBeatMs, 100);
});

test("scoreTiming: late steps have a positive offset, and past the tolerance they are off the beat", () => {
  const late = scoreTiming(events({ lateS: 0.12 }), timeline);
  assert.ok(Math.abs(late.meanOffsetMs - 120) < 1e-6);
  assert.equal(late.stepsOnBeat, 0);
  assert.equal(late.share, 0);
  assert.equal(late.tapsFound, 4, "a tap 120 ms late is still the tap");
  assert.equal(late.phrases[0].lookAgain.length, 3);
  const slightly = scoreTiming(events({ lateS: 0.06 }), timeline);
  assert.equal(slightly.share, 1);
  assert.equal(scoreTiming(events({ lateS: 0.06 }), timeline, { toleranceMs: 40 }).share, 0);
  const early = scoreTiming(events({ lateS: -0.05 }), timeline);
  assert.ok(Math.abs(early.meanOffsetMs + 50) < 1e-6);
});

test("scoreTiming: missing taps, and a step with weight on 4, are the moments to look at again", () => {
  const noTaps = scoreTiming(events({ taps: false }), timeline);
  assert.deepEqual([noTaps.tapsFound, noTaps.tapsExpected], [0, 4]);
  assert.equal(noTaps.share, 1, "the steps themselves are on the beat");
  assert.deepEqual(noTaps.phrases[0].lookAgain.slice(0, 2), [2.0, 4.0]);

  const stepOnFour = scoreTiming(events({ stepOnFour: true }), timeline);
  assert.equal(stepOnFour.phrases[0].steps, 7);
  assert.equal(stepOnFour.phrases[0].tapsFound, 1);
  assert.ok(stepOnFour.phrases[0].share < 1);
  assert.ok(stepOnFour.phrases[0].lookAgain.includes(2.0));
});

test("scoreTiming scores only the phrases the dancer was seen through", () => {
  const firstPhraseOnly = events().filter((event) => event.t < 4.4);
  assert.equal(scoreTiming(firstPhraseOnly, timeline).phrases.length, 1);
  assert.equal(scoreTiming(events(), timeline, { from: 4.4, to: 9 }).phrases.length, 1);
  const none = scoreTiming([], timeline);
  assert.deepEqual([none.steps, none.share, none.meanOffsetMs, none.phrases.length], [0, 0, null, 0]);
});
