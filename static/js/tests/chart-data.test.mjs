import assert from "node:assert/strict";
import { test } from "node:test";

import {
  chartSize, hasReadings, MAX_CHART_WIDTH, MIN_CHART_WIDTH, minutesColumns, moveColumns, moveSummary, speedLabel,
  weekRange, weekSeconds,
} from "../charts/chart-data.js";

const data = {
  weeks: ["2026-11-16", "2026-11-23", "2026-11-30"],
  minutes: [12.5, 0, 30],
  moves: [],
};
const turn = { slug: "side-turn", name: "Side turn", best_speed: [0.5, null, 1], loops: [2, 0, 4], timing_share: [null, null, 0.7] };
const basic = { slug: "basic", name: "Basic", best_speed: [null, null, null], loops: [0, 1, 0], timing_share: [null, null, null] };

test("weeks become seconds since the epoch at midnight UTC", () => {
  assert.equal(weekSeconds("2026-11-30"), Date.UTC(2026, 10, 30) / 1000);
  assert.equal(weekSeconds("1970-01-01"), 0);
  assert.throws(() => weekSeconds("not a week"), /not a date/);
});

test("minutes per week: one x per week, a week without practice is zero", () => {
  const [xs, minutes] = minutesColumns({ ...data, minutes: [12.5, null, 30] });
  assert.equal(xs.length, 3);
  assert.deepEqual(minutes, [12.5, 0, 30]);
  assert.ok(xs[1] - xs[0] === 7 * 86400);
});

test("a move's columns: loops as zeros, speeds as gaps, timing in percent", () => {
  const { practice, timing } = moveColumns(data, turn);
  assert.deepEqual(practice.slice(1), [[2, 0, 4], [0.5, null, 1]]);
  assert.deepEqual(timing[1], [null, null, 70]);
  assert.equal(practice[0].length, timing[0].length);
});

test("no timing chart where the camera never watched", () => {
  assert.equal(moveColumns(data, basic).timing, null);
  assert.equal(hasReadings([null, undefined, NaN]), false);
  assert.equal(hasReadings([null, 0]), true);
  assert.equal(hasReadings(undefined), false);
});

test("charts take their container's width, within bounds, shorter on a phone", () => {
  assert.deepEqual(chartSize(358), { width: 358, height: 170 });
  assert.equal(chartSize(1200).width, MAX_CHART_WIDTH);
  assert.equal(chartSize(100).width, MIN_CHART_WIDTH);
  assert.equal(chartSize(undefined).width, MIN_CHART_WIDTH);
  assert.ok(chartSize(800).height > chartSize(358).height);
});

test("speeds read as the player writes them", () => {
  assert.equal(speedLabel(0.75), "0.75x");
  assert.equal(speedLabel(1), "1x");
  assert.equal(speedLabel(0.3333), "0.33x");
  assert.equal(speedLabel(null), "–");
});

test("a caption in words for screen readers", () => {
  assert.equal(
    moveSummary(data, turn),
    "Side turn: 6 loops in 2 weeks; best speed up from 0.5x to 1x; latest timing 70% on the beat.",
  );
  assert.equal(moveSummary(data, basic), "Basic: 1 loop in 1 week.");
  const steady = { ...turn, best_speed: [1, null, 0.75], timing_share: [] };
  assert.equal(moveSummary(data, steady), "Side turn: 6 loops in 2 weeks; best speed 1x.");
});

test("a chart of weeks has half a week of room on each side", () => {
  const first = weekSeconds("2026-11-16");
  const last = weekSeconds("2026-11-30");
  assert.deepEqual(weekRange(first, last), [first - 3.5 * 86400, last + 3.5 * 86400]);
  assert.deepEqual(weekRange(first, first), [first - 3.5 * 86400, first + 3.5 * 86400]);
  assert.deepEqual(weekRange(null, null), [-3.5 * 86400, 3.5 * 86400]);
});
