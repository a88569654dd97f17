"""Practice history and progress: what a dancer practised, how fast, and what to try next."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from choreography import vocab
from choreography.errors import ChoreographyError
from choreography.models import Move, MoveProgress, PracticeSession, Routine

MAX_SECONDS_PER_BATCH = 6 * 3600
SPEED_RANGE = (0.25, 2.0)

# A timing reading (pose feedback from the dancer's device) is numbers only: no key beyond these is kept.
TIMING_SOURCES = ("live", "take", "file")
TIMING_FIELDS = (
    "share",
    "mean_offset_ms",
    "steps",
    "steps_on_beat",
    "taps_expected",
    "taps_found",
    "source",
    "phrases",
)
TIMING_PHRASE_FIELDS = ("index", "share", "mean_offset_ms", "steps", "steps_on_beat", "taps_expected", "taps_found")
# Farther off than this is no longer early or late on a beat: it is another beat.
MAX_OFFSET_MS = 2000
MAX_TIMING_STEPS = 100_000
MAX_TIMING_PHRASES = 1000
# Readings kept per session (a dancer who loops one phrase all evening gets one per loop).
TIMING_READINGS_KEPT = 200


def _validate(payload: dict, routine: Routine) -> dict:
    if not isinstance(payload, dict):
        raise ChoreographyError("The practice log must be a JSON object.")
    client_id = payload.get("client_id", "")
    if not isinstance(client_id, str) or len(client_id) > 64 or not _storable(client_id):
        raise ChoreographyError("client_id must be a string of at most 64 characters.")
    seconds = payload.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_SECONDS_PER_BATCH:
        raise ChoreographyError(f"seconds must be a number from 0 to {MAX_SECONDS_PER_BATCH}.")
    started = payload.get("started_at")
    started_at = _parse_started_at(started) if isinstance(started, str) else None
    if started is not None and started_at is None:
        raise ChoreographyError("started_at must be an ISO 8601 date and time.")
    speeds = payload.get("speeds", {})
    if not isinstance(speeds, dict):
        raise ChoreographyError("speeds must be an object of speed -> seconds.")
    clean_speeds: dict[str, float] = {}
    for speed, secs in speeds.items():
        try:
            value = float(speed)
        except (TypeError, ValueError):
            raise ChoreographyError(f"speed {speed!r} is not a number.") from None
        if not SPEED_RANGE[0] <= value <= SPEED_RANGE[1]:
            raise ChoreographyError(f"speed {value} is outside {SPEED_RANGE[0]}-{SPEED_RANGE[1]}.")
        if isinstance(secs, bool) or not isinstance(secs, int | float) or not 0 <= secs <= MAX_SECONDS_PER_BATCH:
            raise ChoreographyError(f"seconds at speed {speed} must be a number from 0 to {MAX_SECONDS_PER_BATCH}.")
        clean_speeds[f"{value:g}"] = float(secs)
    loops = payload.get("loops", {})
    if not isinstance(loops, dict):
        raise ChoreographyError("loops must be an object of move slug -> count.")
    slugs = set(routine.moves.values_list("move__slug", flat=True))
    for slug, count in loops.items():
        if slug not in slugs:
            raise ChoreographyError(f"{slug!r} is not a move of this routine.")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10_000:
            raise ChoreographyError(f"loops for {slug} must be a whole number from 0 to 10000.")
    move_speeds = payload.get("move_speeds", {})
    if not isinstance(move_speeds, dict) or any(
        slug not in slugs or isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= SPEED_RANGE[1]
        for slug, v in move_speeds.items()
    ):
        raise ChoreographyError("move_speeds must map moves of this routine to a speed up to 2.")
    timing = payload.get("timing")
    return {
        "client_id": client_id,
        "seconds": float(seconds),
        "started_at": started_at or timezone.now(),
        "speeds": clean_speeds,
        "loops": {slug: int(count) for slug, count in loops.items()},
        "move_speeds": {slug: float(v) for slug, v in move_speeds.items()},
        "timing": None if timing is None else _validate_timing(timing),
    }


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _whole(value, name: str, *, most: int = MAX_TIMING_STEPS) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise ChoreographyError(f"{name} must be a whole number from 0 to {most}.")
    return value


def _counts_and_scores(reading: dict, name: str) -> dict:
    """The numbers a whole reading and each of its phrases share: steps (and those on the beat), taps
    (found of expected), the share on the beat and the mean offset (None where there were no steps)."""
    steps = _whole(reading.get("steps", 0), f"{name}.steps")
    on_beat = _whole(reading.get("steps_on_beat", 0), f"{name}.steps_on_beat")
    if on_beat > steps:
        raise ChoreographyError(f"{name}.steps_on_beat cannot be more than its steps.")
    taps_expected = _whole(reading.get("taps_expected", 0), f"{name}.taps_expected")
    taps_found = _whole(reading.get("taps_found", 0), f"{name}.taps_found")
    if taps_found > taps_expected:
        raise ChoreographyError(f"{name}.taps_found cannot be more than its taps_expected.")
    share = reading.get("share")
    if share is not None and not (_is_number(share) and 0 <= share <= 1):
        raise ChoreographyError(f"{name}.share must be a number from 0 to 1, or null.")
    offset = reading.get("mean_offset_ms")
    if offset is not None and not (_is_number(offset) and -MAX_OFFSET_MS <= offset <= MAX_OFFSET_MS):
        raise ChoreographyError(
            f"{name}.mean_offset_ms must be a number from -{MAX_OFFSET_MS} to {MAX_OFFSET_MS}, or null."
        )
    return {
        "share": None if share is None else round(float(share), 4),
        "mean_offset_ms": None if offset is None else round(float(offset), 1),
        "steps": steps,
        "steps_on_beat": on_beat,
        "taps_expected": taps_expected,
        "taps_found": taps_found,
    }


def _only_known(reading: dict, fields: tuple[str, ...], name: str) -> None:
    unknown = sorted(set(reading) - set(fields))
    if unknown:
        raise ChoreographyError(f"{name} carries numbers only; unknown: {', '.join(map(str, unknown))[:200]}.")


def _validate_timing(timing) -> dict:
    """One timing reading from pose feedback, checked field by field and rebuilt from the known keys, so that
    nothing but numbers (and the source's name) is stored: never an image, a video or free text."""
    if not isinstance(timing, dict):
        raise ChoreographyError("timing must be an object.")
    _only_known(timing, TIMING_FIELDS, "timing")
    source = timing.get("source")
    if source not in TIMING_SOURCES:
        raise ChoreographyError(f"timing.source must be one of {', '.join(TIMING_SOURCES)}.")
    clean = {"source": source, **_counts_and_scores(timing, "timing")}
    if clean["steps"] == 0:
        raise ChoreographyError("timing without any step found is not a reading.")
    phrases = timing.get("phrases", [])
    if not isinstance(phrases, list) or len(phrases) > MAX_TIMING_PHRASES:
        raise ChoreographyError(f"timing.phrases must be a list of at most {MAX_TIMING_PHRASES} phrases.")
    clean["phrases"] = []
    for position, phrase in enumerate(phrases):
        name = f"timing.phrases[{position}]"
        if not isinstance(phrase, dict):
            raise ChoreographyError(f"{name} must be an object.")
        _only_known(phrase, TIMING_PHRASE_FIELDS, name)
        index = _whole(phrase.get("index"), f"{name}.index", most=MAX_TIMING_PHRASES * 10)
        clean["phrases"].append({"index": index, **_counts_and_scores(phrase, name)})
    return clean


def timing_totals(readings: list[dict]) -> dict:
    """A session's timing over all its readings: the share on the beat and the mean offset in ms, each reading
    weighted by its steps (None without any). A reading's share is the player's own (it counts missed steps too)."""
    steps = sum(reading["steps"] for reading in readings)
    if not steps:
        return {"share": None, "mean_offset_ms": None}

    def weighted(key: str) -> float | None:
        known = [reading for reading in readings if reading.get(key) is not None]
        weight = sum(reading["steps"] for reading in known)
        return sum(reading[key] * reading["steps"] for reading in known) / weight if weight else None

    share, offset = weighted("share"), weighted("mean_offset_ms")
    return {
        "share": None if share is None else round(share, 4),
        "mean_offset_ms": None if offset is None else round(offset, 1),
    }


def _storable(text: str) -> bool:
    # JSON can carry what no database column takes: NUL (PostgreSQL) and lone surrogates (any UTF-8).
    return "\x00" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


def _parse_started_at(text: str) -> dt.datetime | None:
    """An aware datetime the database can store, or None. Django's parser raises on "2024-02-30"."""
    try:
        value = parse_datetime(text)
        if value is None:
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        # Stored in UTC: an offset that pushes year 1 or 9999 out of range cannot be.
        value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    return value


def _merge(into: dict, extra: dict) -> dict:
    merged = dict(into)
    for key, value in extra.items():
        merged[key] = merged.get(key, 0) + value
    return merged


@transaction.atomic
def practice_log(*, user, routine: Routine, payload: dict) -> PracticeSession:
    """Record one batch of practice. Batches with the same client_id add up in one session;
    a batch resent after a lost reply (same client_id and batch number) is not counted twice."""
    data = _validate(payload, routine)
    batch = payload.get("batch")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 0):
        raise ChoreographyError("batch must be a whole number.")
    session = None
    if data["client_id"]:
        session = PracticeSession.objects.select_for_update().filter(user=user, client_id=data["client_id"]).first()
    if session is None:
        try:
            with transaction.atomic():
                session = PracticeSession.objects.create(
                    user=user, routine=routine, client_id=data["client_id"], started_at=data["started_at"]
                )
        except IntegrityError:
            session = PracticeSession.objects.select_for_update().get(user=user, client_id=data["client_id"])
    if session.routine_id != routine.pk:
        raise ChoreographyError("That practice session belongs to another routine.")
    seen = session.speeds_used.get("_batches", [])
    if batch is not None and batch in seen:
        return session
    speeds = _merge({k: v for k, v in session.speeds_used.items() if k != "_batches"}, data["speeds"])
    if batch is not None:
        speeds["_batches"] = [*seen, batch][-500:]
    session.speeds_used = speeds
    session.loops_per_move = _merge(session.loops_per_move, data["loops"])
    session.move_speeds = {
        slug: max(session.move_speeds.get(slug, 0), speed)
        for slug, speed in {**session.move_speeds, **data["move_speeds"]}.items()
    }
    session.seconds_practised += data["seconds"]
    fields = ["speeds_used", "loops_per_move", "move_speeds", "seconds_practised", "updated_at"]
    if data["timing"] is not None:
        session.timing = [*session.timing, data["timing"]][-TIMING_READINGS_KEPT:]
        session.timing_share = timing_totals(session.timing)["share"]
        fields += ["timing", "timing_share"]
    session.save(update_fields=fields)
    _update_move_progress(user, data)
    return session


