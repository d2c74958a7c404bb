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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

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
