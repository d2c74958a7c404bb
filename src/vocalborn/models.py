"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from vocalborn.accounts.models import LinkCode, Role, TherapistClient, User
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analytics.models import ErrorAnalytic
from vocalborn.db import Base
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)
from vocalborn.schedules.models import JobRun, PeriodicTask

__all__ = [
    "AnalysisResult",
    "AnalysisTask",
    "Base",
    "ErrorAnalytic",
    "JobRun",
    "Language",
    "LinkCode",
    "PeriodicTask",
    "PracticeRecord",
    "PracticeSession",
    "RecordStatus",
    "Role",
    "Sentence",
    "TaskStatus",
    "TherapistClient",
    "User",
]
