"""Words dancers use, for choreography.intent: regex fragments matched on lower-cased text
whose hyphens are spaces. An entry is a pattern (a close synonym) or (pattern, 1) for a
context word that only hints ("party" hints energetic; "energetic" says it).

Only plain data here, so the parser reads as logic and the word lists can grow freely.
"""

from __future__ import annotations

_S = r"s?"  # optional plural

ELEMENT_PATTERNS: dict[str, list] = {
    "turns": [
        r"turn(?:s|ing)?",
        r"spin(?:s|ning)?",
        r"twirl(?:s|ing)?",
        r"pirouettes?",
        r"rotations?",
        r"copas?",
        r"vueltas?",
        r"giros?",
        r"twists?",
        r"whirls?",
    ],
    "dips": [r"dip(?:s|ping)?", r"death drops?", r"drops?", r"cambr[eé]s?", r"ca[ií]das?"],
    "body_waves": [
        r"body ?(?:waves?|rolls?|rolling|isolations?)",
        r"waves?",
        r"isolations?",
        r"chest rolls?",
        r"ondas?",
        r"ondulaci[oó]n(?:es)?",
    ],
    "hip_rolls": [
        r"hip ?(?:rolls?|circles?|movements?|work|accents?|action)",
        r"hips?",
        r"caderas?",
    ],
    "footwork": [r"foot ?work", r"shines?", r"fancy feet", r"feet", r"leg work", r"pasitos"],
    "shadow_position": [r"shadow(?: ?(?:position|work|hold))?s?"],
    "hammerlock": [r"hammer ?locks?", r"arm locks?", r"arm behind (?:the|her|my|your) back"],
    "cross_body_lead": [r"cross ?body(?: leads?)?", r"cbls?", r"cross leads?"],
    "arm_styling": [
        r"arm ?(?:styling|work|movements?|tangles?)",
        r"hand styling",
        r"styling",
        r"arms",
        r"tangles?",
    ],
    "syncopation": [r"syncopat(?:ion|ions|ed|e|ing)", r"triple steps?", r"double time", r"off ?beats?"],
}

LEVEL_PATTERNS: dict[str, list] = {
    "beginner": [
        r"beginners?",
        r"beginning",
        r"novices?",
        r"newbies?",
        r"noobs?",
        r"newcomers?",
        r"first timers?",
        r"new to (?:bachata|dancing|dance|partner dancing|this|social dancing|latin dance)",
        r"new dancers?",
        r"i(?:'m| am) new",
        r"first (?:class|lesson|time|bachata|routine|week|month)",
        r"just (?:started|starting|began|learned|learnt)",
        r"starting out",
        r"never danced",
        r"(?:a )?(?:few|couple of|couple|handful of) (?:classes|lessons)",
        r"basic stuff",
        r"basics only",
        r"just the basics",
        r"principiantes?",
        r"level (?:1|one)",
        r"entry level",
        r"rookies?",
        r"greenhorns?",
        r"inexperienced",
        r"learners?",
        (r"easy(?: peasy)?", 1),
        (r"simple", 1),
    ],
    "intermediate": [
        r"intermediates?",
        r"improvers?",
        r"mid level",
        r"medium level",
        r"middle level",
        r"level (?:2|two)",
        r"know the basics",
        r"comfortable with the basics",
        r"(?:some|a bit of|a little) experience",
        r"intermedio",
        (r"medium", 1),
    ],
    "advanced": [
        r"advanced",
        r"experts?",
        r"pros?",
        r"professionals?",
        r"show ?off",
        r"experienced",
        r"challenge me",
        r"competition(?: level)?",
        r"i teach",
        r"instructors?",
        r"teachers?",
        r"level (?:3|three)",
        r"avanzados?",
        r"masters?",
        r"veterans?",
        r"seasoned",
        r"highly skilled",
        (r"hard", 1),
        (r"difficult", 1),
        (r"complex", 1),
        (r"tricky", 1),
        (r"challenging", 1),
        (r"performances?", 1),
        (r"intense", 1),
    ],
}

