"""The second listener: what was said, by a real speech recogniser (Whisper base, CTranslate2).

The first listener (pocketsphinx GOP, tone templates) scores *how* the expected sentence was
said and is blind to *what* was said: a replaced word still aligns. This one transcribes.

Cost: Whisper pads every input to 30 s, so a 3 s sentence would pay for 30 s of encoding. Here
the speech (Silero VAD, shipped in faster-whisper) with a margin, long pauses shortened, and a
short tail of silence is encoded on its own (CTranslate2 accepts shorter inputs), once, and
both decodes reuse the encoder output. Long recordings (over `MAX_SPAN_S`) go through
faster-whisper's own 30 s windows instead.

Guards against hallucination (a short encoder context and robotic or disordered speech make
Whisper repeat itself or invent text): a speech gate (no VAD speech: nothing is heard), greedy
decoding at temperature 0, a token cap from the expected length, a repeated tail cut off,
rejection on compression ratio, on no-speech probability with a low log-probability, and on a
heard length far beyond the expected one. A rejected decode is reported with its reason and
never compared. `HF_HUB_OFFLINE=1` is set before faster-whisper is imported: nothing is fetched.
"""

from __future__ import annotations

import os
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vocalborn.analyzer import constants as C
from vocalborn.analyzer.types import Localized, bilingual

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAX_SPAN_S = 27.0
NO_SPEECH = bilingual("聽辨模型沒有聽到說話聲", "the listener heard no speech")


@dataclass(frozen=True)
class Heard:
    text: str  # "" when rejected
    prompted: bool
    rejected: Localized | None = None


@dataclass(frozen=True)
class Hearing:
    free: Heard | None  # unprompted decode
    prompted: Heard | None  # decode prompted with the expected sentence (Mandarin only)
    reason: Localized | None = None  # why nothing was heard (no speech)


def repeated_tail_cut(tokens: list[int]) -> list[int]:
    """Cut a looping tail: from the first place where the rest is one stretch said again
    (at least 4 tokens of it, or the whole stretch if shorter; three times over for stretches
    of one or two tokens, so 謝謝 or "bye bye" stay), keep the stretch once."""
    n = len(tokens)
    for start in range(n):
        for period in range(1, n - start):
            repeated = n - start - period
            if repeated < (2 * period if period <= 2 else min(period, 4)):
                continue
            tail = tokens[start:]
            if all(tail[k] == tail[k - period] for k in range(period, len(tail))):
                return tokens[: start + period]
    return tokens


def compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / max(1, len(zlib.compress(raw)))


