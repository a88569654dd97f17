"""Words a dancer reads: each move's reason, about its place in the song's form.

A reason is short, names the move or the section, and says why here: "chorus again: the
combination from chorus 1", "mambo: the biggest moment of the song". A routine holds no reason
word for word more than MAX_SAME_REASON times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from choreography.planner.amounts import is_basic
from choreography.planner.blueprint import PlannedMove
from choreography.planner.form import SongPart

MAX_SAME_REASON = 2

# Per section kind: the first move's reason, then the others' in turn ({part}: "verse 2", {move}: its name).
OPENING = {
    "intro": "intro: {move} to find the 1",
    "verse": "{part}: {move}, steady while the singer tells the story",
    "chorus": "{part}: the signature combination opens with {move}",
    "mambo": "{part}: the biggest moment of the song, {move}",
    "outro": "outro: {move} as the music winds down",
}
FOLLOWING = {
    "intro": ("intro: {move}, easing in while the guitar plays",),
    "verse": (
        "{part}: {move} keeps it calm",
        "{part}: a simple {move} to ride the derecho",
        "{part}: {move}, saving the big moves for later",
    ),
    "chorus": ("{part}: {move}, part of the combination that comes back", "{part}: {move} rounds off the combination"),
    "mambo": ("{part}: {move}, big while the guitar peaks", "{part}: {move} keeps the energy up"),
    "outro": ("outro: {move}, calm to the end",),
}
# A repeated section's first move, by how many times its music has come back (the last return has its own).
RETURNS = (
    "{label} again: the combination from {original}",
    "{part}: {original}'s combination once more, from {move}",
)
LAST_RETURN = "{part}, the last time: the combination from {original}"

# Learning mode (learning.py): a new figure twice in a row after a basic, then reviews of what was learned.
NEW_MOVE = "new move: {move}, twice in a row to learn it"
SECOND_TIME = (
    "{move} again: the second time in a row, to make it yours",
    "{move} once more, straight away, so it sticks",
)
BEFORE_NEW = (
    "basic: reset before the next new move",
    "basic: find the 1 again before something new",
    "basic: a breather, then the next new move",
)
REVIEW = (
    "review: {move}, learned at move {learned}",
    "review: {move} again (new at move {learned})",
)


def with_sections(context, entries: list[PlannedMove]) -> list[PlannedMove]:
    """The entries with their sections and reasons about their place in the song (context: scoring.PlanContext)."""
    parts: Sequence[SongPart] = context.parts
    part_of = context.part_of
    by_first = {entry.first_phrase: entry for entry in entries}
    returns: dict[int, int] = {}  # original part -> times its music has come back so far
    moves_in_part: dict[int, int] = {}
    placed: list[PlannedMove] = []
    last_order = len(entries) - 1
    for order, entry in enumerate(entries):
        index = part_of[entry.first_phrase] if entry.first_phrase < len(part_of) else -1
        if index < 0:
            placed.append(entry)
            continue
        part = parts[index]
        nth = moves_in_part.get(index, 0)
        moves_in_part[index] = nth + 1
        if nth == 0 and part.repeat_of is not None:
            returns[part.repeat_of] = returns.get(part.repeat_of, 0) + 1
        reason = entry.reason
        if not entry.locked and order != last_order:
            reason = _reason(context, entry, part, parts, nth, returns, by_first, is_first=order == 0)
        placed.append(
            replace(entry, reason=reason, section=part.label, section_name=part.name, section_repeats=part.repeat_name)
        )
    return vary(placed)


def _reason(
    context,
    entry: PlannedMove,
    part: SongPart,
    parts: Sequence[SongPart],
    nth: int,
    returns: dict[int, int],
    by_first: dict[int, PlannedMove],
    *,
    is_first: bool,
) -> str:
    words = {"part": part.name, "move": entry.name, "label": part.label}
    if part.repeat_of is not None:
        original = parts[part.repeat_of]
        words["original"] = original.name
        source = by_first.get(
            original.first_phrase + (entry.first_phrase - part.first_phrase) % max(1, original.phrases)
        )
        echoed = source is not None and source.slug == entry.slug
        if echoed and nth == 0:
            if part.last_return and returns.get(part.repeat_of, 0) > 1:
                return LAST_RETURN.format(**words)
            return RETURNS[min(returns.get(part.repeat_of, 1), len(RETURNS)) - 1].format(**words)
        if echoed:
            return "{part}: {move} again, as in {original}".format(**words)
        if part.last_return:
            return "{part}: {move}, a variation on {original}'s combination".format(**words)
        return "{part}: {move} in place of {original}'s move here".format(**words)
    served = [goal for goal in context.goals if goal.asked and goal.element in entry.elements]
    if served and not is_basic_entry(context, entry):
        return f"{part.name}: {entry.name}, as you asked for " + " and ".join(goal.describe() for goal in served)
    if part.label == "intro" and is_first and is_basic_entry(context, entry):
        return "intro: a basic to find the 1"
    if part.label == "break":
        if is_basic_entry(context, entry):
            return f"break: {entry.name}, a hold for the pause in the music"
        return f"break: {entry.name}, a styling accent on the pause"
    if nth == 0 and part.label in OPENING:
        return OPENING[part.label].format(**words)
    following = FOLLOWING.get(part.label)
    if following:
        return following[(nth - 1) % len(following)].format(**words)
    return entry.reason


def with_learning(context, entries: list[PlannedMove]) -> list[PlannedMove]:
    """Learning mode's reasons (context: scoring.PlanContext): each new figure says it is new and danced
    twice in a row, the basic before it says so, a figure that comes back says it is a review. A
    section's name stays in front; the finish and locked moves keep theirs."""
    learned: dict[str, int] = {}  # slug -> the move (1-based) where it was new
    said = {"second": 0, "before": 0, "review": 0}
    placed: list[PlannedMove] = []
    last_order = len(entries) - 1
    for order, entry in enumerate(entries):
        basic = is_basic_entry(context, entry)
        following = entries[order + 1] if order < last_order else None
        reason = ""
        if entry.slug not in learned and not basic:
            if following is not None and following.slug == entry.slug:
                reason = NEW_MOVE.format(move=entry.name)
        elif not basic and order and entries[order - 1].slug == entry.slug and learned[entry.slug] == order:
            reason = SECOND_TIME[said["second"] % len(SECOND_TIME)].format(move=entry.name)
            said["second"] += 1
        elif not basic:
            reason = REVIEW[said["review"] % len(REVIEW)].format(move=entry.name, learned=learned[entry.slug])
            said["review"] += 1
        elif following is not None and following.slug not in learned and not is_basic_entry(context, following):
            reason = BEFORE_NEW[said["before"] % len(BEFORE_NEW)]
            said["before"] += 1
        if order == last_order and order and entry.slug in learned and not basic and not entry.locked:
            reason = f"{entry.reason} (you learned it at move {learned[entry.slug]})"
            entry = replace(entry, reason=reason)
        learned.setdefault(entry.slug, order + 1)
        if reason and not entry.locked and order != last_order and order != 0:
            prefix = f"{entry.section_name}: " if entry.section_name else ""
            entry = replace(entry, reason=prefix + reason)
        placed.append(entry)
    return vary(placed)


def is_basic_entry(context, entry: PlannedMove) -> bool:
    index = context.slug_index.get(entry.slug)
    return index is not None and is_basic(context.moves[index])


def vary(entries: list[PlannedMove]) -> list[PlannedMove]:
    """No reason word for word more than MAX_SAME_REASON times: later ones say which move of the routine they are."""
    seen: dict[str, int] = {}
    varied = []
    for order, entry in enumerate(entries):
        times = seen.get(entry.reason, 0) + 1
        seen[entry.reason] = times
        if times > MAX_SAME_REASON and not entry.locked:
            entry = replace(entry, reason=f"{entry.reason} (move {order + 1})")
        varied.append(entry)
    return varied
