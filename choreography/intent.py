"""Request understanding: what a dancer typed -> RoutineRequest.

Exact rules handle what is exact (numbers, negation scope, quantifiers, the words dancers
commonly use); the MiniLM model handles the meaning of words no rule lists, by comparing
the leftover content words (unigrams and bigrams) with embedded prototype phrases. A
word the model matches then goes through the same negation and quantifier scope as a
word the rules matched, so "no whirling" excludes turns.

The parser never raises on text: anything it cannot read becomes a note.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from choreography import vocab
from choreography.domain import RoutineRequest
from choreography.intent_lexicon import (
    BOUNDARY_WORDS,
    CONNECTORS,
    ELEMENT_PATTERNS,
    LEVEL_PATTERNS,
    LOTS_PATTERNS,
    MOOD_PATTERNS,
    NEGATION_PATTERNS,
    POSTFIX_NEGATION,
    PROTOTYPES,
    SOME_PATTERNS,
    STOPWORDS,
    STYLE_PATTERNS,
    WORD_NUMBERS,
)

MAX_CHARS = 1000
SHORT_DURATION_S = 60.0
LONG_DURATION_S = 240.0
DURATION_RANGE_S = (15.0, 1200.0)
TEMPO_RANGE_BPM = (60.0, 220.0)
# Cosine similarity a leftover word must reach against a prototype phrase to count as a
# mention. Calibrated on MiniLM: true synonyms ("whirls" ~ "spins") sit above, unrelated
# dance words ("partner", "music") below.
# Level words and their antonyms sit close in MiniLM ("experienced" ~ "beginner" 0.6), so
# levels need a high bar; most level words are in the lexicon anyway.
SEMANTIC_THRESHOLD = {"element": 0.62, "mood": 0.6, "style": 0.7, "level": 0.75}
# The best label must beat the best other label by this much, or the word is ambiguous
# ("swaying": hip rolls 0.65, turns 0.64).
SEMANTIC_MARGIN = 0.04
# A negation or quantifier binds to a mention at most this many tokens after it.
PENDING_SCOPE_TOKENS = 6
# An element named this many times with no quantifier reads as "lots" ("dips dips dips!").
REPEAT_MEANS_LOTS = 3
MAX_SEMANTIC_PHRASES = 48

_TOKEN_RE = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:'[a-z]+)?|[.,;:!?&/]")
_HARD_BOUNDARIES = {".", ";", ":", "!", "?"}


@dataclass
class _Span:
    start: int  # char offsets in the normalised text
    end: int
    kind: str  # element | level | style | mood | neg | lots | some
    label: str = ""
    strength: int = 2  # 2: the word itself or a close synonym; 1: a context word ("party")
    source: str = "rule"


@dataclass
class _Mention:
    kind: str
    label: str
    strength: int
    negated: bool = False
    quantity: str | None = None
    first_token: int = 0
    source: str = "rule"


# --------------------------------------------------------------------------- normalising


def _normalise(text: str) -> str:
    text = text.lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    # Hyphens join words dancers also write apart ("cross-body", "show-off", "mid-level").
    text = re.sub(r"(?<=[a-z])[-\u2010-\u2014_](?=[a-z])", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _number(word: str) -> float | None:
    word = word.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    return WORD_NUMBERS.get(word)


_WORDS = "|".join(sorted((re.escape(w) for w in WORD_NUMBERS), key=len, reverse=True))
# Digits may touch their unit ("2min"); a word needs a space, or "am" would read as "a m(inute)".
_NUM = rf"(\d+(?:\.\d+)?(?=\s*[a-z])|(?:{_WORDS})(?=\s))"
_MIN = r"(?:minutes?|mins?|m|minutos?)"
_SEC = r"(?:seconds?|secs?|segundos?)"
_TEMPO_RES = [
    re.compile(r"\b(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute|beats a minute)\b"),
    re.compile(r"\b(?:tempo|bpm|speed)\s*(?:of|at|around|about|=|:|is)?\s*(\d{2,3}(?:\.\d+)?)\b"),
]
_CLOCK_RE = re.compile(r"\b(\d{1,2}):([0-5]\d)\b(?!\s*(?:am|pm))")
_HALF_MINUTE_RES = [
    (re.compile(r"\b(?:a|one) minute and a half\b"), 90.0),
    (re.compile(r"\bhalf (?:a|one) minute\b"), 30.0),
]
_MIN_SEC_RE = re.compile(
    rf"\b{_NUM}(\s+and a half)?\s*{_MIN}\b(?:\s*(?:and\s+)?(\d{{1,2}})\s*(?:{_SEC}|s)\b)?"
)
_SEC_RE = re.compile(rf"\b{_NUM}\s*{_SEC}\b")
_SHORT_RE = re.compile(r"\b(?:short|quick|brief)\b(?!\s+of)")
_LONG_RE = re.compile(r"(?<!as )(?<!so )(?<!how )\blong(?:er)?\b(?!\s+(?:time|while|ago|as|day|years?|way|arms?))")
_EXPERIENCE_RE = re.compile(
    rf"(?<!last )(?<!once )(?<!twice )(?<!times )(?<!per )\b{_NUM}\s*(years?|yrs|months?|weeks?)\b(?!\s+old)"
)
_FOR_YEARS_RE = re.compile(r"\b(?:for|many|several) years\b|\byears of (?:dancing|experience|bachata|practice)\b")


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _extract_numbers(text: str, notes: list[str]) -> tuple[str, float | None, float | None, list[_Span]]:
    """Tempo, duration and dancing experience: exact rules. Returns the text with them blanked."""
    tempo: float | None = None
    for pattern in _TEMPO_RES:
        for match in pattern.finditer(text):
            value = float(match.group(1))
            if TEMPO_RANGE_BPM[0] <= value <= TEMPO_RANGE_BPM[1]:
                tempo = tempo if tempo is not None else value
            else:
                notes.append(f"Ignored a tempo of {value:g} BPM: bachata is danced between 60 and 220 BPM.")
            text = _blank(text, match.start(), match.end())

    spans: list[_Span] = []
    # Years/months of dancing say the level ("I've been dancing for 5 years").
    for match in _EXPERIENCE_RE.finditer(text):
        count = _number(match.group(1))
        unit = match.group(2)
        if count is None:
            continue
        years = count / 12 if unit.startswith("month") else count / 52 if unit.startswith("week") else count
        level = "beginner" if years < 0.25 else "intermediate" if years < 3 else "advanced"
        spans.append(_Span(match.start(), match.end(), "level", level, 2))
        text = _blank(text, match.start(), match.end())
    for match in _FOR_YEARS_RE.finditer(text):
        spans.append(_Span(match.start(), match.end(), "level", "advanced", 2))
        text = _blank(text, match.start(), match.end())

    durations: list[float] = []
    for match in _CLOCK_RE.finditer(text):
        durations.append(float(int(match.group(1)) * 60 + int(match.group(2))))
        text = _blank(text, match.start(), match.end())
    for pattern, seconds in _HALF_MINUTE_RES:
        for match in pattern.finditer(text):
            durations.append(seconds)
            text = _blank(text, match.start(), match.end())
    for match in _MIN_SEC_RE.finditer(text):
        minutes = _number(match.group(1))
        if minutes is None:
            continue
        seconds = minutes * 60 + (30 if match.group(2) else 0) + (int(match.group(3)) if match.group(3) else 0)
        durations.append(seconds)
        text = _blank(text, match.start(), match.end())
    for match in _SEC_RE.finditer(text):
        seconds = _number(match.group(1))
        if seconds is not None:
            durations.append(seconds)
            text = _blank(text, match.start(), match.end())

    duration: float | None = None
    if durations:
        valid = [d for d in durations if DURATION_RANGE_S[0] <= d <= DURATION_RANGE_S[1]]
        for bad in (d for d in durations if d not in valid):
            notes.append(f"Ignored a duration of {bad:g} s: a routine lasts between 15 s and 20 min.")
        if len(set(valid)) > 1:
            notes.append(f"Several durations were given; using the first ({valid[0]:g} s).")
        duration = valid[0] if valid else None
    else:
        # Words only when no number says it: "4 minute long routine" is 240 s, not "long".
        if _SHORT_RE.search(text):
            duration = SHORT_DURATION_S
        elif _LONG_RE.search(text):
            duration = LONG_DURATION_S
    for match in list(_SHORT_RE.finditer(text)) + list(_LONG_RE.finditer(text)):
        text = _blank(text, match.start(), match.end())
    return text, tempo, duration, spans


# --------------------------------------------------------------------------- lexicon spans


def _compile(patterns: dict[str, Sequence[Any]]) -> list[tuple[re.Pattern[str], str, int]]:
    compiled = []
    for label, words in patterns.items():
        for entry in words:
            word, strength = (entry, 2) if isinstance(entry, str) else entry
            compiled.append((re.compile(rf"(?<![a-z0-9']){word}(?![a-z0-9])"), label, strength))
    return compiled


_LEXICON = {
    "element": _compile(ELEMENT_PATTERNS),
    "level": _compile(LEVEL_PATTERNS),
    "style": _compile(STYLE_PATTERNS),
    "mood": _compile(MOOD_PATTERNS),
    "neg": _compile({"neg": NEGATION_PATTERNS}),
    "lots": _compile({"lots": LOTS_PATTERNS}),
    "some": _compile({"some": SOME_PATTERNS}),
}
_POSTFIX_NEG_RE = re.compile(POSTFIX_NEGATION)


def _lexicon_spans(text: str) -> list[_Span]:
    found = [
        _Span(m.start(), m.end(), kind, label, strength)
        for kind, entries in _LEXICON.items()
        for pattern, label, strength in entries
        for m in pattern.finditer(text)
    ]
    return _longest_first(found)


def _longest_first(spans: list[_Span]) -> list[_Span]:
    # The longest reading wins an overlap: "not too many" is a quantifier, not a negation;
    # "hip rolls" is one element, not "hip" plus "rolls".
    taken: list[_Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    return sorted(taken, key=lambda s: s.start)


# --------------------------------------------------------------------------- semantic matching


def _content_phrases(tokens: list[tuple[str, int, int]], covered: list[bool]) -> list[tuple[str, int, int]]:
    """Unigrams and bigrams of content words no rule has read: (phrase, first token, last token)."""
    content = [
        i
        for i, (word, _, _) in enumerate(tokens)
        if not covered[i] and word not in STOPWORDS and re.fullmatch(r"[a-z\u00c0-\u024f']{3,}", word)
    ]
    phrases = [(tokens[i][0], i, i) for i in content]
    content_set = set(content)
    phrases += [(f"{tokens[i][0]} {tokens[i + 1][0]}", i, i + 1) for i in content if i + 1 in content_set]
    return phrases[:MAX_SEMANTIC_PHRASES]


def _semantic_spans(
    tokens: list[tuple[str, int, int]], covered: list[bool], encoder: Any
) -> list[tuple[_Span, int, int]]:
    phrases = _content_phrases(tokens, covered)
    if not phrases:
        return []
    from choreography.embeddings import embed_phrases_cached, prototype_matrix

    labels, matrix = prototype_matrix(PROTOTYPES, encoder=encoder)
    vectors = embed_phrases_cached([p for p, _, _ in phrases], encoder=encoder)
    similarity = vectors @ matrix.T
    found: list[tuple[_Span, int, int, float]] = []
    for row, (_, first, last) in enumerate(phrases):
        order = np.argsort(similarity[row])[::-1]
        best = int(order[0])
        kind, label = labels[best]
        score = float(similarity[row, best])
        runner_up = next((float(similarity[row, j]) for j in order[1:] if labels[j] != labels[best]), 0.0)
        if score >= SEMANTIC_THRESHOLD[kind] and score - runner_up >= SEMANTIC_MARGIN:
            span = _Span(tokens[first][1], tokens[last][2], kind, label, 1, "model")
            found.append((span, first, last, score))
    # A bigram and its own unigram may both match: keep the better-scoring reading.
    found.sort(key=lambda item: -item[3])
    kept: list[tuple[_Span, int, int]] = []
    for span, first, last, _ in found:
        if all(last < f or first > la for _, f, la in kept):
            kept.append((span, first, last))
    return kept


# --------------------------------------------------------------------------- scope


def _scope_ends(state: dict[str, Any], breaks_list: bool) -> bool:
    return (state["bound"] and breaks_list) or state["age"] > PENDING_SCOPE_TOKENS


def _mentions(text: str, encoder: Any) -> tuple[list[_Mention], bool]:
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    spans = _lexicon_spans(text)
    # token index -> span starting there; tokens inside a span are covered.
    starts: dict[int, tuple[_Span, int]] = {}
    covered = [False] * len(tokens)
    for span in spans:
        inside = [i for i, (_, s, e) in enumerate(tokens) if s >= span.start and e <= span.end]
        if not inside:
            continue
        starts[inside[0]] = (span, inside[-1])
        for i in inside:
            covered[i] = True
    used_model = False
    if encoder is not False:
        for span, first, last in _semantic_spans(tokens, covered, encoder):
            used_model = True
            starts[first] = (span, last)
            for i in range(first, last + 1):
                covered[i] = True

    mentions: list[_Mention] = []
    negation: dict[str, Any] | None = None  # {"bound": bool, "age": int}
    quantity: dict[str, Any] | None = None  # {"value": str, "bound": bool, "age": int}
    i = 0
    while i < len(tokens):
        word = tokens[i][0]
        if i in starts:
            span, last = starts[i]
            if span.kind == "neg":
                negation, quantity = {"bound": False, "age": 0}, None
            elif span.kind in ("lots", "some"):
                quantity, negation = {"value": span.kind, "bound": False, "age": 0}, None
            else:
                negated = negation is not None
                mention = _Mention(span.kind, span.label, span.strength, negated, first_token=i, source=span.source)
                if span.kind == "element":
                    mention.quantity = quantity["value"] if quantity and not negated else None
                    after = text[span.end : span.end + 40]
                    if _POSTFIX_NEG_RE.match(after):
                        mention.negated = True
                mentions.append(mention)
                if negation is not None:
                    negation["bound"], negation["age"] = True, 0
                if quantity is not None and span.kind == "element":
                    quantity["bound"], quantity["age"] = True, 0
            i = last + 1
            continue
        if word in _HARD_BOUNDARIES or word in BOUNDARY_WORDS:
            negation = quantity = None
        elif word == ",":
            # A comma continues a list ("lots of turns, dips and waves") only when an
            # element follows it directly; otherwise it ends the clause.
            following = starts.get(i + 1)
            if following is None or following[0].kind != "element":
                negation = quantity = None
        else:
            for state in (negation, quantity):
                if state is None:
                    continue
                state["age"] += 1
            # Once bound, a scope runs only over connectors ("no turns or dips"); unbound,
            # it waits a few words for its mention ("don't give me anything with dips").
            if negation and _scope_ends(negation, word not in CONNECTORS):
                negation = None
            # "a"/"an" start a new, singular mention: "multiple spins and a dip" is one dip.
            if quantity and _scope_ends(quantity, word not in CONNECTORS or word in ("a", "an")):
                quantity = None
        i += 1
    return mentions, used_model


# --------------------------------------------------------------------------- resolution


def _choose(mentions: list[_Mention], kind: str, notes: list[str]) -> str | None:
    positive = [m for m in mentions if m.kind == kind and not m.negated]
    if not positive:
        for m in mentions:
            if m.kind == kind and m.negated:
                notes.append(f"Read '{m.label}' as not wanted; no {kind} was chosen from it.")
        return None
    best = max(m.strength for m in positive)
    strongest = [m for m in positive if m.strength == best]
    counts: dict[str, int] = {}
    for m in strongest:
        counts[m.label] = counts.get(m.label, 0) + 1
    # Most mentions wins, then the first mentioned.
    order = {m.label: -m.first_token for m in reversed(strongest)}
    chosen = max(counts, key=lambda label: (counts[label], order[label]))
    if len(counts) > 1:
        others = ", ".join(sorted(set(counts) - {chosen}))
        notes.append(f"Several {kind}s were asked for; using '{chosen}' (also read: {others}).")
    return chosen


def _choose_level(mentions: list[_Mention], notes: list[str]) -> str | None:
    positive = [m for m in mentions if m.kind == "level" and not m.negated]
    if positive:
        best = max(m.strength for m in positive)
        levels = {m.label for m in positive if m.strength == best}
        # The safe reading of mixed signals is the lowest level: a move too easy is
        # practice, a move too hard is a fall.
        chosen = min(levels, key=vocab.LEVEL_RANK.__getitem__)
        if len(levels) > 1:
            notes.append(f"The text suggests several levels ({', '.join(sorted(levels))}); using '{chosen}'.")
        return chosen
    negated = {m.label for m in mentions if m.kind == "level" and m.negated}
    # "not a beginner anymore", "nothing too advanced": the middle is what is left.
    if negated:
        return "intermediate"
    return None


def _resolve_elements(mentions: list[_Mention], notes: list[str]) -> tuple[dict[str, str], list[str], list[str]]:
    include: dict[str, str] = {}
    exclude: list[str] = []
    times: dict[str, int] = {}
    quantified: set[str] = set()
    for m in (m for m in mentions if m.kind == "element"):
        if m.negated:
            if m.label not in exclude:
                exclude.append(m.label)
            continue
        times[m.label] = times.get(m.label, 0) + 1
        if m.quantity:
            quantified.add(m.label)
        quantity = m.quantity or "some"
        if include.get(m.label) != "lots":
            include[m.label] = quantity
    for element, count in times.items():
        if count >= REPEAT_MEANS_LOTS and element not in quantified:
            include[element] = "lots"
    conflicts = [e for e in exclude if e in include]
    for element in conflicts:
        del include[element]
        notes.append(
            f"'{element}' was both asked for and ruled out; leaving it out (an exclusion always wins). "
            "Say which you meant to change this."
        )
    return include, exclude, conflicts


def parse_request(text: str, *, profile_level: str | None = None, encoder: Any = None) -> RoutineRequest:
    """Read a dancer's words into a RoutineRequest. Never raises on text.

    `encoder` is a sentence encoder with `.encode(texts)` (default: the process's MiniLM),
    or False to use the exact rules only.
    """
    notes: list[str] = []
    raw = text if isinstance(text, str) else ""
    if profile_level not in vocab.LEVELS:
        profile_level = None
    if len(raw) > MAX_CHARS:
        notes.append(f"The request was {len(raw)} characters long; only the first {MAX_CHARS} were read.")
        raw = raw[:MAX_CHARS]
    request = RoutineRequest(level=profile_level, text=raw.strip())
    if not raw.strip():
        notes.append("The request was empty: using your profile level and no other constraints.")
        request.notes = notes
        return request

    normalised = _normalise(raw)
    blanked, tempo, duration, experience = _extract_numbers(normalised, notes)
    mentions, _ = _mentions(blanked, encoder)
    mentions += [_Mention("level", s.label, s.strength, first_token=-1) for s in experience]

    level = _choose_level(mentions, notes)
    include, exclude, conflicts = _resolve_elements(mentions, notes)
    request.level = level or profile_level
    request.style = _choose(mentions, "style", notes)
    request.mood = _choose(mentions, "mood", notes)
    request.include, request.exclude, request.conflicts = include, exclude, conflicts
    request.duration_s, request.tempo_bpm = duration, tempo

    understood = bool(mentions) or tempo is not None or duration is not None
    if not understood:
        letters = [c for c in raw if c.isalpha()]
        ascii_share = sum(c.isascii() for c in letters) / len(letters) if letters else 0.0
        why = "it does not look like English" if letters and ascii_share < 0.5 else "no dance words were recognised"
        notes.append(
            f"Could not understand the request ({why}): using "
            + (f"your profile level ({profile_level})" if profile_level else "no level")
            + " and no other constraints."
        )
    request.notes = notes
    return request


def strip_exclusions(text: str) -> str:
    """The text without its "no dips"-style clauses, so a text embedding is not pulled toward them."""
    negation = "|".join(NEGATION_PATTERNS)
    return re.sub(rf"(?<![a-z])(?:{negation})(?![a-z])[^.,;:!?]*", " ", _normalise(text)).strip()


def evaluate(path: str | Path, *, encoder: Any = None) -> dict[str, Any]:
    """Score the parser on a labelled set: level/style/mood accuracy, element F1, number accuracy."""
    items = json.loads(Path(path).read_text())
    totals = {"level": 0, "style": 0, "mood": 0, "duration_s": 0, "tempo_bpm": 0}
    true_pos = false_pos = false_neg = 0
    strict_tp = strict_fp = strict_fn = 0
    failures: list[dict[str, Any]] = []
    for item in items:
        expected = item["expected"]
        got = parse_request(item["text"], profile_level=item.get("profile_level"), encoder=encoder)
        wrong = []
        for key in totals:
            if getattr(got, key) == expected.get(key):
                totals[key] += 1
            else:
                wrong.append(key)
        excluded = {(e, "exclude") for e in expected.get("exclude", [])}
        want = {(e, "include") for e in expected.get("include", {})} | excluded
        have = {(e, "include") for e in got.include} | {(e, "exclude") for e in got.exclude}
        true_pos += len(want & have)
        false_pos += len(have - want)
        false_neg += len(want - have)
        want_strict = set(expected.get("include", {}).items()) | excluded
        have_strict = set(got.include.items()) | {(e, "exclude") for e in got.exclude}
        strict_tp += len(want_strict & have_strict)
        strict_fp += len(have_strict - want_strict)
        strict_fn += len(want_strict - have_strict)
        if want_strict != have_strict:
            wrong.append("elements")
        if wrong:
            failures.append({"text": item["text"], "wrong": wrong, "got": got.to_dict(), "expected": expected})

    def f1(tp: int, fp: int, fn: int) -> float:
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0

    n = len(items)
    return {
        "items": n,
        "level_accuracy": totals["level"] / n,
        "element_f1": f1(true_pos, false_pos, false_neg),
        "element_quantity_f1": f1(strict_tp, strict_fp, strict_fn),
        "style_accuracy": totals["style"] / n,
        "mood_accuracy": totals["mood"] / n,
        "duration_accuracy": totals["duration_s"] / n,
        "tempo_accuracy": totals["tempo_bpm"] / n,
        "failures": failures,
    }