class Listener:
    """Loads the model once (per worker process); `hear` may be called from any thread."""

    def __init__(self, model_dir: Path, cpu_threads: int = 1) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        self.model_dir = Path(model_dir)
        self._model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type="int8",
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
        self._tokenizers = {
            lang: Tokenizer(self._model.hf_tokenizer, True, task="transcribe", language=lang)
            for lang in ("en", "zh")
        }
        self._lock = threading.Lock()

    def speech(self, samples: np.ndarray) -> np.ndarray | None:
        """The speech the VAD found, its pauses shortened to at most `LISTENER_MAX_GAP_S`
        (Whisper without timestamps stops at a long pause; pauses are fluency's business);
        None when there is no speech."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        options = VadOptions(
            min_speech_duration_ms=120, min_silence_duration_ms=300, speech_pad_ms=100
        )
        stamps = get_speech_timestamps(samples, options)
        if not stamps:
            return None
        margin = int(C.LISTENER_MARGIN_S * C.SAMPLE_RATE)
        gap = np.zeros(int(C.LISTENER_MAX_GAP_S * C.SAMPLE_RATE), np.float32)
        spans: list[list[int]] = []
        for st in stamps:
            lo, hi = max(0, st["start"] - margin), min(len(samples), st["end"] + margin)
            if spans and lo <= spans[-1][1] + len(gap):
                spans[-1][1] = hi  # a short pause stays as it is
            else:
                spans.append([lo, hi])
        pieces: list[np.ndarray] = []
        for lo, hi in spans:
            pieces += [gap, samples[lo:hi]] if pieces else [samples[lo:hi]]
        return np.concatenate(pieces).astype(np.float32)

    def hear(
        self, samples: np.ndarray, language: str, expected: str, units: int, prompt: bool
    ) -> Hearing:
        """Decode `samples` (16 kHz mono float32) unprompted and, with `prompt`, once more
        prompted by the expected sentence. `units`: expected words or characters."""
        lang = "zh" if language.startswith("zh") else "en"
        speech = self.speech(samples)
        if speech is None:
            return Hearing(None, None, NO_SPEECH)
        with self._lock:
            if len(speech) > MAX_SPAN_S * C.SAMPLE_RATE:
                free = self._long(speech, lang, None, units)
                guided = self._long(speech, lang, expected, units) if prompt else None
            else:
                encoded = self._encode(speech)
                free = self._decode(encoded, lang, None, units)
                guided = self._decode(encoded, lang, expected, units) if prompt else None
        return Hearing(free, guided)

    def _encode(self, speech: np.ndarray) -> Any:
        import ctranslate2

        tail = np.zeros(int(C.LISTENER_TAIL_S * C.SAMPLE_RATE), np.float32)
        feats = self._model.feature_extractor(np.concatenate([speech, tail]), padding=0)
        frames = feats.shape[-1] - feats.shape[-1] % 2
        view = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None, :, :frames]))
        return self._model.model.encode(view, to_cpu=False)

    def _decode(self, encoded: Any, lang: str, expected: str | None, units: int) -> Heard:
        tok = self._tokenizers[lang]
        prefix: list[int] = []
        if expected:
            prefix = [tok.sot_prev, *tok.encode(expected.strip())]
        start = [tok.sot, tok.language, tok.transcribe, tok.no_timestamps]
        cap = C.LISTENER_TOKENS_PER_UNIT * units + C.LISTENER_TOKEN_SLACK
        result = self._model.model.generate(
            encoded,
            [prefix + start],
            beam_size=1,
            max_length=len(prefix) + len(start) + cap,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < tok.eot]
        kept = repeated_tail_cut(tokens)
        text = tok.decode(kept).strip()
        heard = self._judge(text, expected is not None, result, lang, units)
        if len(kept) < len(tokens) and _units(text, lang) < C.LISTENER_MIN_LOOP_SHARE * units:
            # It looped on a fragment ("請問洗 請問洗 ..."): a stuck decoder, not a reading.
            return Heard("", expected is not None, _looped())
        return heard

    def _long(self, speech: np.ndarray, lang: str, expected: str | None, units: int) -> Heard:
        segments, _ = self._model.transcribe(
            speech,
            language=lang,
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=expected,
            without_timestamps=True,
        )
        text = " ".join(s.text.strip() for s in segments)
        return self._judge(text, expected is not None, None, lang, units)

    def _judge(self, text: str, prompted: bool, result: Any, lang: str, units: int) -> Heard:
        if result is not None and (
            result.no_speech_prob > C.LISTENER_NO_SPEECH_PROB
            and result.scores[0] < C.LISTENER_MIN_LOGPROB
        ):
            return Heard("", prompted, NO_SPEECH)
        if compression_ratio(text) > C.LISTENER_MAX_COMPRESSION:
            return Heard("", prompted, _looped())
        if _units(text, lang) > C.LISTENER_MAX_LENGTH_RATIO * units + C.LISTENER_TOKEN_SLACK:
            return Heard("", prompted, _looped())
        return Heard(text, prompted)


def _units(text: str, lang: str) -> int:
    return len(text.split()) if lang == "en" else len(text.replace(" ", ""))


def _looped() -> Localized:
    return bilingual(
        "聽辨模型的結果不可靠（重複或過長），所以不採用",
        "the listener's transcript was unreliable (repeating or far too long) and was not used",
    )
