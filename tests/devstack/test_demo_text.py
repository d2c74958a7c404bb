"""What `vocalborn demo` prints under each sample's scores (pure)."""

from __future__ import annotations

from vocalborn.devstack.demo_text import MAX_FLAGGED, detail_lines, flagged_lines


def _result(items, **detail):
    return {
        "sentence_analyses": [{"items": items}],
        "detailed_analysis": detail,
        "not_assessed": {"segmental_accuracy": {"zh-TW": "不評分", "en": "not scored"}},
    }


def test_flagged_items_name_what_was_expected_and_heard():
    items = [
        {"word": "cold", "heard": "cold", "status": "ok"},
        {"word": "warm", "heard": "cold", "status": "substituted"},
        {"word": "man", "heard": None, "status": "missing"},
        {"word": None, "heard": "really", "status": "extra"},
        {"label": "間", "pinyin": "jian1", "heard": "間", "tone_heard": 4, "status": "wrong_tone"},
    ]
    lines = flagged_lines(_result(items))
    assert lines[0].startswith("  ✗ warm → heard cold") and "said as another word" in lines[0]
    assert "man → heard —" in lines[1] and "left out" in lines[1]
    assert "+really" in lines[2]
    assert "間 jian1 → heard 間, tone 4" in lines[3] and "wrong tone" in lines[3]
    assert not any("cold →" in line for line in lines)  # ok items are not listed


def test_all_heard_and_long_lists_and_reasons():
    ok = [{"word": "a", "heard": "a", "status": "ok"}]
    assert "every word was heard" in flagged_lines(_result(ok))[0]
    many = [{"word": f"w{i}", "heard": None, "status": "missing"} for i in range(12)]
    lines = flagged_lines(_result(many))
    assert len(lines) == MAX_FLAGGED + 1 and "4 more" in lines[-1]
    intel = {"score": 86.4, "basis": {"en": "share of words"}, "heard": "a b"}
    text = "\n".join(detail_lines(_result(ok, intelligibility=intel)))
    assert "intelligibility 86: share of words" in text and "“a b”" in text
    assert "not assessed, segmental accuracy: 不評分 / not scored" in text
    assert flagged_lines({"sentence_analyses": None}) == []
