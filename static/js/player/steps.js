// Steps and taps from pose landmarks, and how they sit on the music's beats. Pure functions over plain data:
// static/js/tests/steps.test.mjs runs them under `node --test` on made-up landmark sequences.
//
// A frame is {t, landmarks}: t in the routine's media time (seconds), landmarks MediaPipe pose's 33 points
// ({x, y, z, visibility}, x and y 0..1 of the picture, y down) or null where no body was found; optionally
// aspect, the picture's width / height (analyseVideo gives it).
//
// How a step is found (BACHATA.md: the weight changes on 1 2 3 and 5 6 7, the free foot taps on 4 and 8):
// 1. Each foot is one point (the mean of its ankle, heel and toe), in leg lengths (hip to ankle), so the
//    thresholds hold at any distance from the camera.
// 2. A foot moves where its speed passes a threshold; a move ends where the foot has settled.
// 3. When it landed: feet ease out of one place and into the next, fastest half way. The foot's progress from
//    where it stood to where it stands next, frame by frame, is fitted with an ease (a smoothstep: fitEase)
//    whose end is the landing. Every frame of the move counts, so it holds at a few frames a step.
// 4. Step or tap: after a step the hips travel over the new foot (the weight goes onto it); after a tap they
//    stay over the standing foot. Measured as the hips' sideways travel toward the landed foot from just
//    before the landing to a moment after it.
// On the rendered dancer of tests/test_pose_engine_browser.py (MediaPipe's lite model, 15 frames/s) every step
// and tap is found and the landings read 10-18 ms early on average.

import { nearestBeatIndex } from "./timeline.js";

export const LEFT_FOOT = { ankle: 27, heel: 29, toe: 31 };
export const RIGHT_FOOT = { ankle: 28, heel: 30, toe: 32 };
const LEFT_HIP = 23;
const RIGHT_HIP = 24;

export const STEP_DEFAULTS = {
  playbackRate: 1, // the routine's speed while the dancer danced: its media time per second of the dancer's
  aspect: 16 / 9, // the picture's width / height, where the frames do not say (frame.aspect)
  minVisibility: 0.3, // a landmark less sure than this is ignored
  movingSpeed: 0.45, // leg lengths per second: slower than this the foot is standing
  minTravel: 0.06, // leg lengths: a smaller move is jitter, not a step
  minLift: 0.04, // leg lengths a foot put down where it was must have been lifted (a step in place)
  outdoneBy: 2, // a foot's move is noise where the other foot makes a move this many times bigger meanwhile
  joinGapS: 0.1, // two moves this close together are one
  settleS: 0.2, // where a foot was before and is after a move: the median over this long
  swingS: [0.08, 0.8], // the shortest and longest a foot's way from one place to the next may take (the fit's range)
  fitReachS: 0.15, // how far the fitted half-way time may be from where the frames cross half way
  fitStepS: 0.005, // the fit's grid
  hipBeforeS: 0.08, // the hips before a landing: this long before it
  hipAfterS: 0.3, // and after it, once the weight has gone over
  seenAfterS: 0.15, // a landing needs the hips seen this long after it (where the frames end sooner: unknown)
  stepHipShift: 0.06, // leg lengths the hips travel toward the landed foot on a step (a tap: none or away)
};

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

