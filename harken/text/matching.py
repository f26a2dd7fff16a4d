"""Matching theme rules against comments: pure functions, no database.

A theme's rules are phrases (one or more words):

- ``any_of`` — the comment mentions at least one of them (or one ``near`` pair);
- ``all_of`` — the comment mentions every one of them;
- ``none_of`` — the comment mentions none of them;
- ``near`` — pairs ``a ~ b``: both within ``near_words`` words of each other, in either order.

Words are compared after ``stem``: lower case, plurals and simple verb forms folded ("queues", "queued",
"queueing" → "queu"; "prices", "priced", "pricing" → "pric"), the same on both sides.  A phrase keeps its
word order ("long wait" does not match "waited so long"); ``near`` ("wait ~ long") does.

Negation: a word is *negated* when "not", "no", "never", "without", a "…n't" word and the like stand at
most ``NEGATION_WINDOW`` words before it in the same clause (clauses end at . , ; : ! ? and "but").  A theme
that names a topic ("Staff friendliness") counts negated mentions — "not friendly" is about friendliness.
A theme that names a problem or a praise ("Long wait", "Out of stock") sets ``count_negated=False``: then
"no wait at all" does not mention it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

NEGATION_WINDOW = 3
NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "none",
        "nobody",
        "nowhere",
        "without",
        "hardly",
        "barely",
        "neither",
        "nor",
        "cannot",
        "cant",
        "dont",
        "didnt",
        "doesnt",
        "isnt",
        "wasnt",
        "werent",
        "arent",
        "wont",
        "couldnt",
        "wouldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
    ]
)
CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n]+|\bbut\b")
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_UNDOUBLE_KEEP = frozenset("lsfz")
_stems: dict[str, str] = {}


def stem(word: str) -> str:
    """Fold a lower-case word to a simple stem: plurals, -ed, -ing, possessives and a final e.

    Deliberately small (no dictionary): rules and comments go through the same function, so any
    over-folding is the same on both sides.  Contractions ("didn't") are kept as they are.
    """
    cached = _stems.get(word)
    if cached is not None:
        return cached
    w = word
    if w.endswith("'s"):
        w = w[:-2]
    if "'" in w:
        _stems[word] = w
        return w
    if len(w) > 4 and w.endswith(("ies", "ied")):
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    elif len(w) > 5 and w.endswith("ing"):
        w = _undouble(w[:-3])
    elif len(w) > 4 and w.endswith("ed"):
        w = _undouble(w[:-2])
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(_stems) < 200_000:
        _stems[word] = w
    return w


def _undouble(w: str) -> str:
    if len(w) > 2 and w[-1] == w[-2] and w[-1] not in _UNDOUBLE_KEEP and w[-1].isalpha():
        return w[:-1]
    return w


def is_negator(word: str) -> bool:
    """ "not", "no", "never" …, and any "…n't" contraction."""
    return word in NEGATORS or word.endswith("n't")


@dataclass(frozen=True)
class Token:
    """A stemmed word of a comment and whether a negation governs it."""

    stem: str
    negated: bool


def tokens(text: str) -> list[Token]:
    """The stemmed words of ``text`` in order, each marked negated or not (see the module docstring)."""
    result: list[Token] = []
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    for clause in CLAUSE_BREAK.split(lowered):
        last_negator = -NEGATION_WINDOW - 1
        for index, word in enumerate(WORD.findall(clause)):
            if is_negator(word):
                last_negator = index
                result.append(Token(word, False))
                continue
            result.append(Token(stem(word), index - last_negator <= NEGATION_WINDOW))
    return result


def phrase(text: str) -> tuple[str, ...]:
    """A rule phrase as its tuple of stems ("Value for Money" → ("valu", "for", "money"))."""
    return tuple(stem(word) for word in WORD.findall(text.lower().replace("’", "'")))


def lines(text: str) -> tuple[str, ...]:
    """Non-blank lines of a rule field, stripped (commas also separate phrases)."""
    parts = (part.strip() for line in text.splitlines() for part in line.split(","))
    return tuple(part for part in parts if part)


@dataclass(frozen=True)
class Rules:
    """One theme's rules (see the module docstring); phrases as written by people."""

    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    near: tuple[tuple[str, str], ...] = ()
    near_words: int = 5
    count_negated: bool = True

    def __post_init__(self) -> None:
        if self.near_words < 1:
            raise ValueError(f"near_words must be at least 1, got {self.near_words}")

    @property
    def is_empty(self) -> bool:
        """A theme without any_of, all_of or near matches nothing (it only groups its children)."""
        return not (self.any_of or self.all_of or self.near)