STYLE_PATTERNS: dict[str, list] = {
    "sensual": [r"sensual", r"sexy", r"sultry", r"bachata sensual"],
    "dominican": [r"dominican", r"dominicana", r"dr style"],
    "traditional": [r"traditional", r"old school", r"classic", r"tradicional", r"authentic"],
    "moderna": [r"moderna", r"modern", r"urban", r"fusion", r"contemporary"],
}

MOOD_PATTERNS: dict[str, list] = {
    "romantic": [
        r"romantic",
        r"romance",
        r"intimate",
        r"sweet",
        r"tender",
        r"loving",
        r"passionate",
        r"rom[aá]ntica",
        (r"valentine'?s?", 1),
        (r"date night", 1),
        (r"wedding", 1),
        (r"anniversary", 1),
        (r"love song", 1),
    ],
    "energetic": [
        r"energetic",
        r"high energy",
        r"(?:lots|lot|full|plenty) of energy",
        r"energy",
        r"upbeat",
        r"lively",
        r"intense",
        r"powerful",
        r"dynamic",
        r"hype",
        r"fiery",
        r"exciting",
        r"explosive",
        r"on fire",
        r"pure fire",
        (r"party", 1),
        (r"fast", 1),
        (r"workout", 1),
    ],
    "playful": [
        r"playful",
        r"fun",
        r"flirty",
        r"flirtatious",
        r"cheeky",
        r"cute",
        r"silly",
        r"light hearted",
        r"joyful",
        r"cheerful",
        r"quirky",
        r"sassy",
    ],
    "smooth": [
        r"smooth",
        r"chill",
        r"relaxed",
        r"relaxing",
        r"flowing",
        r"mellow",
        r"laid back",
        r"calm",
        r"gentle",
        r"elegant",
        r"soft",
        (r"slow", 1),
    ],
}

# Negation: the next mention (within a few words) and the mentions coordinated with it
# ("no turns or dips") are excluded.
NEGATION_PATTERNS: list[str] = [
    r"no",
    r"not",
    r"without",
    r"avoid(?:ing)?",
    r"skip(?: the)?",
    r"nothing(?: with)?",
    r"none(?: of)?",
    r"don'?t",
    r"do not",
    r"doesn'?t",
    r"does not",
    r"hate",
    r"hates",
    r"dislike",
    r"can'?t",
    r"cannot",
    r"won'?t",
    r"leave out",
    r"stay away from",
    r"except",
    r"excluding",
    r"exclude",
    r"minus",
    r"zero",
    r"instead of",
    r"rather than",
    r"not into",
    r"not a fan of",
    r"(?:scared|afraid|terrified) of",
    r"no more",
    r"no longer",
    r"sin",
    r"get rid of",
    r"keep out",
    r"never",
    r"nada de",
    r"ningun[oa]?",
]

# After a mention: "dips: no", "turns are out", "dip free".
POSTFIX_NEGATION = (
    r"\s*(?::|=)?\s*(?:(?:no|out)(?=\s*(?:[.,;!?]|$|please))|nope|none"
    r"|(?:are|is) (?:out|a no|off limits|off the table|banned)"
    r"|not (?:allowed|please|for me)|off limits|off the table|free\b)"
)

LOTS_PATTERNS: list[str] = [
    r"lots of",
    r"lots",
    r"a lot of",
    r"lot of",
    r"plenty of",
    r"plenty",
    r"many",
    r"full of",
    r"loads of",
    r"tons of",
    r"ton of",
    r"heaps of",
    r"packed with",
    r"loaded with",
    r"as many",
    r"(?:a )?bunch of",
    r"mostly",
    r"heavy on",
    r"so many",
    r"all the",
    r"more",
    r"extra",
    r"multiple",
    r"focus(?:ed)? on",
    r"emphasis on",
    r"nothing but",
    r"muchas",
    r"muchos",
    r"mucho",
    r"mucha",
    r"lotsa",
    r"endless",
]

SOME_PATTERNS: list[str] = [
    r"a few",
    r"few",
    r"some",
    r"a bit of",
    r"bit of",
    r"a little(?: bit of)?",
    r"a couple(?: of)?",
    r"couple of",
    r"one or two",
    r"a touch of",
    r"light on",
    r"(?:an )?occasional",
    r"not too many",
    r"not so many",
    r"not many",
    r"not a lot of",
    r"not too much",
    r"fewer",
    r"less",
    r"unas",
    r"unos",
    r"algunas",
    r"algunos",
    r"pocas",
    r"pocos",
    r"(?:go )?easy on(?: the)?",
    r"take it easy on(?: the)?",
]

