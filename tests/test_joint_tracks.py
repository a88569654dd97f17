"""The motion as joint data: every catalog move's joints obey the rules a dancer's body would."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from choreography import clipformat
from choreography.catalog.data import load_catalog
from choreography.catalog.render import joint_rules
from choreography.catalog.render.performance import BUILDS, HOLD_GRIPS, joint_tracks
from choreography.catalog.render.skeleton import BONES, DANCERS, JOINT, JOINTS, JointTracks

BPM = clipformat.RECORDED_BPM


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def tracks(catalog):
    return {move.slug: joint_tracks(move, bpm=BPM) for move in catalog}


@pytest.fixture(scope="module")
def measures(catalog, tracks):
    return {move.slug: joint_rules.measure(move, tracks[move.slug], bpm=BPM) for move in catalog}


def _worst(measures, name, *, larger=True):
    rows = sorted(measures.values(), key=lambda row: getattr(row, name), reverse=larger)
    return [(row.slug, getattr(row, name)) for row in rows[:5]]


class TestShape:
    def test_one_frame_per_video_frame_count_one_on_frame_zero(self, catalog, tracks):
        for move in catalog:
            track = tracks[move.slug]
            assert track.frames == clipformat.frames_for_counts(move.counts, BPM)
            for dancer in DANCERS:
                assert track.positions[dancer].shape == (track.frames, len(JOINTS), 3)
                assert np.isfinite(track.positions[dancer]).all()
                first = [step for step in track.step_frames[dancer] if step[2] != "and"][0]
                assert first[0] == 0

    def test_a_retimed_clip_still_has_one_step_per_count(self, catalog):
        move = catalog[0]
        track = joint_tracks(move, bpm=96.0)
        assert track.frames == clipformat.frames_for_counts(move.counts, 96.0)
        assert joint_rules.step_error(move, track, bpm=96.0) <= joint_rules.MAX_STEP_ERROR_FRAMES

    def test_bone_lengths_are_fixed_per_dancer(self, tracks):
        for slug, track in tracks.items():
            for dancer in DANCERS:
                p = track.positions[dancer]
                for a, b in BONES:
                    length = np.linalg.norm(p[:, JOINT[a]] - p[:, JOINT[b]], axis=1)
                    assert length.max() - length.min() < 1e-3, (slug, dancer, a, b)

    def test_builds_follow_the_heights(self, tracks):
        track = next(iter(tracks.values()))
        for dancer in DANCERS:
            head = track.positions[dancer][0, JOINT["head"], 1]
            assert 0.88 * BUILDS[dancer].height < head < 0.97 * BUILDS[dancer].height

    def test_weights_share_the_body(self, tracks):
        for slug, track in tracks.items():
            for dancer in DANCERS:
                weight = track.weight[dancer]
                assert np.allclose(weight.sum(axis=1), 1.0), slug
                assert (weight >= -1e-9).all() and (weight <= 1 + 1e-9).all(), slug

    def test_tracks_round_trip_through_npz(self, tracks, tmp_path):
        track = tracks["basic-in-place"]
        path = tmp_path / "basic.npz"
        track.save(path)
        loaded = JointTracks.load(path)
        assert loaded.frames == track.frames
        assert np.allclose(loaded.positions["leader"], track.positions["leader"], atol=1e-5)
        assert loaded.connections == track.connections
        assert loaded.step_frames == track.step_frames

    def test_deterministic(self, catalog, tracks):
        again = joint_tracks(catalog[0], bpm=BPM)
        assert np.array_equal(again.positions["follower"], tracks[catalog[0].slug].positions["follower"])


class TestRules:
    def test_a_weighted_foot_stays_planted(self, measures):
        worst = _worst(measures, "foot_slide_m")
        assert worst[0][1] < joint_rules.MAX_FOOT_SLIDE_M, worst

    def test_each_step_lands_on_its_count(self, measures):
        worst = _worst(measures, "step_error_frames")
        assert worst[0][1] <= joint_rules.MAX_STEP_ERROR_FRAMES, worst

    def test_the_tap_carries_no_weight(self, tracks):
        for slug, track in tracks.items():
            for dancer in DANCERS:
                for frame, foot, kind in track.step_frames[dancer]:
                    if kind in ("tap", "flick", "heel", "kick"):
                        assert track.weight[dancer][frame, 0 if foot == "l" else 1] < 0.05, (slug, dancer, frame)

    def test_joined_hands_stay_together(self, measures):
        worst = _worst(measures, "hand_gap_m")
        assert worst[0][1] <= joint_rules.MAX_HAND_GAP_M, worst

    def test_the_bodies_never_pass_through_each_other(self, measures):
        worst = _worst(measures, "clearance_m", larger=False)
        assert worst[0][1] > joint_rules.MIN_CLEARANCE_M, worst

    def test_knees_bend_like_knees(self, measures):
        low = _worst(measures, "knee_min_deg", larger=False)
        high = _worst(measures, "knee_max_deg")
        assert low[0][1] >= joint_rules.KNEE_FLEXION_DEG[0], low
        assert high[0][1] <= joint_rules.KNEE_FLEXION_DEG[1], high

    def test_elbows_bend_like_elbows(self, measures):
        worst = _worst(measures, "elbow_max_deg")
        assert worst[0][1] <= joint_rules.MAX_ELBOW_FLEXION_DEG, worst

    def test_turns_go_the_way_and_amount_the_data_says(self, measures):
        worst = _worst(measures, "turn_error_deg")
        assert worst[0][1] <= joint_rules.MAX_TURN_ERROR_DEG, worst

    def test_both_bodies_stay_in_frame(self, measures):
        box = joint_rules.FRAME_BOX
        assert _worst(measures, "box_x_m")[0][1] < box["x"]
        assert _worst(measures, "box_z_m")[0][1] < box["z"]
        assert _worst(measures, "box_y_min_m", larger=False)[0][1] >= box["y"][0]
        assert _worst(measures, "box_y_max_m")[0][1] < box["y"][1]


class TestMotion:
    def test_the_pelvis_rides_over_the_weighted_foot(self, tracks):
        track = tracks["side-basic"]
        p, weight = track.positions["leader"], track.weight["leader"]
        pelvis = p[:, JOINT["pelvis"], [0, 2]]
        left, right = p[:, JOINT["l_ankle"], [0, 2]], p[:, JOINT["r_ankle"], [0, 2]]
        on_left = weight[:, 0] > 0.95
        on_right = weight[:, 1] > 0.95
        nearer_left = np.linalg.norm(pelvis - left, axis=1) < np.linalg.norm(pelvis - right, axis=1)
        assert nearer_left[on_left].all() and not nearer_left[on_right].any()

    def test_a_turn_raises_the_joined_hands_over_her_head(self, tracks):
        track = tracks["follower-right-turn"]
        middle = round(5.5 * track.fps * 60 / BPM)
        assert ("l_hand", "r_hand") in track.connections[middle]
        hand = track.positions["leader"][middle, JOINT["l_hand"], 1]
        assert hand > track.positions["follower"][middle, JOINT["head"], 1]

    def test_closed_hold_joins_hands_out_to_the_side_at_shoulder_height(self, tracks):
        track = tracks["basic-in-place"]
        held = [f for f, grips in enumerate(track.connections) if ("l_hand", "r_hand") in grips]
        assert held
        leader, follower = track.positions["leader"][held], track.positions["follower"][held]
        hand = leader[:, JOINT["l_hand"]]
        between_heads = (leader[:, JOINT["head"]] + follower[:, JOINT["head"]]) / 2
        assert (np.linalg.norm((hand - between_heads)[:, [0, 2]], axis=1) >= 0.25).all()
        shoulders = np.stack([leader[:, JOINT["l_shoulder"], 1], follower[:, JOINT["r_shoulder"], 1]])
        assert (hand[:, 1] >= shoulders.min(axis=0) - 0.15).all()
        assert (hand[:, 1] <= shoulders.max(axis=0) + 0.15).all()
        # Her left hand rests on his right shoulder: not up beside his neck and face.
        on_shoulder = follower[:, JOINT["l_hand"]]
        assert (on_shoulder[:, 1] <= leader[:, JOINT["r_shoulder"], 1] + 0.08).all()
        assert (np.linalg.norm(on_shoulder - leader[:, JOINT["head"]], axis=1) >= 0.25).all()

    def test_a_dip_takes_her_torso_back_and_down(self, tracks):
        track = tracks["simple-dip"]
        p = track.positions["follower"]
        low = round(5.5 * track.fps * 60 / BPM)
        assert p[low, JOINT["head"], 1] < p[0, JOINT["head"], 1] - 0.3
        assert ("r_hand", "chest") in track.connections[low]
        # Up again by the end.
        assert abs(p[-1, JOINT["head"], 1] - p[0, JOINT["head"], 1]) < 0.05

    def test_a_body_wave_rolls_down_the_spine(self, tracks):
        track = tracks["simple-body-wave"]
        p = track.positions["follower"]
        lean = p[:, JOINT["chest"], 1] - p[:, JOINT["spine"], 1]
        assert lean.max() - lean.min() > 0.005

    def test_a_syncopation_steps_on_the_and(self, tracks):
        track = tracks["syncopated-side-basic"]
        ands = [frame for frame, _foot, kind in track.step_frames["leader"] if kind == "and"]
        half = track.fps * 60 / BPM / 2
        assert [round(frame / half) for frame in ands] == [7, 15]  # 4-and and 8-and

    def test_a_turning_head_spots(self, tracks):
        # Mid-turn the head looks back towards the spot while the pelvis has turned on.
        track = tracks["follower-right-turn"]
        p = track.positions["follower"]
        beat = track.fps * 60 / BPM
        frames = range(round(4.2 * beat), round(6.8 * beat))
        lags = []
        for frame in frames:
            gaze = p[frame, JOINT["head"]] - p[frame, JOINT["neck"]]
            across = p[frame, JOINT["r_hip"]] - p[frame, JOINT["l_hip"]]
            facing = np.arctan2(across[2], across[0]) - np.pi / 2
            lags.append(abs(np.angle(np.exp(1j * (np.arctan2(gaze[2], gaze[0]) - facing)))))
        assert max(lags) > 0.8

    def test_a_change_of_hold_never_jumps(self, tracks):
        for slug, track in tracks.items():
            for dancer in DANCERS:
                step = np.linalg.norm(np.diff(track.positions[dancer], axis=0), axis=2)
                # Half a metre a second is quick for a hand; 0.25 m in one frame would be a jump.
                assert step.max() < 0.25, (slug, dancer, float(step.max()))

    def test_every_move_ends_in_the_hold_it_names(self, catalog, tracks):
        # So the next clip, which starts in that hold, cuts on cleanly.
        for move in catalog:
            last = tracks[move.slug].connections[-1]
            missing = [grip for grip in HOLD_GRIPS[move.end_position] if grip not in last]
            assert not missing, (move.slug, move.end_position, missing)


def test_the_report_names_the_worst_move_on_each_measure(catalog):
    report = joint_rules.catalog_report(catalog[:3], bpm=BPM)
    assert set(report["worst"]) == set(joint_rules.WORST_IS_MAX)
    assert all(entry["slug"] in {move.slug for move in catalog[:3]} for entry in report["worst"].values())


def _frame(track, beat: float) -> int:
    return min(track.frames - 1, round(beat * track.fps * 60 / BPM))


def _path_hands(move) -> set[tuple[str, str]]:
    """The hands a move's arm paths move: each may let go of its grip while its path runs."""
    hands = set()
    for arm in move.arm_paths:
        joint = f"{arm.hand[0]}_hand"
        if arm.path in ("hand_change", "behind_back"):
            hands |= {("follower", joint), ("leader", "l_hand"), ("leader", "r_hand")}
        else:
            hands.add((arm.who, joint))
            if arm.path == "hair_comb":
                partner = "leader" if arm.who == "follower" else "follower"
                # The partner's hand on that grip goes with it.
                for grip in HOLD_GRIPS[move.start_position]:
                    mine, theirs = (grip[1], grip[0]) if arm.who == "follower" else grip
                    if mine == joint:
                        hands.add((partner, theirs))
    return hands