def parse_near(text: str) -> tuple[tuple[str, str], ...]:
    """``near`` lines "a ~ b" as pairs; a line without exactly one "~" is an error naming it."""
    pairs = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        parts = [part.strip() for part in line.split("~")]
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"A near rule is two phrases joined by ~, like 'wait ~ long'; got {line!r}")
        pairs.append((parts[0], parts[1]))
    return tuple(pairs)


Found = Mapping[tuple[str, ...], list[tuple[int, bool]]]


@dataclass
class _Compiled:
    any_of: list[tuple[str, ...]]
    all_of: list[tuple[str, ...]]
    none_of: list[tuple[str, ...]]
    near: list[tuple[tuple[str, ...], tuple[str, ...]]]
    near_words: int
    count_negated: bool


@dataclass
class Matcher:
    """A taxonomy compiled for fast tagging: an index from a phrase's first stem to the phrases.

    ``Matcher({theme_id: Rules(...)}).match(comment)`` is the set of theme ids the comment mentions.
    """

    themes: Mapping[int, Rules]
    _compiled: dict[int, _Compiled] = field(init=False, default_factory=dict)
    _index: dict[str, set[tuple[str, ...]]] = field(init=False, default_factory=lambda: defaultdict(set))
    _triggers: dict[tuple[str, ...], set[int]] = field(init=False, default_factory=lambda: defaultdict(set))

    def __post_init__(self) -> None:
        for theme_id, rules in self.themes.items():
            compiled = _Compiled(
                any_of=[p for p in map(phrase, rules.any_of) if p],
                all_of=[p for p in map(phrase, rules.all_of) if p],
                none_of=[p for p in map(phrase, rules.none_of) if p],
                near=[(phrase(a), phrase(b)) for a, b in rules.near if phrase(a) and phrase(b)],
                near_words=rules.near_words,
                count_negated=rules.count_negated,
            )
            self._compiled[theme_id] = compiled
            positive = [*compiled.any_of, *compiled.all_of, *(pair[0] for pair in compiled.near)]
            for words in positive:
                self._triggers[words].add(theme_id)
            for words in [*positive, *compiled.none_of, *(pair[1] for pair in compiled.near)]:
                self._index[words[0]].add(words)

    def hits(self, text: str) -> dict[tuple[str, ...], list[tuple[int, bool]]]:
        """Every rule phrase found in ``text``: its positions (word index) and whether each is negated."""
        words = tokens(text)
        stems = [token.stem for token in words]
        found: dict[tuple[str, ...], list[tuple[int, bool]]] = defaultdict(list)
        for position, token in enumerate(words):
            for candidate in self._index.get(token.stem, ()):
                if tuple(stems[position : position + len(candidate)]) == candidate:
                    found[candidate].append((position, token.negated))
        return found

    def match(self, text: str) -> set[int]:
        """Ids of the themes whose rules ``text`` satisfies."""
        found = self.hits(text)
        candidates: set[int] = set()
        for words in found:
            candidates |= self._triggers.get(words, set())
        return {theme_id for theme_id in candidates if _satisfies(self._compiled[theme_id], found)}


def _positions(found: Found, words: tuple[str, ...], negated_ok: bool) -> list[int]:
    return [position for position, negated in found.get(words, ()) if negated_ok or not negated]


def _satisfies(rules: _Compiled, found: Found) -> bool:
    ok = rules.count_negated
    if any(words in found for words in rules.none_of):
        return False
    if not all(_positions(found, words, ok) for words in rules.all_of):
        return False
    if not rules.any_of and not rules.near:
        return bool(rules.all_of)
    if any(_positions(found, words, ok) for words in rules.any_of):
        return True
    for first, second in rules.near:
        firsts, seconds = _positions(found, first, ok), _positions(found, second, ok)
        if any(abs(a - b) <= rules.near_words for a in firsts for b in seconds):
            return True
    return False


def match_one(rules: Rules, text: str) -> bool:
    """Whether ``text`` satisfies one theme's rules (for previews and tests)."""
    return 0 in Matcher({0: rules}).match(text)


def match_all(themes: Mapping[int, Rules], texts: Iterable[str]) -> list[set[int]]:
    """The theme ids each of ``texts`` mentions."""
    matcher = Matcher(themes)
    return [matcher.match(text) for text in texts]