# Words that carry a bound negation on to the examples that follow it: "no sensual stuff
# like body waves" rules out the body waves.
EXAMPLE_WORDS: frozenset[str] = frozenset("like such as stuff things moves including especially e g".split())

# Words that end a negation or quantifier scope.
BOUNDARY_WORDS: frozenset[str] = frozenset(
    "but however though although otherwise yet while also then because so instead".split()
)
# Words a bound scope runs over: "no turns or dips", "lots of turns and the dips".
CONNECTORS: frozenset[str] = frozenset("and or nor & / , the any a an y o ni con".split())

WORD_NUMBERS: dict[str, float] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a couple of": 2,
    "couple of": 2,
    "a couple": 2,
    "a few": 3,
    "few": 3,
    "several": 4,
    "many": 5,
    "one and a half": 1.5,
    "two and a half": 2.5,
    "three and a half": 3.5,
    "half": 0.5,
    "un": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
}

# Words that carry no request on their own: never sent to the model.
STOPWORDS: frozenset[str] = frozenset(
    """
    a an the and or but if of to in on at by for with from into onto about as is are was were be been being am
    i i'm im i've ive i'd id me my mine we we're our us you your yours he she her him his they them their it its
    this that these those there here what which who whom how why when where can could would should will shall
    may might must do does did done doing have has had having get got gets getting give gives giving make makes
    want wants wanted need needs like likes liked love loved would please pls plz thanks thank hi hello hey
    something anything everything nothing some any all each every very really just only also too so quite
    bit little lot lots more most much many few one two three maybe perhaps kind sort stuff things thing way
    bachata dance dances dancing dancer dancers routine routines choreo choreography combo combos sequence
    sequences move moves step steps pattern patterns practice practise practicing video song songs music
    style level partner partners couple class classes lesson lessons time minute minutes second seconds
    ok okay yes yeah let let's lets try trying work working learn learning show teach go going put end start
    able ready around over up down out off again still now then than after before during while um uh
    una un con que para por los las del el la muy
    """.split()
)

# Prototype phrases the model compares leftover words with: (kind, label) -> phrases.
PROTOTYPES: dict[tuple[str, str], list[str]] = {
    ("element", "turns"): ["turns", "spins", "spinning around", "twirls", "pirouettes", "rotating", "whirling"],
    ("element", "dips"): ["dips", "dipping the partner", "drops", "leaning back", "tilting back"],
    ("element", "body_waves"): ["body waves", "body rolls", "wave with the body", "torso undulation"],
    ("element", "hip_rolls"): ["hip rolls", "hip circles", "hip movement", "moving the hips", "hip sway"],
    ("element", "footwork"): ["footwork", "foot shines", "fancy steps with the feet", "quick feet"],
    ("element", "shadow_position"): ["shadow position", "dancing behind the partner"],
    ("element", "hammerlock"): ["hammerlock", "arm locked behind the back"],
    ("element", "cross_body_lead"): ["cross body lead", "crossing the partner across"],
    ("element", "arm_styling"): ["arm styling", "graceful arm movements", "hand flourishes"],
    ("element", "syncopation"): ["syncopation", "syncopated rhythm", "offbeat steps"],
    ("mood", "romantic"): ["romantic", "intimate and loving", "tender", "affectionate"],
    ("mood", "energetic"): ["energetic", "high energy", "vigorous", "lively and fast"],
    ("mood", "playful"): ["playful", "fun and flirty", "cheeky", "lighthearted"],
    ("mood", "smooth"): ["smooth", "relaxed and flowing", "mellow", "graceful and calm"],
    ("style", "sensual"): ["sensual bachata", "sensual"],
    ("style", "dominican"): ["dominican bachata"],
    ("style", "traditional"): ["traditional bachata"],
    ("style", "moderna"): ["modern bachata"],
    ("level", "beginner"): ["beginner", "novice dancer", "inexperienced"],
    ("level", "intermediate"): ["intermediate dancer"],
    ("level", "advanced"): ["advanced dancer", "expert dancer", "highly skilled"],
}

