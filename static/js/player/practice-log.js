// The practice log: wall-clock time spent playing per speed and loop repetitions per move, sent in
// numbered batches that survive lost requests and closed tabs. The tally is plain data with the
// clock passed in (static/js/tests/practice-log.test.mjs); sending is below it.
import { roundSpeed } from "./speed.js";

const SEND_EVERY_MS = 30000;
const RETRY_FIRST_MS = 2000; // a batch that could not be sent is tried again after this,
const RETRY_MAX_MS = 60000; // doubling up to this
const PENDING_KEPT = 100;

export function createTally(clientId) {
  return {
    clientId, batch: 0, startedAt: null, segmentStart: null, segmentSpeed: 1,
    seconds: 0, speeds: {}, loops: {}, moveSpeeds: {}, timing: null,
  };
}

// Playing from nowMs (performance.now()) at speed; isoNow names the session's start.
export function openSegment(tally, nowMs, speed, isoNow) {
  if (tally.startedAt === null) tally.startedAt = isoNow;
  tally.segmentStart = nowMs;
  tally.segmentSpeed = speed;
}

// Practice time is wall-clock time spent playing (at 0.5x a 4 s move takes 8 s to practise).
export function closeSegment(tally, nowMs) {
  if (tally.segmentStart === null) return;
  const elapsed = (nowMs - tally.segmentStart) / 1000;
  tally.segmentStart = null;
  if (!(elapsed > 0)) return;
  const key = String(roundSpeed(tally.segmentSpeed));
  tally.seconds += elapsed;
  tally.speeds[key] = (tally.speeds[key] || 0) + elapsed;
}

export function recordLoopIn(tally, slugs, speed) {
  for (const slug of slugs) {
    tally.loops[slug] = (tally.loops[slug] || 0) + 1;
    tally.moveSpeeds[slug] = Math.max(tally.moveSpeeds[slug] || 0, speed);
  }
}

const round3 = (value) => Math.round(value * 1000) / 1000;

// A timing reading from pose feedback (pose-timing.js timingPayload: numbers only) goes with the next batch.
export function recordTimingIn(tally, timing) {
  tally.timing = timing;
}

// What was practised since the last batch as the next numbered batch (the tally starts again),
// or null when there is nothing to tell. Close the open segment first.
export function takeBatchFrom(tally, isoNow) {
  const hasLoops = Object.keys(tally.loops).length > 0;
  if (tally.seconds < 0.05 && !hasLoops && !tally.timing) return null;
  const speeds = {};
  for (const [speed, seconds] of Object.entries(tally.speeds)) speeds[speed] = round3(seconds);
  tally.batch += 1;
  const batch = {
    client_id: tally.clientId,
    batch: tally.batch,
    started_at: tally.startedAt || isoNow,
    seconds: round3(tally.seconds),
    speeds,
    loops: tally.loops,
    move_speeds: tally.moveSpeeds,
  };
  if (tally.timing) batch.timing = tally.timing;
  tally.timing = null;
  tally.seconds = 0;
  tally.speeds = {};
  tally.loops = {};
  tally.moveSpeeds = {};
  return batch;
}

export function batchId(batch) {
  return batch.client_id + "#" + batch.batch;
}

export function parsePending(text) {
  try {
    const list = JSON.parse(text || "[]");
    return Array.isArray(list) ? list : [];
  } catch (error) {
    return [];
  }
}

function makeClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

// Sends one batch; resolves to "sent", "refused" (a 400: the same batch would be refused again forever,
// so it is dropped) or "retry" (offline, a redirect to the login page, 403, 5xx: kept for later).
// keepalive lets the request outlive the page (pagehide); sendBeacon cannot carry the CSRF header.
export function postBatch(url, batch) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    keepalive: true,
    redirect: "manual", // a redirect to the login page is not a success
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(batch),
  }).then((response) => {
    if (response.ok) return "sent";
    if (response.status === 400) {
      console.warn("Practice batch refused", batch);
      return "refused";
    }
    return "retry";
  }, () => "retry");
}

