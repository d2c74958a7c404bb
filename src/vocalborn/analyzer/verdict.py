"""One rule for the status of every word and syllable, and for the scores that follow them.

Two listeners judge each expected unit: the first (pocketsphinx GOP for English words, F0
against tone templates for Mandarin syllables) says how it was said; the second (Whisper) says
whether it was said at all. The rule, in one place:

- a unit the second listener did not hear is never `ok`: `missing` when nothing was heard in its
  place, `substituted` when something else was;
- a syllable whose heard tone is not among its accepted tones is never `ok`: `wrong_tone` when
  the expected tone is unlikely, `unclear` when the evidence is weak either way;
- otherwise the first listener's verdict stands (`ok`, `mispronounced`, `not_assessed`).

Scores follow the flags: a `substituted` or `missing` unit counts zero in the sentence's
pronunciation score, whatever its acoustic score was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from vocalborn.analyzer import constants as C

NOT_SAID = frozenset({"substituted", "missing"})
# Statuses the page marks as needing work (everything but ok / not_assessed / neutral).
FLAGGED = NOT_SAID | {"mispronounced", "wrong_tone", "unclear", "extra"}


def word_status(gop_status: str, said: str | None) -> str:
    """English word. `said`: the second listener's "same"/"substituted"/"missing", or None
    when it could not judge (then the first listener's verdict stands alone)."""
    if said in NOT_SAID:
        return said
    if said == "same" and gop_status == "missing":
        return "mispronounced"  # heard by the listener, squeezed by the aligner: said, badly
    return gop_status


def tone_status(
    tone_expected: int, accepted: Iterable[int], tone_heard: int | None, score: float | None
) -> str:
    """Mandarin syllable's tone alone. `score` is the expected tone's 0..100 score."""
    if tone_expected == 5:
        return "ok"  # the neutral tone has no contour of its own to check
    if score is None or tone_heard is None:
        return "not_assessed"
    if tone_heard in set(accepted):
        return "ok"
    return "wrong_tone" if score < C.TONE_OK_PROB * 100 else "unclear"


def syllable_status(tone: str, said: str | None) -> str:
    """Mandarin syllable: what the listener heard first, then its tone."""
    return said if said in NOT_SAID and said is not None else tone


def credited(item: Mapping[str, Any]) -> float | None:
    """The score a unit contributes to the sentence: zero when it was not said."""
    if item.get("status") in NOT_SAID:
        return 0.0
    score = item.get("score")
    return None if score is None else float(score)


def sentence_score(items: Iterable[Mapping[str, Any]], inserted: int = 0) -> float | None:
    """Mean credited score of the expected units; each inserted word costs as much as a
    missing one. None when no unit could be scored."""
    units = [it for it in items if it.get("status") != "extra"]
    scores = [s for s in (credited(it) for it in units) if s is not None]
    if not scores:
        return None
    mean = sum(scores) / len(scores)
    penalty = min(1.0, inserted / max(len(units), 1))
    return round(mean * (1.0 - penalty), 1)


def consistent(item: Mapping[str, Any]) -> bool:
    """The rule as a check (tests run it over every item of every test recording)."""
    if item.get("status") != "ok":
        return True
    said = item.get("said")
    if said in NOT_SAID:
        return False
    heard_tone, accepted = item.get("tone_heard"), item.get("tones_accepted")
    if accepted is not None and item.get("tone_expected") != 5 and heard_tone is not None:
        return heard_tone in accepted
    return True
