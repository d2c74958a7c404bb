"""The report's shape: JSON-safe, progress reported, deterministic, reference contour included."""

from __future__ import annotations

import json
import re

import pytest

from vocalborn.analyzer.scoring import overall
from vocalborn.analyzer.types import AnalysisReport, AnalysisRequest

from .conftest import EN, ZH, ZH_PINYIN, needs_espeak, needs_sox

pytestmark = [needs_espeak, needs_sox]


@pytest.fixture(scope="session")
def pair(espeak):
    return espeak("rep_en", EN), espeak("rep_en_ref", EN, voice="en-us+m3", speed=150)


def _strict_json(report: AnalysisReport) -> dict:
    text = json.dumps(report.to_dict(), allow_nan=False, ensure_ascii=False)
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_report_is_strict_json_and_complete(espeak, analyser, language):
    if language == "en":
        learner, ref, text = espeak("rep_en", EN), espeak("rep_en_ref", EN, speed=130), EN
    else:
        voice = "cmn-latn-pinyin"
        learner = espeak("rep_zh", ZH_PINYIN, voice=voice)
        ref, text = espeak("rep_zh_ref", ZH_PINYIN, voice=voice, speed=130), ZH
    calls: list[tuple[str, float]] = []
    report = analyser.analyse(
        AnalysisRequest(learner, text, language, ref), lambda s, f: calls.append((s, f))
    )
    data = _strict_json(report)
    assert AnalysisReport.from_dict(data).overall_score == report.overall_score
    assert 5 <= len(calls) <= 12
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] > 0
    detail = data["detailed_analysis"]
    assert {"phoneme_analysis", "timing_analysis", "pitch_analysis", "voice_quality"} <= set(detail)
    pitch = detail["pitch_analysis"]
    assert 0 < len(pitch["contour"]["times"]) <= 200
    assert 0 < len(pitch["reference"]["contour"]["f0_hz"]) <= 200
    for key in ("overall_score", "pronunciation_accuracy", "fluency_score", "rhythm_score"):
        value = data[key]
        assert (value is None and key in data["not_assessed"]) or 0 <= value <= 100
    for reason in data["not_assessed"].values():  # read in the page's language
        assert set(reason) == {"zh-TW", "en"} and all(reason.values())
    for s in data["suggestions"]:  # plain words for the learner; measurements in `detail`
        assert {"zh-TW", "en", "area"} <= set(s) <= {"zh-TW", "en", "area", "detail"}
        assert not re.search(r"\d\.\d|syllables/s|semitone|半音", s["zh-TW"] + s["en"]), s
        if "detail" in s:
            assert set(s["detail"]) == {"zh-TW", "en"} and all(s["detail"].values())
    for area in data["improvement_areas"]:
        assert set(area) == {"area", "zh-TW", "en", "score"}
    sentence = data["sentence_analyses"][0]
    assert sentence["text"] == text and sentence["language"] == language
    for it in sentence["items"] if language == "zh-TW" else []:  # spelled for learners
        for key in ("zhuyin", "pinyin_marks", "expected_zhuyin", "expected_pinyin_marks"):
            assert it[key] and not re.search(r"\d", it[key]), (key, it)
    assert data["analysis_model_version"].startswith("vocalborn-offline-1.0 (pocketsphinx 5")


def test_same_input_gives_same_report_and_reference_is_cached(pair, analyser):
    learner, ref = pair
    req = AnalysisRequest(learner, EN, "en", ref)
    first = analyser.analyse(req, lambda _s, _f: None).to_dict()
    # Another recording in between must not leak decoder state (noise estimates, CMN).
    analyser.analyse(AnalysisRequest(ref, EN, "en"), lambda _s, _f: None)
    second = analyser.analyse(req, lambda _s, _f: None).to_dict()
    assert first == second
    assert len(analyser._ref_cache) >= 1


def test_missing_reference_falls_back_to_norms_and_says_so(pair, analyser, tmp_path):
    learner, _ = pair
    req = AnalysisRequest(learner, EN, "en", tmp_path / "gone.wav")
    report = analyser.analyse(req, lambda _s, _f: None)
    assert "missing" in report.not_assessed["reference"]["en"]
    assert report.detailed_analysis["timing_analysis"]["fluency"]["basis"] == "norms"


def test_overall_weights_the_weakest_sub_score_most():
    even = overall({"pronunciation_accuracy": 80, "fluency_score": 80, "rhythm_score": 80})
    assert even == 80
    weak_rhythm = overall({"pronunciation_accuracy": 90, "fluency_score": 90, "rhythm_score": 30})
    plain_mean = (0.5 * 90 + 0.3 * 90 + 0.2 * 30) / 1.0
    assert weak_rhythm is not None and weak_rhythm < plain_mean
    assert (
        overall({"pronunciation_accuracy": None, "fluency_score": 70, "rhythm_score": None}) == 70
    )
    assert overall({"pronunciation_accuracy": None}) is None


def test_a_plain_string_reason_from_a_remote_service_is_read_as_english():
    data = {
        "overall_score": None,
        "pronunciation_accuracy": None,
        "fluency_score": None,
        "rhythm_score": None,
        "detailed_analysis": {},
        "sentence_analyses": [],
        "suggestions": [],
        "improvement_areas": [],
        "analysis_model_version": "older-remote-1",
        "not_assessed": {
            "overall_score": "no speech",
            "rhythm_score": {"zh-TW": "太短", "en": "short"},
        },
    }
    report = AnalysisReport.from_dict(data)
    assert report.not_assessed == {
        "overall_score": {"en": "no speech"},
        "rhythm_score": {"zh-TW": "太短", "en": "short"},
    }