export function installPracticeLog(player) {
  const { data, state, storage } = player;
  const enabled = Boolean(data.practiceUrl);
  // A visitor on the demo routine: practice is kept on this device, and sent after sign-up or log-in.
  const queueOnly = Boolean(data.practiceQueueOnly);
  const pendingKey = data.practicePendingKey || "bachata.practice.pending." + data.routineId;
  const tally = createTally(makeClientId());
  const inFlight = new Set();
  player.practiceClientId = tally.clientId;

  player.openPracticeSegment = () => {
    if (!enabled || player.video.paused || state.countingIn) return;
    openSegment(tally, performance.now(), state.speed, new Date().toISOString());
  };
  player.closePracticeSegment = () => {
    if (enabled) closeSegment(tally, performance.now());
  };
  player.recordLoop = (slugs) => {
    if (enabled) recordLoopIn(tally, slugs, state.speed);
  };
  // Kept with this practice session, sent at once; false where nothing is kept (a routine that is not yours).
  player.practiceLogEnabled = enabled;
  player.recordTiming = (timing) => {
    if (!enabled) return Promise.resolve([]);
    recordTimingIn(tally, timing);
    return player.flush();
  };

  function readPending() {
    return parsePending(storage.get(pendingKey));
  }
  player.pendingCount = () => readPending().length;

  // Read-modify-write: another tab of the same routine may have changed the list meanwhile.
  function updatePending(change) {
    storage.set(pendingKey, JSON.stringify(change(readPending()).slice(-PENDING_KEPT)));
  }

  function takeBatch() {
    const playing = tally.segmentStart !== null;
    player.closePracticeSegment();
    if (playing) player.openPracticeSegment();
    return takeBatchFrom(tally, new Date().toISOString());
  }

  function sendBatch(batch) {
    const id = batchId(batch);
    if (queueOnly || inFlight.has(id)) return Promise.resolve(false);
    inFlight.add(id);
    return postBatch(data.practiceUrl, batch).then((outcome) => {
      if (outcome === "retry") retryPendingLater();
      else updatePending((list) => list.filter((item) => batchId(item) !== id));
      return outcome === "sent";
    }).finally(() => inFlight.delete(id));
  }

  // A batch that could not be sent (offline, the server busy) is tried again after a pause that
  // grows each time, paused or playing, so the practice log never waits for the next visit.
  let retryTimer = null;
  let retryDelayMs = RETRY_FIRST_MS;
  function retryPendingLater() {
    if (retryTimer !== null) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      retryDelayMs = Math.min(retryDelayMs * 2, RETRY_MAX_MS);
      Promise.all(readPending().map(sendBatch)).then((sent) => {
        if (sent.every(Boolean)) retryDelayMs = RETRY_FIRST_MS;
      });
    }, retryDelayMs);
  }

  // Queue what was practised (in storage first, so a closed tab loses nothing), then send
  // every batch still pending, this one and any left by a failed send or an earlier visit.
  player.flush = () => {
    if (!enabled) return Promise.resolve([]);
    const batch = takeBatch();
    if (batch) updatePending((list) => list.concat([batch]));
    return Promise.all(readPending().map(sendBatch));
  };

  player.wirePracticeLog = () => {
    if (!enabled) return;
    player.onVideo("playing", player.openPracticeSegment);
    player.onVideo("pause", player.closePracticeSegment);
    player.onVideo("waiting", player.closePracticeSegment); // buffering is not practising
    player.onVideo("ended", player.closePracticeSegment);
    setInterval(() => {
      if (!player.video.paused) player.flush();
    }, SEND_EVERY_MS);
    window.addEventListener("pagehide", player.flush);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") player.flush();
      else player.openPracticeSegment();
    });
    if (readPending().length) player.flush(); // retry what an earlier visit could not send
  };
}
