"""Stored results shaped like the offline analyser's reports, written straight into the database
so the result view's browser test needs neither a worker nor the analyser.

The Mandarin report is in the shape stored before items carried Zhuyin/pinyin (`pinyin` is the
tone-number label), so the test also shows that the result endpoint fills the spellings in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)

MANDARIN = "我今天很好"
ENGLISH = "The warm sun is here"
# 23:30 UTC is 07:30 the next day in Taipei (and still the 5th in the browser's New York).
COMPLETED = datetime(2025, 1, 5, 23, 30, tzinfo=UTC)
MODEL = "vocalborn-offline-1.0 (pocketsphinx 5.0.4 en-us; praat 6.4; whisper-base)"


def _syllable(i: int, char: str, tone: int, heard_tone: int | None, **kw: Any) -> dict[str, Any]:
    item = {
        "index": i,
        "label": char,
        "pinyin": f"x{tone}",  # the old tone-number label: never shown to a learner
        "start": 0.3 * i,
        "end": 0.3 * i + 0.25,
        "score": 90.0,
        "tone_expected": tone,
        "tones_accepted": [tone],
        "tone_heard": heard_tone,
        "tone_status": "ok",
        "reference_similarity": 71.5,
        "heard": char,
        "said": "same",
        "status": "ok",
    }
    return {**item, **kw}


MANDARIN_ITEMS = [
    _syllable(1, "我", 3, 3),
    _syllable(2, "今", 1, 1),
    _syllable(3, "天", 1, 1, status="substituted", said="substituted", heard="田", score=0.0),
    _syllable(4, "很", 2, 2, tones_accepted=[2]),
    _syllable(5, "好", 3, 2, status="wrong_tone", tone_status="wrong_tone", score=31.0),
]


def _word(word: str, **kw: Any) -> dict[str, Any]:
    item = {"word": word, "start": 0.1, "end": 0.4, "score": 88.0, "gop_status": "ok"}
    return {**item, "heard": word.lower(), "said": "same", "status": "ok", **kw}


ENGLISH_ITEMS = [
    _word("the"),
    _word("warm", status="substituted", said="substituted", heard="cold"),
    _word("sun"),
    {"word": None, "heard": "really", "score": None, "status": "extra", "start": None, "end": None},
    _word("is", status="missing", said="missing", heard=None, score=None, gop_status="missing"),
    _word("here", status="mispronounced", gop_status="mispronounced", score=48.0),
]


def report(text: str, language: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "overall_score": 68.4,
        "pronunciation_accuracy": 61.0,
        "fluency_score": 80.0,
        "rhythm_score": None,
        "detailed_analysis": {
            "phoneme_analysis": [],
            "timing_analysis": {
                "learner": {
                    "speech_rate": 3.41,
                    "articulation_rate": 4.27,
                    "pause_count": 1,
                    "pause_total": 0.42,
                    "speech_duration": 1.9,
                }
            },
            "pitch_analysis": {
                "f0_median_hz": 212.0,
                "f0_range_st": 7.1,
                "f0_sd_st": 1.9,
                "monotone": True,
                "contour": {"times": [0.1, 0.2, 0.3, 0.4], "f0_hz": [200.0, 220.0, None, 210.0]},
                "reference": None,
            },
            "voice_quality": {"jitter_local": 0.0123, "hnr_db": 14.2},
            "listener": {"model": "whisper-base", "heard": text, "heard_prompted": text},
        },
        "sentence_analyses": [
            {"text": text, "language": language, "items": items, "completeness": 1.0}
        ],
        "suggestions": [
            {
                "zh-TW": "聲音有點平，試著讓聲音有高有低",
                "en": "Your voice stays flat; let it rise and fall more",
                "area": "intonation",
                "detail": {"zh-TW": "音高變化（標準差）1.9 半音", "en": "pitch SD 1.9 semitones"},
            }
        ],
        "improvement_areas": [{"area": "rhythm", "zh-TW": "節奏", "en": "Rhythm", "score": 55.0}],
        "not_assessed": {
            "rhythm_score": {
                "zh-TW": "無法測量任何音節的長度",
                "en": "no syllables could be timed",
            },
            "segmental_accuracy": {
                "zh-TW": "沒有可離線使用的華語聲學模型",
                "en": "no offline Mandarin acoustic model",
            },
        },
        "analysis_model_version": MODEL,
        "processing_time_seconds": 2.4,
    }


def seed(db: Session, email: str, password: str) -> dict[str, str]:
    """A learner with one analysed attempt per language: {"learner_id", "zh", "en"} where the
    language keys map to "task_id sentence_id"."""
    learner = create_user(db, email=email, password=password, name="小明", role=Role.CLIENT)
    db.flush()
    session = PracticeSession(user_id=learner.user_id)
    db.add(session)
    db.flush()
    out = {"learner_id": str(learner.user_id)}
    for key, text, language, items in (
        ("zh", MANDARIN, Language.ZH_TW, MANDARIN_ITEMS),
        ("en", ENGLISH, Language.EN, ENGLISH_ITEMS),
    ):
        sentence = Sentence(text=text, language=language)
        db.add(sentence)
        db.flush()
        record = PracticeRecord(
            practice_session_id=session.practice_session_id,
            sentence_id=sentence.sentence_id,
            audio_path=f"{uuid.uuid4().hex}.wav",
            audio_format="wav",
            record_status=RecordStatus.AI_ANALYZED,
        )
        db.add(record)
        db.flush()
        task_id = uuid.uuid4()
        db.add(
            AnalysisTask(
                task_id=task_id,
                celery_task_id=str(task_id),
                practice_record_id=record.practice_record_id,
                user_id=learner.user_id,
                status=TaskStatus.SUCCESS,
                progress=100,
                completed_at=COMPLETED,
            )
        )
        db.flush()
        record.ai_task_id = task_id
        db.add(AnalysisResult(task_id=task_id, **report(text, language.value, items)))
        db.flush()
        out[key] = f"{task_id} {sentence.sentence_id}"
    return out
