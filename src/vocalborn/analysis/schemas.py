"""Request and response bodies of the analysis task API (DESIGN §5; field names from the plan)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vocalborn.analysis.models import TaskStatus
from vocalborn.practice.models import RecordStatus


class TestInstructions(BaseModel):
    """For the test analyser only; refused when ENVIRONMENT=production."""

    model_config = ConfigDict(extra="forbid")
    __test__ = False  # not a pytest class

    sleep: float = Field(default=0.0, ge=0, le=120)
    steps: int = Field(default=3, ge=1, le=50)
    # error class per attempt: attempt n raises fail[n] (network, ai_service, file, timeout,
    # validation, crash = unexpected exception); attempts are counted in `record_to`
    fail: list[str] = Field(default_factory=list, max_length=10)
    record_to: str | None = Field(default=None, max_length=500)


class AnalysisParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    analysis_type: Literal["full"] = "full"
    include_suggestions: bool = True
    model_version: str | None = Field(default=None, max_length=50)
    test: TestInstructions | None = None


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    practice_record_id: uuid.UUID
    parameters: AnalysisParameters = Field(default_factory=AnalysisParameters)
    force: bool = False


class SubmitOut(BaseModel):
    task_id: uuid.UUID
    celery_task_id: str
    practice_record_id: uuid.UUID
    status: TaskStatus
    queue_position: int | None
    estimated_completion_time: datetime | None


class StatusOut(BaseModel):
    task_id: uuid.UUID
    celery_task_id: str
    practice_record_id: uuid.UUID
    status: TaskStatus
    progress: int
    current_step: str | None
    step_index: int | None = None
    total_steps: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    estimated_remaining_time: str | None = Field(description="ISO-8601 duration, e.g. PT45S")
    estimated_completion_time: datetime | None
    worker_name: str | None
    queue_position: int | None
    retry_count: int
    max_retries: int
    next_retry_at: datetime | None
    error_type: str | None
    error_message: str | None


class ResultOut(BaseModel):
    task_id: uuid.UUID
    result_id: uuid.UUID
    practice_record_id: uuid.UUID
    overall_score: float | None
    pronunciation_accuracy: float | None
    fluency_score: float | None
    rhythm_score: float | None
    detailed_analysis: dict[str, Any]
    sentence_analyses: list[Any] | None
    suggestions: list[Any] | None
    improvement_areas: list[Any] | None
    # why each null score is null, in both languages: {"rhythm_score": {"zh-TW": …, "en": …}}
    not_assessed: dict[str, dict[str, str]] | None
    analysis_model_version: str | None
    processing_time_seconds: float | None
    created_at: datetime
    completed_at: datetime | None


class RecordTaskOut(BaseModel):
    practice_record_id: uuid.UUID
    sentence_id: uuid.UUID
    record_status: RecordStatus
    task: StatusOut | None


class SessionStatusOut(BaseModel):
    practice_session_id: uuid.UUID
    total_records: int
    counts: dict[str, int] = Field(description="latest task of each record, by status")
    completed: bool = Field(description="every recorded sentence has a finished analysis")
    records: list[RecordTaskOut]


class CancelOut(BaseModel):
    task_id: uuid.UUID
    status: TaskStatus
    previous_status: TaskStatus
