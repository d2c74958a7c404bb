"""The analyser interface: one `analyse(request, progress) -> AnalysisReport` entry point.

The Celery worker depends only on this module; the offline analyser, the remote HTTP client and
test analysers all implement `Analyser`. Failures are raised as the classes of
`vocalborn.analyzer.errors` (AudioFileError for bad audio, AIServiceError for internal failures,
NetworkError / AnalysisTimeout from the remote client).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Language = Literal["zh-TW", "en"]

# progress(step_label, fraction) with fraction in [0, 1] over the analysis stage; the worker
# maps it onto 40..90 % of the task's progress and checks the cancel flag on every call.
ProgressCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class AnalysisRequest:
    audio_path: Path
    text: str
    language: Language
    reference_audio_path: Path | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


# A text for people in both languages of the platform: {"zh-TW": ..., "en": ...}, the shape
# of suggestions; `not_assessed` reasons use it so a learner reads them in the page's language.
Localized = dict[str, str]


def bilingual(zh: str, en: str) -> Localized:
    return {"zh-TW": zh, "en": en}


def as_localized(reason: str | Mapping[str, str]) -> Localized:
    """A reason as sent by a remote service: a plain string is taken as English."""
    return {"en": reason} if isinstance(reason, str) else dict(reason)


@dataclass
class AnalysisReport:
    """Scores are 0..100 or None when not assessable; `not_assessed` says why for each None."""

    overall_score: float | None
    pronunciation_accuracy: float | None
    fluency_score: float | None
    rhythm_score: float | None
    # keys: phoneme_analysis, timing_analysis, pitch_analysis, voice_quality (DESIGN §3)
    detailed_analysis: dict[str, Any]
    sentence_analyses: list[dict[str, Any]]
    # each item: {"zh-TW": "...", "en": "..."} (plus optional "area"/"priority")
    suggestions: list[dict[str, Any]]
    improvement_areas: list[dict[str, Any]]
    analysis_model_version: str
    not_assessed: dict[str, Localized] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisReport:
        names = cls.__dataclass_fields__.keys()
        missing = [n for n in names if n not in data and n != "not_assessed"]
        if missing:
            raise ValueError(f"analysis report is missing fields: {missing}")
        fields = {n: data[n] for n in names if n in data}
        if isinstance(fields.get("not_assessed"), Mapping):
            fields["not_assessed"] = {k: as_localized(v) for k, v in fields["not_assessed"].items()}
        return cls(**fields)


class Analyser(Protocol):
    name: str

    def analyse(self, request: AnalysisRequest, progress: ProgressCallback) -> AnalysisReport: ...

    def warm_up(self) -> None:
        """Load models once per worker process (called from `worker_process_init`)."""
        ...
