"""What the listener heard against what was expected: word and character alignment (pure).

The second listener returns text; this module turns it into one verdict per expected word
(English) or character (Mandarin): `heard` (the listener's word or character at that place, or
None) and `said` in {"same", "substituted", "missing"}, plus the words it heard that the
sentence does not have. Both sides are normalised first so spelling is not counted as speech:
English by case, punctuation, hyphens, numbers and common abbreviations; Mandarin by toneless
pinyin (pypinyin reads Traditional and Simplified alike, so Whisper's Simplified output is not
an error, and a homophone written with another character counts as said). Heard Chinese is shown
in Traditional characters (OpenCC s2tw, character by character so positions stay put).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

from vocalborn.analyzer.pinyin import hanzi

T = TypeVar("T")

_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
ABBREVIATIONS = {
    "mr": "mister",
    "mrs": "missus",
    "ms": "miss",
    "dr": "doctor",
    "st": "saint",
    "ok": "okay",
}
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> list[str]:
    """0..999999 in words, as a reader would say them ("one hundred twenty three")."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return [_ONES[hundreds], "hundred"] + (number_words(rest) if rest else [])
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        return number_words(thousands) + ["thousand"] + (number_words(rest) if rest else [])
    return [str(n)]


def english_words(text: str) -> list[str]:
    """Lower-case words without punctuation; hyphenated words split, numbers and common
    abbreviations written out, so "Mr. Dashwood's 2 ill-disposed" and "mister dashwood's two
    ill disposed" compare equal."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("-", " ")
    out: list[str] = []
    for token in _EN_TOKEN.findall(text):
        if token.isdigit() and len(token) <= 6:
            out += number_words(int(token))
        else:
            out.append(ABBREVIATIONS.get(token, token))
    return out


@lru_cache(maxsize=4096)
def toneless(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL)[0]


def toneless_all(chars: Sequence[str]) -> list[str]:
    """Toneless pinyin of each character, read in context (polyphones: 行 hang/xing)."""
    return lazy_pinyin("".join(chars), style=Style.NORMAL) if chars else []


@lru_cache(maxsize=1)
def _s2tw() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("s2tw").convert


def traditional(text: str) -> str:
    """Simplified -> Traditional (Taiwan) character by character, so indices are kept."""
    convert = _s2tw()
    return "".join(convert(ch) if len(convert(ch)) == 1 else ch for ch in text)


def align(expected: Sequence[T], heard: Sequence[T]) -> list[tuple[int | None, int | None]]:
    """Levenshtein alignment as (expected index, heard index) pairs in order; None marks a
    deletion (expected not heard) or an insertion (heard, not expected). Ties prefer a
    substitution over a deletion plus an insertion, and a match over anything."""
    n, m = len(expected), len(heard)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            diag = cost[i - 1][j - 1] + (expected[i - 1] != heard[j - 1])
            cost[i][j] = min(diag, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + (expected[i - 1] != heard[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return pairs


@dataclass(frozen=True)
class Verdict:
    heard: str | None  # what the listener heard in this place (None: nothing)
    said: str  # "same" | "substituted" | "missing"


@dataclass(frozen=True)
class Comparison:
    verdicts: list[Verdict]  # one per expected unit, in order
    # heard units the sentence does not have: (how many expected units come before it, unit)
    inserted: list[tuple[int, str]]

    @property
    def recognised(self) -> float:
        """Share of the expected units heard as themselves (0..1)."""
        if not self.verdicts:
            return 0.0
        return sum(v.said == "same" for v in self.verdicts) / len(self.verdicts)


def compare(
    expected_keys: Sequence[str], heard_keys: Sequence[str], heard_shown: Sequence[str]
) -> Comparison:
    """Align by keys (normalised words or toneless pinyin); report heard units as shown."""
    verdicts: list[Verdict | None] = [None] * len(expected_keys)
    inserted: list[tuple[int, str]] = []
    before = 0
    for e, h in align(expected_keys, heard_keys):
        if e is not None:
            before = e + 1
        if e is None and h is not None:
            inserted.append((before, heard_shown[h]))
        elif e is not None and h is None:
            verdicts[e] = Verdict(None, "missing")
        elif e is not None and h is not None:
            same = expected_keys[e] == heard_keys[h]
            verdicts[e] = Verdict(heard_shown[h], "same" if same else "substituted")
    return Comparison([v for v in verdicts if v is not None], inserted)


def compare_english(expected: Sequence[str], heard_text: str) -> Comparison:
    """`expected`: the sentence's words (english.normalise_words); abbreviations and numbers
    are expanded on both sides before aligning, then mapped back to one verdict per word."""
    heard = english_words(heard_text)
    keys: list[str] = []
    owner: list[int] = []
    for i, word in enumerate(expected):
        for part in english_words(word) or [word]:
            keys.append(part)
            owner.append(i)
    detail = compare(keys, heard, heard)
    verdicts: list[Verdict] = []
    for i in range(len(expected)):
        mine = [detail.verdicts[k] for k, o in enumerate(owner) if o == i]
        words = [v.heard for v in mine if v.heard]
        if all(v.said == "same" for v in mine):
            said = "same"
        elif all(v.said == "missing" for v in mine):
            said = "missing"
        else:
            said = "substituted"
        verdicts.append(Verdict(" ".join(words) or None, said))
    # positions counted in expanded keys -> in expected words
    inserted = [(owner[pos - 1] + 1 if pos else 0, word) for pos, word in detail.inserted]
    return Comparison(verdicts, inserted)


def compare_mandarin(expected_chars: Sequence[str], heard_text: str) -> Comparison:
    heard = hanzi(heard_text)
    shown = [traditional(ch) for ch in heard]
    return compare(toneless_all(expected_chars), toneless_all(heard), shown)
