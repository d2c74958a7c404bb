"""English pronunciation: pocketsphinx forced alignment + free phone loop -> GOP (Witt & Young).

Two decoders share the en-us acoustic model shipped in the pocketsphinx wheel:
- the aligner (FSG search over the expected words with optional silences, `bestpath=False`,
  wide beams so that a badly matching utterance still yields an alignment to score), run twice as
  pocketsphinx requires for phone-level timing;
- a free phone loop (allphone search, uniform phone probabilities) standing in for
  max_q P(O|q) in the GOP denominator.

GOP per phone = (aligned phone score - phone-loop score over the same frames) / frames. Decoders
are created once (`EnglishScorer()` in `warm_up`) and are not thread-safe: callers serialise.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field

import numpy as np
import pocketsphinx

from vocalborn.analyzer import constants as C
from vocalborn.analyzer.types import Localized, bilingual

FRAME_S = 0.01
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


@dataclass
class Phone:
    label: str
    start: float
    end: float
    gop: float
    score: float


@dataclass
class Word:
    word: str
    start: float
    end: float
    score: float
    status: str  # ok | mispronounced | missing
    phones: list[Phone] = field(default_factory=list)


@dataclass
class EnglishResult:
    """Aligned words (empty when the alignment failed: `reason` says why) and inserted speech
    the phone loop heard between them ({"start", "end", "phones"})."""

    words: list[Word]
    extra: list[dict]
    reason: Localized | None = None


def normalise_words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD_RE.findall(text)


def phone_score(gop: float) -> float:
    return 100.0 / (1.0 + math.exp(-(gop - C.GOP_CENTRE) / C.GOP_SCALE))


def _base(word: str) -> str:
    """cmudict alternates are named word(2); report the written word."""
    return word.split("(")[0]


class EnglishScorer:
    def __init__(self) -> None:
        beam = C.ALIGN_BEAM
        self._align = pocketsphinx.Decoder(
            bestpath=False, lm=None, loglevel="FATAL", beam=beam, wbeam=beam, pbeam=beam
        )
        self._loop = pocketsphinx.Decoder(lm=None, loglevel="FATAL")
        self._loop.add_allphone_file("phone_loop", None)
        self._loop.activate_search("phone_loop")
        self._logmath = self._loop.get_logmath()
        self.lock = threading.Lock()

    def oov(self, words: list[str]) -> list[str]:
        return [w for w in words if self._align.lookup_word(w) is None]

    def _decode(self, decoder: pocketsphinx.Decoder, pcm: bytes) -> None:
        # The noise-removal filter carries its estimate over from the previous utterance;
        # resetting the front end makes a score depend on this recording alone.
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()

    def _loop_frames(self, pcm: bytes) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
        """Per-frame phone-loop acoustic score (each phone's score spread over its frames)."""
        self._decode(self._loop, pcm)
        segs = [(s.word, s.start_frame, s.end_frame, s.ascore) for s in self._loop.seg()]
        n = max((e for _, _, e, _ in segs), default=-1) + 1
        frames = np.zeros(n)
        for _, s, e, ascore in segs:
            frames[s : e + 1] = self._logmath.log(ascore) / (e - s + 1)
        return frames, [(w, s, e) for w, s, e, _ in segs]

    def score(self, words: list[str], pcm: bytes) -> EnglishResult:
        with self.lock:
            return self._score(words, pcm)

    def _score(self, words: list[str], pcm: bytes) -> EnglishResult:
        text = " ".join(words)
        self._align.set_align_text(text)
        self._decode(self._align, pcm)
        hyp = self._align.hyp()
        if hyp is None:
            return _failed(
                words,
                bilingual(
                    "錄音無法對應到這個句子",
                    "the recording could not be aligned to the expected sentence",
                ),
            )
        said = [_base(s.word) for s in self._align.seg() if not s.word.startswith(("<", "["))]
        if said != words:
            return _failed(
                words,
                bilingual(
                    "對齊時漏掉了句子裡的字詞",
                    "the alignment dropped words of the expected sentence",
                ),
            )
        self._align.set_alignment()
        self._decode(self._align, pcm)
        alignment = self._align.get_alignment()
        loop_frames, loop_segs = self._loop_frames(pcm)
        if alignment is None:
            return _failed(words, bilingual("音素層級的對齊失敗", "phone-level alignment failed"))
        out: list[Word] = []
        extra: list[dict] = []
        for entry in alignment:
            if entry.name in ("<s>", "</s>", "<sil>") or entry.name.startswith("["):
                found = _extra_speech(entry.start, entry.start + entry.duration, loop_segs)
                if found:
                    extra.append(found)
                continue
            phones = []
            for ph in entry:
                lo, hi = ph.start, ph.start + ph.duration
                loop = float(loop_frames[lo:hi].sum()) if hi <= len(loop_frames) else 0.0
                gop = min(0.0, (ph.score - loop) / max(ph.duration, 1))
                phones.append(
                    Phone(
                        ph.name,
                        lo * FRAME_S,
                        hi * FRAME_S,
                        round(gop, 2),
                        round(phone_score(gop), 1),
                    )
                )
            out.append(_word(_base(entry.name), entry.start, entry.duration, phones))
        # The sentence score is the analyser's (verdict.sentence_score), once the second
        # listener has had its say on each word.
        return EnglishResult(out, extra)


def _word(word: str, start: int, duration: int, phones: list[Phone]) -> Word:
    score = 0.0
    if phones:
        lengths = np.array([p.end - p.start for p in phones])
        score = float(np.dot([p.score for p in phones], lengths) / lengths.sum())
    squeezed = duration <= (C.MIN_FRAMES_PER_PHONE + 1) * max(len(phones), 1)
    if squeezed and score < C.MISSING_WORD_SCORE:
        status = "missing"
    elif score < C.WORD_OK_SCORE:
        status = "mispronounced"
    else:
        status = "ok"
    return Word(
        word, start * FRAME_S, (start + duration) * FRAME_S, round(score, 1), status, phones
    )


def _extra_speech(start: int, end: int, loop_segs: list[tuple[str, int, int]]) -> dict | None:
    """Non-silence phones the loop heard inside an aligned silence: an inserted word."""
    heard = [
        (w, max(s, start), min(e + 1, end))
        for w, s, e in loop_segs
        if w not in ("SIL", "+NSN+", "+SPN+") and s < end and e >= start
    ]
    frames = sum(e - s for _, s, e in heard)
    if frames * FRAME_S < C.EXTRA_SPEECH_MIN_S:
        return None
    return {
        "start": round(start * FRAME_S, 2),
        "end": round(end * FRAME_S, 2),
        "phones": [w for w, _, _ in heard],
    }


def _failed(words: list[str], reason: Localized) -> EnglishResult:
    return EnglishResult([], [], reason)