class TestArmPaths:
    """What the move's data says the arms do (arm_paths) is what the joints do."""

    def test_only_the_grips_an_arm_path_names_let_go(self, catalog, tracks):
        # Every other grip of the hold stays joined (and within the joined-hands rule) all through the move.
        checked = 0
        for move in catalog:
            if not move.arm_paths or "turns" in move.elements or move.start_position != move.end_position:
                continue
            moving = _path_hands(move)
            for grip in HOLD_GRIPS[move.start_position]:
                if ("leader", grip[0]) in moving or ("follower", grip[1]) in moving:
                    continue
                checked += 1
                held = [grip in joined for joined in tracks[move.slug].connections]
                assert all(held), (move.slug, grip, held.index(False))
        assert checked >= 3

    def test_a_free_arm_rises_over_the_head_and_comes_back_to_the_hold(self, tracks):
        for slug, dancer, hand, beat in (
            ("follower-arm-styling", "follower", "l_hand", 3.5),
            ("leader-arm-styling", "leader", "r_hand", 5.5),
        ):
            track = tracks[slug]
            p = track.positions[dancer]
            top = _frame(track, beat)
            assert p[top, JOINT[hand], 1] > p[top, JOINT["head"], 1], slug
            assert p[0, JOINT[hand], 1] < p[0, JOINT["chest"], 1], slug
            free = ("r_hand", "l_hand")  # his right with her left: the grip the free hand let go of
            assert free not in track.connections[top] and free in track.connections[-1], slug

    def test_a_hair_comb_goes_over_and_behind_her_head(self, tracks):
        for slug in ("hair-comb", "cross-body-lead-hair-comb"):
            track = tracks[slug]
            p = track.positions["follower"]
            over = range(_frame(track, 4.3), _frame(track, 5.0))
            assert max(p[f, JOINT["r_hand"], 1] - p[f, JOINT["head"], 1] for f in over) > 0.05, slug
            behind = []
            for f in range(_frame(track, 5.0), _frame(track, 6.5)):
                across = p[f, JOINT["r_shoulder"]] - p[f, JOINT["l_shoulder"]]
                facing = np.array([-across[2], 0.0, across[0]])  # her forward, from her shoulders
                gaze = p[f, JOINT["head"]] - p[f, JOINT["neck"]]
                if np.dot(facing, gaze) < 0:
                    facing = -facing
                behind.append(float(np.dot(p[f, JOINT["r_hand"]] - p[f, JOINT["head"]], facing)))
            assert min(behind) < -0.02, (slug, min(behind))
            # They reconnect for the tap on 8.
            assert ("l_hand", "r_hand") in track.connections[-1], slug

    def test_a_hand_change_passes_her_hand_to_his_other_hand_and_back(self, tracks):
        track = tracks["moderna-hand-change-basic"]
        leader, follower = track.positions["leader"], track.positions["follower"]
        assert ("l_hand", "r_hand") in track.connections[0]
        # On 3 his right hand meets the joined hands; from the tap on 4 it holds hers, his left is free.
        meet = _frame(track, 2.9)
        her_hand = follower[meet, JOINT["r_hand"]]
        assert np.linalg.norm(leader[meet, JOINT["r_hand"]] - her_hand) < 0.12
        assert np.linalg.norm(leader[meet, JOINT["l_hand"]] - her_hand) < 0.12
        middle = _frame(track, 5.0)
        assert ("r_hand", "r_hand") in track.connections[middle]
        assert ("l_hand", "r_hand") not in track.connections[middle]
        assert np.linalg.norm(leader[middle, JOINT["l_hand"]] - follower[middle, JOINT["r_hand"]]) > 0.15
        # Back on 8, in the hold the next move starts from.
        assert set(HOLD_GRIPS["open"]) <= set(track.connections[-1])

    def test_a_hand_change_after_a_turn_passes_the_turning_hand(self, tracks):
        track = tracks["right-turn-hand-change"]
        passed = [f for f, joined in enumerate(track.connections) if ("r_hand", "r_hand") in joined]
        assert passed
        assert _frame(track, 5.0) < passed[0] < _frame(track, 7.0)

    def test_a_hand_change_behind_the_back_passes_her_hand_behind_him(self, tracks):
        for slug in ("cross-body-lead-hand-change", "leader-turn-hand-change"):
            track = tracks[slug]
            leader, follower = track.positions["leader"], track.positions["follower"]
            assert ("l_hand", "r_hand") in track.connections[_frame(track, 3.9)], slug
            passing = _frame(track, 5.5)
            her_hand = follower[passing, JOINT["r_hand"]]
            # His forward, from his hips, the way his toes point.
            across = leader[passing, JOINT["r_hip"]] - leader[passing, JOINT["l_hip"]]
            forward = np.array([-across[2], 0.0, across[0]])
            toes = leader[passing, JOINT["l_toe"]] - leader[passing, JOINT["l_ankle"]]
            if np.dot(forward, toes) < 0:
                forward = -forward
            forward /= np.linalg.norm(forward)
            assert np.dot(her_hand - leader[passing, JOINT["spine"]], forward) < -0.1, slug
            # Both his hands are there: the grip passes from one to the other behind him.
            for hand in ("l_hand", "r_hand"):
                assert np.linalg.norm(leader[passing, JOINT[hand]] - her_hand) < 0.08, (slug, hand)
            assert ("r_hand", "r_hand") in track.connections[_frame(track, 6.5)], slug
            assert ("l_hand", "r_hand") not in track.connections[_frame(track, 6.5)], slug
            # Round his back, never over his head (a leader's turn would otherwise raise it).
            span = range(_frame(track, 4.0), _frame(track, 7.0))
            assert all(follower[f, JOINT["r_hand"], 1] < leader[f, JOINT["chest"], 1] for f in span), slug
            assert set(HOLD_GRIPS["open"]) <= set(track.connections[-1]), slug

    def test_a_sweep_takes_the_joined_hands_over_the_head_and_keeps_them_joined(self, tracks):
        track = tracks["shadow-arm-styling"]
        follower = track.positions["follower"]
        top = _frame(track, 3.5)
        for hand in ("l_hand", "r_hand"):
            assert follower[top, JOINT[hand], 1] > follower[top, JOINT["head"], 1] + 0.1, hand
        for frame in range(_frame(track, 1.0), track.frames):
            assert set(HOLD_GRIPS["shadow"]) <= set(track.connections[frame]), frame

    def test_a_windmill_lifts_one_pair_of_hands_while_the_other_goes_down(self, tracks):
        track = tracks["moderna-windmill-arms"]
        leader = track.positions["leader"]
        for beat, up, down in ((5.0, "r_hand", "l_hand"), (6.0, "l_hand", "r_hand")):
            frame = _frame(track, beat)
            assert leader[frame, JOINT[up], 1] > leader[frame, JOINT["head"], 1] - 0.1, beat
            assert leader[frame, JOINT[down], 1] < leader[frame, JOINT["chest"], 1], beat
        for frame in range(track.frames):
            assert set(HOLD_GRIPS["open"]) <= set(track.connections[frame]), frame

    def test_a_wrist_roll_circles_the_joined_hands_before_the_turn(self, catalog, tracks):
        move = next(move for move in catalog if move.slug == "wrist-roll-right-turn")
        track = tracks[move.slug]
        without = joint_tracks(replace(move, arm_paths=()), bpm=BPM)
        count_four = range(_frame(track, 3.0), _frame(track, 4.0))
        hand = JOINT["l_hand"]
        apart = [
            np.linalg.norm(track.positions["leader"][f, hand] - without.positions["leader"][f, hand])
            for f in count_four
        ]
        assert max(apart) > 0.1
        assert all(("l_hand", "r_hand") in track.connections[f] for f in count_four)

    def test_the_arm_tangle_keeps_both_hands_through_the_turns(self, tracks):
        track = tracks["moderna-arm-tangle"]
        follower = track.positions["follower"]
        for start in (4.0, 12.0):
            span = range(_frame(track, start + 0.5), _frame(track, start + 3.0))
            assert all({("l_hand", "r_hand"), ("r_hand", "l_hand")} <= set(track.connections[f]) for f in span)
            assert max(follower[f, JOINT["l_hand"], 1] - follower[f, JOINT["head"], 1] for f in span) > 0.0


def test_the_joint_report_command_names_each_measure_in_words_and_units():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("joint_report", only=["shadow-arm-styling", "leader-turn-hand-change"], stdout=out)
    text = out.getvalue()
    assert "joined hands apart" in text and " cm " in text
    assert "2 of 2 moves keep every rule" in text