# Spelling correction: a word of 5+ letters that is not an English word (the MiniLM
# vocabulary) and not already in the lexicon is read as the one word below within one edit
# (two for words of 8+ letters), same first letter: "begginers", "turnz", "hamerlock".
FUZZY_WORDS: frozenset[str] = frozenset(
    """
    beginner beginners beginning novice novices newbie newbies intermediate intermediates improver improvers
    advanced experienced expert experts principiante principiantes intermedio avanzado avanzados
    turns turning spins spinning twirls twirling pirouette pirouettes rotations vueltas dipping drops
    waves rolls isolations hammerlock hammerlocks shadow shadows position positions footwork shines
    syncopation syncopated styling sensual dominican dominicana traditional moderna modern romantic energetic
    playful smooth relaxed flowing elegant cheeky flirty upbeat lively mellow passionate
    minutes seconds without please
    """.split()
)

# --------------------------------------------------------------------------- amounts
# How much of an element, read into domain.Amount: shares of the routine's phrases by name (the
# planner meets the low end and keeps under the high end), and numbers of moves.
AMOUNT_BANDS: dict[str, tuple[float, float]] = {
    "only": (0.6, 1.0),  # "only basics", "just turns", "nothing but dips"
    "mostly": (0.5, 0.85),  # "mostly basics", "mainly footwork": more than half
    "lots": (0.25, 0.6),  # "lots of turns": at least a quarter
    "some": (0.05, 0.3),  # "some turns", "a bit of styling"
    "not_many": (0.05, 0.2),  # "not too many dips", "go easy on the spins"
}
A_FEW_MOVES = (2, 4)  # "a few turns": a handful
SEVERAL_MOVES = (3, 5)  # "several spins", "multiple turns"
RANGE_WORDS: dict[str, tuple[int, int]] = {"several": SEVERAL_MOVES, "varios": SEVERAL_MOVES, "varias": SEVERAL_MOVES}

# A quantifier's words (what LOTS_PATTERNS / SOME_PATTERNS matched) -> an amount: ("count", n),
# ("moves", (lo, hi)) or ("share", band name). First match wins; a quantifier not listed takes
# its kind's band ("lots" or "some").
QUANTITY_AMOUNTS: list[tuple[str, str, object]] = [
    (r"(?:a )?couple(?: of)?", "count", 2),
    (r"one or two", "moves", (1, 2)),
    (r"(?:a )?few|(?:a )?handful(?: of)?|unas|unos|algunas|algunos", "moves", A_FEW_MOVES),
    (r"several|multiple", "moves", SEVERAL_MOVES),
    (r"nothing but", "share", "only"),
    (r"mostly|mainly|largely|heavy on|focus(?:ed)? on|emphasis on", "share", "mostly"),
    (
        r"not (?:too|so) many|not many|not a lot of|not too much|fewer|less|light on|(?:an )?occasional"
        r"|(?:go |take it )?easy on(?: the)?|pocas|pocos",
        "share",
        "not_many",
    ),
]

# A number right before an element ("a single dip", "two quick turns"), over these words at most.
COUNT_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "un": 1,
    "una": 1,
    "uno": 1,
    "two": 2,
    "dos": 2,
    "three": 3,
    "tres": 3,
    "four": 4,
    "cuatro": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
MAX_COUNT = 20  # "40 turns" is not a count a routine can hold: read as lots
AMOUNT_ADJECTIVES: frozenset[str] = frozenset(
    """
    single simple quick nice little small big basic slow fast dramatic romantic final last classic easy
    short long good cool fancy sexy sensual gentle smooth soft double triple pretty beautiful elegant deep
    low sharp right left inside outside cute fun playful sweet proper clean solid signature flashy real
    """.split()
)
# "only turns", "just solid footwork", "dips only": the element fills the routine (AMOUNT_BANDS["only"]).
ONLY_WORDS: frozenset[str] = frozenset({"only", "just", "solo", "purely"})