def _update_move_progress(user, data: dict) -> None:
    slugs = set(data["loops"]) | set(data["move_speeds"])
    for move in Move.objects.filter(slug__in=slugs):
        progress, _ = MoveProgress.objects.select_for_update().get_or_create(user=user, move=move)
        progress.loops += data["loops"].get(move.slug, 0)
        progress.best_speed = max(progress.best_speed, data["move_speeds"].get(move.slug, 0))
        progress.save(update_fields=["loops", "best_speed", "updated_at"])


@transaction.atomic
def move_mark_learned(*, user, move: Move, learned: bool) -> MoveProgress:
    progress, _ = MoveProgress.objects.get_or_create(user=user, move=move)
    progress.learned = learned
    progress.save(update_fields=["learned", "updated_at"])
    return progress


def progress_summary(*, user, weeks: int = 8) -> dict:
    """What the progress page shows: minutes per week, moves practised and learned, what next."""
    since = timezone.now() - dt.timedelta(weeks=weeks)
    sessions = PracticeSession.objects.filter(user=user)
    per_week: dict[dt.date, float] = defaultdict(float)
    for started_at, seconds in sessions.filter(started_at__gte=since).values_list("started_at", "seconds_practised"):
        monday = (started_at - dt.timedelta(days=started_at.weekday())).date()
        per_week[monday] += seconds / 60
    week_rows = [
        {"week": monday.isoformat(), "minutes": round(per_week.get(monday, 0.0), 1)}
        for monday in weeks_shown(joined=user.date_joined, today=timezone.now(), weeks=weeks)
    ]
    progress_rows = list(
        MoveProgress.objects.filter(user=user).select_related("move").order_by("-learned", "move__name")
    )
    total_minutes = (sessions.aggregate(total=Sum("seconds_practised"))["total"] or 0) / 60
    return {
        "weeks": week_rows,
        "max_minutes": max([row["minutes"] for row in week_rows] + [1]),
        "total_minutes": round(total_minutes, 1),
        "routines_practised": sessions.values("routine").distinct().count(),
        "moves": progress_rows,
        "learned_count": sum(1 for row in progress_rows if row.learned),
        "suggestions": suggest_next_moves(
            user=user,
            learned=[row.move for row in progress_rows if row.learned],
            looped=[row.move for row in progress_rows if row.loops],
        ),
    }


