"""Test analysers loaded by real workers through `ANALYZER=tests.support.analysers:...`.

`SleepyAnalyser` really sleeps, reports sub-steps through the progress callback and raises the
error classes a test asks for, per attempt. Instructions travel in the task parameters under
`test` (refused in production): `sleep` seconds in total over `steps` sub-steps, `fail` = error
class per attempt, `record_to` = a file that gets one JSON line per attempt (which also numbers
the attempts across worker processes).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from vocalborn.analyzer.errors import (
    AIServiceError,
    AnalysisTimeout,
    AudioFileError,
    NetworkError,
    ParameterError,
    TaskError,
)
from vocalborn.analyzer.types import AnalysisReport, AnalysisRequest, ProgressCallback

ERRORS: dict[str, type[TaskError]] = {
    "network": NetworkError,
    "ai_service": AIServiceError,
    "file": AudioFileError,
    "timeout": AnalysisTimeout,
    "validation": ParameterError,
}


def read_attempts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class SleepyAnalyser:
    name = "sleepy-test-analyser"

    def __init__(self, settings: object = None) -> None:
        self.warmed = False

    def warm_up(self) -> None:
        self.warmed = True

    def analyse(self, request: AnalysisRequest, progress: ProgressCallback) -> AnalysisReport:
        test: dict[str, Any] = dict(request.parameters.get("test") or {})
        attempt = 0
        record = test.get("record_to")
        if record:
            path = Path(record)
            attempt = len(read_attempts(path))
            with path.open("a") as out:
                out.write(json.dumps({"t": time.time(), "pid": os.getpid()}) + "\n")
        fail = list(test.get("fail") or [])
        if attempt < len(fail):
            kind = fail[attempt]
            if kind == "crash":
                raise RuntimeError("test analyser crashed on purpose")
            raise ERRORS[kind](f"test analyser raised {kind} on attempt {attempt + 1}")
        steps = int(test.get("steps", 3))
        pause = float(test.get("sleep", 0.0)) / steps
        for i in range(steps):
            time.sleep(pause)
            progress(f"sub-step {i + 1}/{steps}", (i + 1) / steps)
        size = request.audio_path.stat().st_size
        return AnalysisReport(
            overall_score=80.5,
            pronunciation_accuracy=None,
            fluency_score=75.25,
            rhythm_score=70.0,
            detailed_analysis={
                "phoneme_analysis": [],
                "timing_analysis": {"audio_bytes": size},
                "pitch_analysis": {},
                "voice_quality": {},
            },
            sentence_analyses=[{"text": request.text, "language": request.language}],
            suggestions=[{"zh-TW": "放慢速度", "en": "Slow down"}],
            improvement_areas=[{"area": "rate"}],
            analysis_model_version="sleepy-test-1",
            not_assessed={
                "pronunciation_accuracy": {
                    "zh-TW": "測試分析器不評分",
                    "en": "test analyser does not assess it",
                }
            },
        )
