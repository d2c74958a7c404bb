"""The built-in offline analyser: `OfflineAnalyser(settings).analyse(request, progress)`.

Pipeline: decode -> Praat pitch/intensity/voice quality -> de Jong & Wempe timing -> reference
profile (cached per file and text) -> the second listener (what was said) -> pronunciation
(English GOP or Mandarin tones, statuses by `verdict.py`) -> fluency and rhythm scores ->
intelligibility -> feedback. Heavy objects (pocketsphinx decoders, the Whisper model) are built
once in `warm_up`, which the worker calls from `worker_process_init`; `analyse` is safe to call
repeatedly and from several threads (the decoders are used under a lock). A listener model that
is missing or corrupt does not stop the analyser: every listener-based verdict is then not
assessed, with the reason.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import parselmouth

from vocalborn.analyzer import constants as C
from vocalborn.analyzer import hearing, mandarin, parts, praat, scoring
from vocalborn.analyzer.audio import DECODE_TIMEOUT_SECONDS, Audio, clipping_ratio, decode_audio
from vocalborn.analyzer.english import EnglishResult, EnglishScorer
from vocalborn.analyzer.errors import AIServiceError, ParameterError, TaskError
from vocalborn.analyzer.feedback import build as build_feedback
from vocalborn.analyzer.listener import Listener
from vocalborn.analyzer.listener_model import ModelUnavailable, ensure_model
from vocalborn.analyzer.rhythm import rhythm_score
from vocalborn.analyzer.timing import measure_timing, timing_summary
from vocalborn.analyzer.types import (
    AnalysisReport,
    AnalysisRequest,
    Localized,
    ProgressCallback,
    bilingual,
)

if TYPE_CHECKING:
    from vocalborn.config import Settings

REF_CACHE_SIZE = 64
NOT_ASSESSABLE = bilingual("無法評估", "not assessable")


@dataclass(frozen=True)
class Measured:
    """What the analysis keeps of a reference recording (small: it is cached)."""

    timing: dict[str, Any]
    nuclei: int
    pitch: dict[str, Any]
    contour: dict[str, Any]
    english: EnglishResult | None = None
    mandarin: mandarin.MandarinProfile | None = None
    heard_share: float | None = None  # unprompted listener's share of the sentence


def model_version(listener: str | None = "whisper-base") -> str:
    heard = f"; {listener} via faster-whisper {version('faster-whisper')}" if listener else ""
    return (
        f"{C.ANALYSER_VERSION} (pocketsphinx {version('pocketsphinx')} en-us; "
        f"praat {parselmouth.PRAAT_VERSION}; pypinyin {version('pypinyin')}{heard})"
    )


class OfflineAnalyser:
    name = "offline"

    def __init__(self, settings: Settings | None = None, listen: bool = True) -> None:
        """`listen=False` runs without the second listener (benchmarks compare the two)."""
        self.max_seconds = settings.MAX_AUDIO_DURATION_SECONDS if settings else 300.0
        self.max_bytes = settings.MAX_AUDIO_FILE_SIZE if settings else 52_428_800
        self.decode_timeout = (
            settings.AUDIO_DECODE_TIMEOUT_SECONDS if settings else DECODE_TIMEOUT_SECONDS
        )
        self.data_dir = settings.DATA_DIR if settings else Path(".vocalborn")
        self.listener_dir = settings.LISTENER_MODEL_DIR if settings else None
        self._english: EnglishScorer | None = None
        self._listener: Listener | None = None
        self._listener_reason: Localized | None = (
            None if listen else bilingual("沒有使用聽辨模型", "the listener is switched off")
        )
        self._init_lock = threading.Lock()
        self._ref_cache: OrderedDict[tuple, Measured] = OrderedDict()
        self._cache_lock = threading.Lock()

    def warm_up(self) -> None:
        self._scorer()
        self._ear()

    def _ear(self) -> Listener | None:
        """The listener, loaded once; None (with `_listener_reason`) when it cannot load."""
        with self._init_lock:
            if self._listener is None and self._listener_reason is None:
                try:
                    self._listener = Listener(ensure_model(self.listener_dir, self.data_dir))
                except (ModelUnavailable, OSError, RuntimeError, ValueError) as exc:
                    self._listener_reason = bilingual(
                        f"聽辨模型無法載入（{exc}），所以無法判斷說了哪些字",
                        f"the listener model could not be loaded ({exc}); "
                        "what was said is not assessed",
                    )
            return self._listener

    def _listen(self, audio: Audio, text: str, language: str) -> hearing.Listened:
        ear = self._ear()
        if ear is None:
            return hearing.unavailable(self._listener_reason or NOT_ASSESSABLE)
        return hearing.listen(ear, audio.samples, text, language)

    def _scorer(self) -> EnglishScorer:
        with self._init_lock:
            if self._english is None:
                self._english = EnglishScorer()
            return self._english

    def analyse(self, request: AnalysisRequest, progress: ProgressCallback) -> AnalysisReport:
        if not request.text or not request.text.strip():
            raise ParameterError("the sentence text is empty")
        if request.language not in ("en", "zh-TW"):
            raise ParameterError(f"unsupported language {request.language!r}; use en or zh-TW")
        try:
            return self._analyse(request, progress)
        except TaskError:
            raise
        except Exception as exc:  # a bug or a library failure: retryable, never a crash
            raise AIServiceError(f"the analyser failed internally: {exc!r}") from exc

    def _measure(self, path: Path, text: str, language: str, pcm_needed: bool) -> Measured:
        audio = decode_audio(path, self.max_seconds, self.max_bytes, self.decode_timeout)
        front = praat.analyse_frontend(audio)
        timing = measure_timing(front)
        en = zh = None
        share = None
        if language == "en" and pcm_needed:
            en = parts.run_english(self._scorer(), text, audio.pcm16())
        elif language == "zh-TW":
            zh = mandarin.profile(text, front, timing)
            share = self._listen(audio, text, language).heard_share
        summary = timing_summary(timing, parts.syllable_count(en, zh))
        return Measured(
            summary,
            len(timing.nuclei),
            praat.pitch_summary(front.f0_hz),
            praat.contour(front.f0_times, front.f0_hz),
            en,
            zh,
            share,
        )

    def _reference(self, request: AnalysisRequest) -> tuple[Measured | None, Localized | None]:
        path = request.reference_audio_path
        if path is None:
            return None, bilingual(
                "沒有參考錄音，以一般常模範圍評分",
                "no reference recording; scored against norm bands",
            )
        try:
            # By content, so the same reference uploaded again (AI service) is a cache hit too.
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return None, bilingual(
                "參考錄音檔不見了，以一般常模範圍評分",
                "the reference recording is missing; scored against norm bands",
            )
        key = (digest, request.text, request.language)
        with self._cache_lock:
            if key in self._ref_cache:
                self._ref_cache.move_to_end(key)
                return self._ref_cache[key], None
        try:
            ref = self._measure(Path(path), request.text, request.language, True)
        except TaskError as exc:
            # The therapist's file is broken: the learner's analysis still goes ahead.
            return None, bilingual(
                f"參考錄音無法使用（{exc.message}），以一般常模範圍評分",
                f"the reference recording could not be used ({exc.message}); "
                "scored against norm bands",
            )
        with self._cache_lock:
            self._ref_cache[key] = ref
            while len(self._ref_cache) > REF_CACHE_SIZE:
                self._ref_cache.popitem(last=False)
        return ref, None

    def _analyse(self, request: AnalysisRequest, progress: ProgressCallback) -> AnalysisReport:
        lang = request.language
        progress("decoding audio", 0.05)
        audio = decode_audio(
            request.audio_path, self.max_seconds, self.max_bytes, self.decode_timeout
        )
        progress("measuring pitch and voice", 0.15)
        front = praat.analyse_frontend(audio)
        clipped = clipping_ratio(audio.samples)
        quality, quality_reasons = praat.voice_quality(front, clipped)
        progress("measuring timing and pauses", 0.3)
        timing = measure_timing(front)
        progress("analysing the reference recording", 0.4)
        ref, ref_note = self._reference(request)
        progress("listening for what was said", 0.45)
        listened = self._listen(audio, request.text, lang)
        progress("scoring pronunciation", 0.6)
        if lang == "en":
            result = parts.run_english(self._scorer(), request.text, audio.pcm16())
            tsum = timing_summary(timing, parts.syllable_count(result, None))
            part = parts.english_part(request.text, result, ref.english if ref else None, listened)
        else:
            profile = mandarin.profile(request.text, front, timing)
            tsum = timing_summary(timing, parts.syllable_count(None, profile))
            part = parts.mandarin_part(
                request.text, profile, ref.mandarin if ref else None, len(timing.nuclei), listened
            )
        heard, heard_reason = hearing.intelligibility(
            listened, ref.heard_share if ref else None, lang, ref is not None
        )
        progress("scoring fluency and rhythm", 0.8)
        flu = scoring.fluency(tsum, ref.timing if ref else None, lang)
        targets, rhythm_basis = parts.rhythm_targets(part, lang)
        rhythm, rhythm_reason = (
            rhythm_score(part.rhythm, targets)
            if part.rhythm
            else (
                None,
                part.reason or bilingual("無法測量任何音節的長度", "no syllables could be timed"),
            )
        )
        scores = {
            "pronunciation_accuracy": part.score,
            "fluency_score": flu["score"],
            "rhythm_score": rhythm,
        }
        not_assessed = {k: v for k, v in part.extra_not_assessed.items()}
        if part.score is None:
            not_assessed["pronunciation_accuracy"] = part.reason or NOT_ASSESSABLE
        if rhythm is None:
            not_assessed["rhythm_score"] = rhythm_reason or NOT_ASSESSABLE
        total = scoring.overall(scores)
        if total is None:
            not_assessed["overall_score"] = bilingual(
                "沒有任何一項分數可以評估", "no sub-score could be assessed"
            )
        if ref_note:
            not_assessed["reference"] = ref_note
        if heard_reason:
            not_assessed["intelligibility"] = heard_reason
        progress("writing feedback", 0.92)
        area_scores = {
            "pronunciation" if lang == "en" else "tones": part.score,
            "fluency": flu["score"],
            "rhythm": rhythm,
            "content": part.facts.get("content_match"),
            "intelligibility": heard["score"] if heard else None,
        }
        facts = dict(
            part.facts,
            timing=tsum,
            ref_timing=ref.timing if ref else None,
            fluency=flu,
            pitch=praat.pitch_summary(front.f0_hz),
            clipping=clipped > C.CLIPPING_RATIO_LIMIT,
            area_scores=area_scores,
        )
        suggestions, areas = build_feedback(facts)
        pitch = dict(
            facts["pitch"],
            contour=praat.contour(front.f0_times, front.f0_hz),
            reference=dict(ref.pitch, contour=ref.contour) if ref else None,
        )
        detailed = {
            "phoneme_analysis": part.phonemes,
            "timing_analysis": {
                "learner": tsum,
                "reference": ref.timing if ref else None,
                "fluency": flu,
                "rhythm": {"metrics": part.rhythm, "targets": targets, "basis": rhythm_basis},
            },
            "pitch_analysis": pitch,
            "voice_quality": dict(quality, not_assessed=quality_reasons),
            "audio": {"duration": round(audio.duration, 3), "format": audio.source_format},
            "reference_used": ref is not None,
            "intelligibility": heard,
            "listener": {
                "model": self._listener.model_dir.name if self._listener else None,
                "heard": listened.free_text,
                "heard_prompted": listened.prompted_text,
            },
        }
        if lang == "zh-TW":
            detailed["content_match"] = part.facts.get("content_match")
            detailed["content_basis"] = part.facts.get("content_basis")
        sentence = {
            "text": request.text,
            "language": lang,
            "items": part.items,
            "completeness": part.completeness,
        }
        progress("done", 1.0)
        return AnalysisReport(
            overall_score=total,
            pronunciation_accuracy=part.score,
            fluency_score=flu["score"],
            rhythm_score=rhythm,
            detailed_analysis=detailed,
            sentence_analyses=[sentence],
            suggestions=suggestions,
            improvement_areas=areas,
            analysis_model_version=model_version(
                self._listener.model_dir.name if self._listener else None
            ),
            not_assessed=not_assessed,
        )