# Where: a place phrase binds to the nearest element in its clause. Leading phrases end in a
# preposition and bind forward ("finish with a dip"); trailing ones bind back, or forward where
# nothing comes before ("a dip at the end", "in the middle, a hammerlock").
PLACE_LEADING: dict[str, list[str]] = {
    "end": [
        r"(?:to |and |then )?(?:finish|finishes|finishing|end|ends|ending|close|closes|closing|wrap up|wrapping up"
        r"|round off)"
        r"(?: (?:it|it all|the routine|the dance|the song|everything))?(?: off)? (?:with|on|in|by)",
    ],
    "middle": [r"(?:in )?the middle (?:with|on)"],
}
PLACE_TRAILING: dict[str, list[str]] = {
    "end": [
        r"at the (?:very )?end(?: of (?:it|the song|the routine|the dance|the track))?",
        r"to (?:finish|end)(?: (?:it|it all|the routine|the dance|the song|off))?",
        r"as (?:the|a) (?:finish|finisher|finale|ending|closer|last move|final move)",
        r"for the (?:finish|finale|ending|end|last move)",
        r"at the finish",
        r"in the end",
        r"as the end",
        r"al final",
    ],
    "middle": [
        r"in the (?:very )?middle(?: of (?:it|the song|the routine|the dance|the track))?",
        r"halfway(?: through)?",
        r"midway(?: through)?",
        r"mid (?:song|routine|way)",
        r"en (?:el )?medio",
    ],
}

# Basics are no element of the catalog, but an amount of them is a wish: "mostly basics", "just
# the basics", "basic steps only". (quantifier words -> band name; "no basics" is a count of 0.)
BASICS_WORDS = r"basics|basic (?:steps?|moves?|patterns?|stuff)|the basic|basic"
BASICS_QUANTIFIERS: dict[str, str] = {
    r"just|only|nothing but|purely": "only",
    r"mostly|mainly|largely|heavy on|focus(?:ed)? on": "mostly",
    r"plenty of|lots of|a lot of|loads of|many": "lots",
    r"some|a few|a bit of|a little": "some",
    r"no|not|without|zero|skip(?: the)?": "none",
}

# --------------------------------------------------------------------------- learning mode
# A request to learn rather than to perform: "my first class", "teach me a few moves well", "I'm new,
# help me learn". The planner then keeps to few moves, each new one twice in a row between basics.
LEARNING_PATTERNS: list[str] = [
    r"(?:my|our|a|the|his|her) (?:very )?first (?:ever )?(?:bachata |dance )?(?:class|lesson|routine|steps)",
    r"first (?:bachata |dance )?(?:class|lesson)",
    r"first time (?:dancing|doing bachata|learning|at a class|in a class)",
    r"teach (?:me|us)",
    r"help (?:me|us) (?:to )?learn",
    r"(?:i|we) (?:want|wanna|would like|'d like|need|am trying|'m trying|are trying) to learn",
    r"(?:i'm|i am|we're|we are|im) (?:totally |completely |brand |very |quite |pretty |really |so )?new\b",
    r"new (?:to|at) (?:bachata|dancing|dance|this|partner dancing|social dancing|latin dance)",
    r"(?:learn|learning|master|nail|drill|practi[cs]e|get) (?:just |only )?(?:a few|a couple of|a couple|some|few|"
    r"the first|my first) (?:new )?(?:moves|steps|figures|patterns)",
    r"(?:a few|a couple of|few|some|fewer) (?:moves|steps|figures) (?:well|properly|really well|solidly|right)",
    r"step by step",
    r"one (?:move|step|figure) at a time",
    r"never danced",
    r"(?:just )?(?:starting|started) (?:out|to learn|learning|bachata|dancing|to dance)",
    r"(?:complete|total|absolute|brand new) (?:beginner|newbie|novice|newcomer)s?",
    r"learning mode",
    r"(?:so (?:that )?|to help )(?:i|we) (?:can )?(?:learn|remember)",
    r"primera (?:clase|vez)",
    r"(?:quiero|queremos) aprender",
    r"ens[eé][nñ]a(?:me|nos)",
]
# Words just before a learning phrase that undo it: "not my first class", "this isn't my first lesson".
LEARNING_NEGATION = r"(?:\bnot|n't|\bno longer|\bhardly|\bfar from)\s+(?:\w+\s+){0,2}$"