def weeks_shown(*, joined: dt.datetime, today: dt.datetime, weeks: int) -> list[dt.date]:
    """The Mondays of the last `weeks` weeks, oldest first, none before the week the dancer signed up."""
    this_monday = today.date() - dt.timedelta(days=today.weekday())
    joined_day = joined.date()  # both in UTC, as the sessions' weeks are
    joined_monday = joined_day - dt.timedelta(days=joined_day.weekday())
    mondays = [this_monday - dt.timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    return [monday for monday in mondays if monday >= joined_monday] or [this_monday]


def suggest_next_moves(*, user, learned: list[Move], looped: list[Move] = (), limit: int = 5) -> list[Move]:
    """What to try next: moves one level up that start from a position the dancer already knows.

    A dancer who has marked nothing as learned yet starts with the good openers of their own level.
    A move already learned or already looped in the player is no news: never suggested.
    """
    from accounts.models import profile_for

    level = profile_for(user).skill_level
    known = [m.pk for m in learned] + [m.pk for m in looped]
    moves = Move.objects.filter(published=True).exclude(pk__in=known)
    if not learned:
        return list(moves.filter(level=level).order_by("-opener", "energy", "name")[:limit])
    next_rank = min(vocab.LEVEL_RANK[level] + 1, len(vocab.LEVELS) - 1)
    known_positions = {m.end_position for m in learned} | {m.start_position for m in learned}
    candidates = moves.filter(level=vocab.LEVELS[next_rank], start_position__in=known_positions)
    return list(candidates.order_by("energy", "name")[:limit])


def _routine_url(session: PracticeSession) -> str:
    """Where the history links a session's routine: the dancer's own player, or the shared page of a routine
    that is not theirs (the demo routine); "" where it is no longer shared."""
    from django.urls import reverse

    routine = session.routine
    if routine.owner_id == session.user_id:
        return reverse("routine_detail", args=[routine.pk])
    return reverse("shared_routine", args=[routine.share_token]) if routine.shared and routine.share_token else ""


def _session_row(session: PracticeSession) -> dict:
    speeds = sorted(float(speed) for speed in session.speeds_used if not speed.startswith("_"))
    return {
        "started_at": session.started_at,
        "routine_id": session.routine_id,
        "routine_url": _routine_url(session),
        "routine_title": session.routine.title,
        "minutes": round(session.seconds_practised / 60, 1),
        "speeds": [f"{speed:g}x" for speed in speeds],
        "loops": sum(session.loops_per_move.values()),
        "timing_share": session.timing_share,
        "timing_offset": offset_in_words(timing_totals(session.timing)["mean_offset_ms"]) if session.timing else "",
    }


# Closer than this to the beat on average reads as "right on the beat" (the player says the same, pose-feedback.js).
ON_THE_BEAT_MS = 10


def offset_in_words(offset_ms: float | None) -> str:
    """ "on average 120 ms late" for +120: how a teacher would say the mean offset."""
    if offset_ms is None:
        return ""
    if abs(offset_ms) < ON_THE_BEAT_MS:
        return "on average right on the beat"
    return f"on average {abs(offset_ms):.0f} ms {'late' if offset_ms > 0 else 'early'}"


def practice_history(*, user) -> QuerySet[PracticeSession]:
    """The dancer's own practice sessions, newest first (the history page pages through them)."""
    return PracticeSession.objects.filter(user=user).select_related("routine").order_by("-started_at", "-pk")


def sessions_by_day(sessions) -> list[dict]:
    """Sessions grouped by the day they started (in the site's time zone), in the order given."""
    days: list[dict] = []
    for session in sessions:
        day = timezone.localtime(session.started_at).date()
        if not days or days[-1]["day"] != day:
            days.append({"day": day, "sessions": []})
        row = _session_row(session)
        days[-1]["sessions"].append(row)
    for day in days:
        day["minutes"] = round(sum(row["minutes"] for row in day["sessions"]), 1)
        day["has_timing"] = any(row["timing_share"] is not None for row in day["sessions"])
    return days


def _empty_weeks(count: int) -> dict:
    return {"best_speed": [None] * count, "loops": [0] * count, "timing": [[] for _ in range(count)]}


def move_history(*, user, weeks: int = 8) -> dict:
    """Per move, week by week (the progress page's charts): best speed, loops and, where the camera
    watched, the mean timing share of the sessions that looped it. None where a week has no reading.
    Plain JSON: weeks as ISO Mondays, oldest first."""
    mondays = weeks_shown(joined=user.date_joined, today=timezone.now(), weeks=weeks)
    index = {monday: i for i, monday in enumerate(mondays)}
    per_move: dict[str, dict] = {}
    minutes = [0.0] * len(mondays)
    since = dt.datetime.combine(mondays[0], dt.time.min, tzinfo=dt.UTC)
    sessions = PracticeSession.objects.filter(user=user, started_at__gte=since)
    for session in sessions.order_by("started_at"):
        started = session.started_at
        week = index.get((started - dt.timedelta(days=started.weekday())).date())
        if week is None:
            continue
        minutes[week] += session.seconds_practised / 60
        for slug in set(session.loops_per_move) | set(session.move_speeds):
            move = per_move.setdefault(slug, _empty_weeks(len(mondays)))
            move["loops"][week] += session.loops_per_move.get(slug, 0)
            speed = session.move_speeds.get(slug)
            if speed:
                move["best_speed"][week] = max(move["best_speed"][week] or 0, speed)
            if session.timing_share is not None:
                move["timing"][week].append(session.timing_share)
    names = dict(Move.objects.filter(slug__in=per_move).values_list("slug", "name"))
    moves = [
        {
            "slug": slug,
            "name": names.get(slug, slug),
            "best_speed": data["best_speed"],
            "loops": data["loops"],
            "timing_share": [round(sum(t) / len(t), 3) if t else None for t in data["timing"]],
        }
        for slug, data in per_move.items()
    ]
    moves.sort(key=lambda move: (-sum(move["loops"]), move["name"]))
    return {
        "weeks": [monday.isoformat() for monday in mondays],
        "minutes": [round(value, 1) for value in minutes],
        "moves": moves,
    }


# The progress page charts this many moves, the most looped first (the moves' table lists them all).
CHARTED_MOVES = 8


def charted_moves(history: dict, *, limit: int = CHARTED_MOVES) -> list[dict]:
    """The moves of move_history to chart, each with its weeks as table rows (the charts' text alternative)."""
    charted = []
    for move in history["moves"][:limit]:
        rows = [
            {"week": week, "loops": loops, "best_speed": speed, "timing_share": timing}
            for week, loops, speed, timing in zip(
                history["weeks"], move["loops"], move["best_speed"], move["timing_share"], strict=True
            )
        ]
        has_timing = any(share is not None for share in move["timing_share"])
        charted.append({"slug": move["slug"], "name": move["name"], "rows": rows, "has_timing": has_timing})
    return charted
