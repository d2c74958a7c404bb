"""Expected Mandarin syllables and surface tones from Chinese text (Traditional or Simplified).

pypinyin gives each character's citation tone (it knows polyphones from word context); its own
`tone_sandhi` option misses sandhi across its word boundaries (很好 stays hen3 hao3), so the three
rules are applied here on the citation tones:
- 不 bu4 becomes bu2 before a fourth tone;
- 一 yi1 becomes yi2 before a fourth tone and yi4 before tones 1-3, except as a numeral
  (after 第, before or after another digit, or at the end of a phrase);
- third tone before third tone: in a run of n third tones the first n-1 become second tone.
  In runs of three or more, speakers group differently (展覽館 zhan2 lan2 guan3 or zhan3 lan2
  guan3), so a non-final syllable of such a run accepts tone 3 as well.

Learners never see tone numbers: `spell` writes a syllable in Zhuyin (注音, what learners in
Taiwan read) and in tone-mark pinyin, for the page above each character (the tone as written in
a dictionary) and in the explanation of a flagged syllable (the tone to say after sandhi, and
the tone heard).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from pypinyin import Style, lazy_pinyin
from pypinyin.contrib.tone_convert import to_tone
from pypinyin.style import convert

_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DIGITS = set("零〇一二兩两三四五六七八九十百千萬万億亿")


@dataclass(frozen=True)
class Syllable:
    char: str
    pinyin: str  # toneless, e.g. "hao"
    citation_tone: int  # 1-5 (5 = neutral)
    tone: int  # expected surface tone after sandhi
    accepted: frozenset[int]  # tones a fluent speaker may produce here

    @property
    def label(self) -> str:
        return f"{self.pinyin}{self.tone}"


def hanzi(text: str) -> list[str]:
    return _HANZI.findall(text)


def _split(p: str) -> tuple[str, int]:
    if p and p[-1].isdigit():
        return p[:-1], int(p[-1])
    return p, 5


def _phrases(text: str) -> list[list[str]]:
    """Characters grouped by punctuation/space: sandhi does not cross a phrase break."""
    return [
        hanzi(chunk) for chunk in re.split(r"[^\u3400-\u9fff\uf900-\ufaff]+", text) if hanzi(chunk)
    ]


def expected_syllables(text: str) -> list[Syllable]:
    out: list[Syllable] = []
    for chars in _phrases(text):
        raw = lazy_pinyin("".join(chars), style=Style.TONE3, neutral_tone_with_five=True)
        split = [_split(p) for p in raw]
        tones = [t for _, t in split]
        surface = _yi_bu(chars, tones)
        accepted = _third_tone(surface)
        for ch, (py, cit), _tone, acc in zip(chars, split, surface, accepted, strict=True):
            tone_now = min(acc) if len(acc) == 1 else 2
            out.append(Syllable(ch, py, cit, tone_now, frozenset(acc)))
    return out


def _yi_bu(chars: list[str], tones: list[int]) -> list[int]:
    out = list(tones)
    n = len(chars)
    for i, ch in enumerate(chars):
        nxt = tones[i + 1] if i + 1 < n else None
        if ch == "不" and tones[i] == 4 and nxt == 4:
            out[i] = 2
        elif ch == "一" and tones[i] == 1 and nxt is not None and nxt != 5:
            numeral = (i > 0 and chars[i - 1] in _DIGITS | {"第"}) or chars[i + 1] in _DIGITS
            if not numeral:
                out[i] = 2 if nxt == 4 else 4
        elif ch == "一" and tones[i] == 1 and nxt == 5 and i + 1 < n and chars[i + 1] == "個":
            out[i] = 2  # 個 is often neutral in pypinyin but underlyingly ge4
    return out


def _third_tone(tones: list[int]) -> list[set[int]]:
    accepted = [{t} for t in tones]
    i = 0
    while i < len(tones):
        if tones[i] != 3:
            i += 1
            continue
        j = i
        while j + 1 < len(tones) and tones[j + 1] == 3:
            j += 1
        for k in range(i, j):
            accepted[k] = {2} if j - i == 1 else {2, 3}
        i = j + 1
    return accepted


# --- spelling for learners: Zhuyin (注音) and tone-mark pinyin, never tone numbers --------------

NEUTRAL_DOT = "˙"


def spell(syllable: str, tone: int) -> tuple[str, str] | None:
    """(Zhuyin, tone-mark pinyin) of a toneless syllable ("hao", "lv") said with `tone` (1-5);
    None when `syllable` is not pinyin (a character pypinyin does not know). Zhuyin writes the
    neutral tone's dot first, as Taiwan's textbooks do (˙ㄇㄚ)."""
    base = syllable.lower().replace("ü", "v")
    if not base.isascii() or not base.isalpha() or tone not in (1, 2, 3, 4, 5):
        return None
    numbered = base if tone == 5 else f"{base}{tone}"
    zhuyin = convert(numbered, Style.BOPOMOFO, True).replace(NEUTRAL_DOT, "")
    if tone == 5:
        zhuyin = NEUTRAL_DOT + zhuyin
    return zhuyin, to_tone(numbered)


def readings(text: str) -> list[tuple[str, str, str]]:
    """(character, Zhuyin, tone-mark pinyin) of each Chinese character as written (citation tone,
    polyphones read from context); a character pypinyin does not know gets empty spellings."""
    out = []
    for syl in expected_syllables(text):
        spelled = spell(syl.pinyin, syl.citation_tone) or ("", "")
        out.append((syl.char, *spelled))
    return out


def spelled_fields(syl: Syllable, tone_heard: int | None) -> dict[str, str | None]:
    """What a Mandarin report item carries for the page: the syllable as written above its
    character, as it should be said here (after tone sandhi) and as it was heard (its tone)."""
    written = spell(syl.pinyin, syl.citation_tone)
    expected = spell(syl.pinyin, syl.tone)
    heard = spell(syl.pinyin, tone_heard) if tone_heard else None
    return {
        "zhuyin": written[0] if written else None,
        "pinyin_marks": written[1] if written else None,
        "expected_zhuyin": expected[0] if expected else None,
        "expected_pinyin_marks": expected[1] if expected else None,
        "heard_zhuyin": heard[0] if heard else None,
        "heard_pinyin_marks": heard[1] if heard else None,
    }


def with_spellings(text: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`items` (a Mandarin sentence's, possibly stored before these fields existed) with the
    spelled fields filled in where missing. Items are matched to the text's characters in order;
    one that does not match (an item of another shape) is left as it is."""
    syllables = expected_syllables(text)
    out = []
    for i, item in enumerate(items):
        syl = syllables[i] if i < len(syllables) else None
        if "zhuyin" in item or syl is None or item.get("label") != syl.char:
            out.append(item)
            continue
        heard, expected = item.get("tone_heard"), item.get("tone_expected")
        if isinstance(expected, int) and expected in (1, 2, 3, 4, 5):
            syl = replace(syl, tone=expected)  # the item's own verdict of what to say
        out.append({**item, **spelled_fields(syl, heard if isinstance(heard, int) else None)})
    return out


def analyses_with_spellings(analyses: list[Any] | None) -> list[Any] | None:
    """A report's `sentence_analyses` with every Mandarin item spelled (results stored before
    the spelled fields existed are read through this)."""
    if not analyses:
        return analyses
    out: list[Any] = []
    for sa in analyses:
        ok = isinstance(sa, dict) and sa.get("language") == "zh-TW"
        text, items = (sa.get("text"), sa.get("items")) if ok else (None, None)
        if (
            isinstance(text, str)
            and isinstance(items, list)
            and all(isinstance(it, dict) for it in items)
        ):
            out.append({**sa, "items": with_spellings(text, items)})
        else:
            out.append(sa)
    return out