function median(values) {
  const sorted = values.filter(isNumber).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function sure(landmarks, index, minVisibility) {
  const point = landmarks && landmarks[index];
  if (!point || !isNumber(point.x) || !isNumber(point.y)) return null;
  if (isNumber(point.visibility) && point.visibility < minVisibility) return null;
  return point;
}

// The mean of the sure points among `indexes`, x scaled by the aspect so x and y are in the same unit
// (the picture's height); null where none is sure.
function meanPoint(landmarks, indexes, aspect, minVisibility) {
  let x = 0;
  let y = 0;
  let count = 0;
  for (const index of indexes) {
    const point = sure(landmarks, index, minVisibility);
    if (!point) continue;
    x += point.x * aspect;
    y += point.y;
    count += 1;
  }
  return count ? { x: x / count, y: y / count } : null;
}

// Per frame: t, each foot, the hips' middle, in picture heights; frames without a body are dropped.
function bodyTrack(frames, settings) {
  const track = [];
  for (const frame of frames) {
    if (!frame || !isNumber(frame.t) || !frame.landmarks) continue;
    const aspect = isNumber(frame.aspect) ? frame.aspect : settings.aspect;
    const { landmarks } = frame;
    const left = meanPoint(landmarks, Object.values(LEFT_FOOT), aspect, settings.minVisibility);
    const right = meanPoint(landmarks, Object.values(RIGHT_FOOT), aspect, settings.minVisibility);
    const hips = meanPoint(landmarks, [LEFT_HIP, RIGHT_HIP], aspect, settings.minVisibility);
    if (!hips || (!left && !right)) continue;
    track.push({ t: frame.t, left, right, hips });
  }
  track.sort((a, b) => a.t - b.t);
  return track;
}

// The body's scale: the median height from the hips to the feet, in picture heights.
function legLength(track) {
  const lengths = track.map(({ left, right, hips }) => {
    const feet = [left, right].filter(Boolean);
    return feet.reduce((sum, foot) => sum + (foot.y - hips.y), 0) / feet.length;
  });
  const length = median(lengths);
  return length > 0.01 ? length : NaN;
}

function valueAt(samples, t, pick) {
  // Linear between the samples either side of t (samples sorted by t, pick(sample) a number or null).
  let before = null;
  let after = null;
  for (const sample of samples) {
    const value = pick(sample);
    if (!isNumber(value)) continue;
    if (sample.t <= t) before = { t: sample.t, value };
    else {
      after = { t: sample.t, value };
      break;
    }
  }
  if (before && after) return before.value + ((after.value - before.value) * (t - before.t)) / (after.t - before.t);
  return before ? before.value : after ? after.value : NaN;
}

// A foot's moves: [{start, end}] index ranges of `points` (one foot's [{t, x, y}] in leg lengths) where it travels.
function footMoves(points, settings) {
  const moving = [];
  for (let index = 1; index < points.length; index += 1) {
    const a = points[index - 1];
    const b = points[index];
    const speed = Math.hypot(b.x - a.x, b.y - a.y) / Math.max(b.t - a.t, 1e-3);
    if (speed >= settings.movingSpeed) moving.push(index);
  }
  const moves = [];
  for (const index of moving) {
    const last = moves[moves.length - 1];
    if (last && points[index - 1].t - points[last.end].t <= settings.joinGapS) last.end = index;
    else moves.push({ start: index - 1, end: index });
  }
  return moves;
}

function medianPlace(points, from, to) {
  const inside = points.filter((point) => point.t >= from && point.t <= to);
  return { x: median(inside.map((p) => p.x)), y: median(inside.map((p) => p.y)) };
}

function smoothstep(value) {
  const u = Math.min(1, Math.max(0, value));
  return u * u * (3 - 2 * u);
}

// The smoothstep from 0 to 1 that passes closest to the samples ([{t, q}]): {centre, duration} by a grid
// search round the half-way crossing (a few thousand cheap evaluations a move).
function fitEase(samples, settings) {
  let guess = null;
  for (let index = 1; index < samples.length && !guess; index += 1) {
    const a = samples[index - 1];
    const b = samples[index];
    if (a.q < 0.5 && b.q >= 0.5) guess = a.t + ((0.5 - a.q) * (b.t - a.t)) / (b.q - a.q);
  }
  if (guess === null) return null;
  let best = { error: Infinity, centre: guess, duration: settings.swingS[0] };
  const [shortest, longest] = settings.swingS;
  for (let centre = guess - settings.fitReachS; centre <= guess + settings.fitReachS; centre += settings.fitStepS) {
    for (let duration = shortest; duration <= longest; duration += settings.fitStepS) {
      let error = 0;
      for (const { t, q } of samples) {
        const miss = q - smoothstep((t - centre) / duration + 0.5);
        error += miss * miss;
      }
      if (error < best.error) best = { error, centre, duration };
    }
  }
  return best;
}

// When a foot landed, going from `from` to `to` (leg lengths) over the frames first..last: feet ease in and
// out of a step, so the way it went (its progress along from -> to, frame by frame) is fitted with an ease
// (a smoothstep) whose end is the landing. The fit uses every frame of the move, so it holds at a few frames
// a step, where the frame before and after the landing may be 130 ms apart.
function landingTime(points, first, last, from, to, settings) {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length2 = dx * dx + dy * dy;
  const samples = points.slice(Math.max(0, first), last + 1).map((point) => ({
    t: point.t,
    q: ((point.x - from.x) * dx + (point.y - from.y) * dy) / length2,
  }));
  const fit = fitEase(samples, settings);
  return fit ? fit.centre + fit.duration / 2 : NaN;
}

// A foot lifted and put down where it was (a step in place): when it landed, from its way down as above, the
// way being from its highest to the floor (`floorY`, leg lengths, y down); NaN where it was not lifted enough.
function liftedInPlace(points, move, floorY, settings) {
  let peak = move.start;
  for (let index = move.start; index <= move.end; index += 1) if (points[index].y < points[peak].y) peak = index;
  const height = floorY - points[peak].y;
  if (!(height >= settings.minLift)) return NaN;
  const top = { x: points[peak].x, y: points[peak].y };
  const down = { x: points[peak].x, y: floorY };
  return landingTime(points, peak, move.end + 1, top, down, settings);
}

// The durations and speeds above are the dancer's (real seconds); the frames' t is routine time, which runs
// `playbackRate` times as fast as the dancer's clock (0.5 at half speed).
function inRoutineTime(settings) {
  const rate = isNumber(settings.playbackRate) && settings.playbackRate > 0 ? settings.playbackRate : 1;
  const scaled = { ...settings, movingSpeed: settings.movingSpeed / rate, swingS: settings.swingS.map((s) => s * rate) };
  for (const key of ["joinGapS", "settleS", "hipBeforeS", "hipAfterS", "seenAfterS", "fitReachS", "fitStepS"]) {
    scaled[key] = settings[key] * rate;
  }
  return scaled;
}

// [{t, foot: "left"|"right", kind: "step"|"tap"}] sorted by t: where each foot landed, and whether the weight
// went onto it. `frames`: [{t, landmarks}] (see the top of this file); options: STEP_DEFAULTS to override.
export function findFootEvents(frames, options = {}) {
  const settings = inRoutineTime({ ...STEP_DEFAULTS, ...options });
  const track = bodyTrack(frames || [], settings);
  if (track.length < 3) return [];
  const leg = legLength(track);
  if (!isNumber(leg)) return [];
  const hips = track.map(({ t, hips: point }) => ({ t, x: point.x / leg, y: point.y / leg }));
  const lastT = track[track.length - 1].t;
  const moves = [];
  for (const foot of ["left", "right"]) {
    const points = track.filter((sample) => sample[foot]).map((sample) => ({
      t: sample.t, x: sample[foot].x / leg, y: sample[foot].y / leg,
    }));
    const spans = footMoves(points, settings);
    spans.forEach((span, index) => {
      // A move still under way where the frames start or stop has no known start or landing.
      if (span.start === 0 || span.end === points.length - 1) return;
      const startT = points[span.start].t;
      const endT = points[span.end].t;
      const previousEnd = index > 0 ? points[spans[index - 1].end].t : -Infinity;
      const nextStart = index + 1 < spans.length ? points[spans[index + 1].start].t : Infinity;
      const from = medianPlace(points, Math.max(startT - settings.settleS, previousEnd), startT);
      const to = medianPlace(points, endT, Math.min(endT + settings.settleS, nextStart));
      if (!isNumber(from.x) || !isNumber(to.x)) return;
      const travel = Math.hypot(to.x - from.x, to.y - from.y);
      const lifted = travel < settings.minTravel;
      const t = lifted
        ? liftedInPlace(points, span, Math.max(from.y, to.y), settings)
        : landingTime(points, span.start - 1, span.end + 1, from, to, settings);
      // Step or tap shows in the hips after the landing: a landing too near the end of the frames stays unknown.
      if (!isNumber(t) || t + settings.seenAfterS > lastT) return;
      const size = lifted ? Math.max(...points.slice(span.start, span.end + 1).map((p) => to.y - p.y)) : travel;
      moves.push({ foot, startT, endT, t, to, size });
    });
  }
  const events = [];
  for (const move of moves) {
    // Feet take turns: a foot that seems to move while the other makes a much bigger move at the same time is
    // the pose model wavering over the standing foot.
    const outdone = moves.some((other) => other.foot !== move.foot && other.size >= settings.outdoneBy * move.size
      && other.startT < move.endT && move.startT < other.endT);
    if (outdone) continue;
    const hipBefore = valueAt(hips, move.t - settings.hipBeforeS, (p) => p.x);
    const hipAfter = valueAt(hips, Math.min(move.t + settings.hipAfterS, lastT), (p) => p.x);
    // Toward the landed foot: the side it is on, seen from the hips before the landing.
    const side = Math.sign(move.to.x - hipBefore) || 1;
    const shift = (hipAfter - hipBefore) * side;
    events.push({ t: move.t, foot: move.foot, kind: shift >= settings.stepHipShift ? "step" : "tap" });
  }
  return events.sort((a, b) => a.t - b.t);
}

// Analysed frames per second of media time: (frames - 1) / (last t - first t); 0 with fewer than two.
export function frameRateOf(frames) {
  const times = (frames || []).map((frame) => frame && frame.t).filter(isNumber);
  if (times.length < 2) return 0;
  const span = Math.max(...times) - Math.min(...times);
  return span > 0 ? (times.length - 1) / span : 0;
}

// --- timing: the events against the beats ------------------------------------------------------------------

export const TIMING_DEFAULTS = {
  toleranceMs: 100, // a step this close to its beat is on it (BACHATA.md: a teacher sees about 80 ms)
  tapWindowBeats: 0.4, // a tap this close to the 4 or the 8 (in beats) is that tap
  lookAgainPerPhrase: 3, // the worst moments kept per phrase
};
const STEP_COUNTS = [1, 2, 3, 5, 6, 7];
const TAP_COUNTS = [4, 8];
// How bad a moment is, for ordering "look again": a missing tap or a step on a tap count outranks any offset.
const WRONG_WEIGHT_BADNESS_MS = 1000;

function mean(values) {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
}

// The beat closest to t (timeline.js's binary search), or -1 without beats.
function nearestIndex(beats, t) {
  return beats.length ? nearestBeatIndex(beats, t) : -1;
}

// The phrases of the timeline: 8 beats from each downbeat that falls on a beat; {index, first (beat index), start, end}.
export function phrasesOf(timeline) {
  const beats = (timeline && timeline.beats) || [];
  const downbeats = (timeline && timeline.downbeats) || [];
  const phrases = [];
  for (const downbeat of downbeats) {
    const first = nearestIndex(beats, downbeat);
    if (first < 0 || first + 7 >= beats.length) continue;
    if (Math.abs(beats[first] - downbeat) > 0.1) continue; // a downbeat off the beats: no phrase to score
    if (phrases.length && first < phrases[phrases.length - 1].first + 8) continue; // overlapping: keep the first
    const beat = beats[first + 7] - beats[first + 6];
    const end = first + 8 < beats.length ? beats[first + 8] : beats[first + 7] + beat;
    phrases.push({ index: phrases.length, first, start: beats[first], end });
  }
  return phrases;
}

// How the events sit on the beats, per phrase and overall (see the contract in the file's header):
// {steps, stepsOnBeat, share, meanOffsetMs, tapsExpected, tapsFound, phrases: [...], tolerances}.
// Offsets are positive when late. Only the phrases the dancer was seen through are scored: from options.from
// to options.to (the analysed span, routine time), by default from just before the first event to a beat
// after the last; a phrase counts where its 1 and its 7 are inside.
export function scoreTiming(events, timeline, options = {}) {
  const settings = { ...TIMING_DEFAULTS, ...options };
  const beats = (timeline && timeline.beats) || [];
  const sorted = [...(events || [])].filter((event) => isNumber(event.t)).sort((a, b) => a.t - b.t);
  const beatS = beats.length > 1 ? (beats[beats.length - 1] - beats[0]) / (beats.length - 1) : 0.5;
  const from = isNumber(settings.from) ? settings.from : sorted.length ? sorted[0].t - beatS / 2 : Infinity;
  const to = isNumber(settings.to) ? settings.to : sorted.length ? sorted[sorted.length - 1].t + beatS : -Infinity;
  const tolerance = settings.toleranceMs / 1000;

  const phrases = [];
  for (const phrase of phrasesOf(timeline)) {
    if (phrase.start < from - 1e-6 || beats[phrase.first + 6] > to + 1e-6) continue;
    // Each event goes to its nearest beat; those whose beat is in this phrase are its.
    const mine = sorted
      .map((event) => {
        const beatIndex = nearestIndex(beats, event.t);
        return { ...event, count: beatIndex - phrase.first + 1, offset: event.t - beats[beatIndex] };
      })
      // Past either end of the beats an event's nearest beat is not its own.
      .filter((event) => event.count >= 1 && event.count <= 8 && Math.abs(event.offset) <= beatS / 2);
    const beatAt = (count) => beats[phrase.first + count - 1];
    const steps = mine.filter((event) => event.kind === "step");
    const onStepCounts = steps.filter((event) => STEP_COUNTS.includes(event.count));
    const onBeat = onStepCounts.filter((event) => Math.abs(event.offset) <= tolerance);
    const tapWindow = settings.tapWindowBeats * beatS;
    const tapsFound = TAP_COUNTS.filter((count) =>
      mine.some((event) => event.kind === "tap" && Math.abs(event.t - beatAt(count)) <= tapWindow),
    );
    const worst = [];
    for (const event of onStepCounts) {
      if (Math.abs(event.offset) > tolerance) worst.push({ t: event.t, badness: Math.abs(event.offset) * 1000 });
    }
    for (const event of steps) {
      if (TAP_COUNTS.includes(event.count)) worst.push({ t: event.t, badness: WRONG_WEIGHT_BADNESS_MS });
    }
    for (const count of TAP_COUNTS) {
      if (!tapsFound.includes(count)) worst.push({ t: beatAt(count), badness: WRONG_WEIGHT_BADNESS_MS });
    }
    for (const count of STEP_COUNTS) {
      if (!steps.some((event) => event.count === count)) worst.push({ t: beatAt(count), badness: WRONG_WEIGHT_BADNESS_MS / 2 });
    }
    worst.sort((a, b) => b.badness - a.badness || a.t - b.t);
    const offsets = onStepCounts.map((event) => event.offset * 1000);
    phrases.push({
      index: phrase.index,
      start: phrase.start,
      end: phrase.end,
      steps: steps.length,
      stepsOnBeat: onBeat.length,
      share: onBeat.length / Math.max(STEP_COUNTS.length, steps.length),
      meanOffsetMs: mean(offsets),
      offsetsMs: offsets,
      tapsExpected: TAP_COUNTS.length,
      tapsFound: tapsFound.length,
      lookAgain: worst.slice(0, settings.lookAgainPerPhrase).map((moment) => moment.t),
    });
  }
  const total = (key) => phrases.reduce((sum, phrase) => sum + phrase[key], 0);
  const expectedSteps = phrases.reduce((sum, phrase) => sum + Math.max(STEP_COUNTS.length, phrase.steps), 0);
  return {
    steps: total("steps"),
    stepsOnBeat: total("stepsOnBeat"),
    share: expectedSteps ? total("stepsOnBeat") / expectedSteps : 0,
    meanOffsetMs: mean(phrases.flatMap((phrase) => phrase.offsetsMs)),
    tapsExpected: total("tapsExpected"),
    tapsFound: total("tapsFound"),
    phrases,
    tolerances: { onBeatMs: settings.toleranceMs, tapWindowBeats: settings.tapWindowBeats },
  };
}
