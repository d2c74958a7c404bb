"""Zhuyin and tone-mark pinyin for learners (`pinyin.spell` and friends): never a tone number,
the neutral dot written first as in Taiwan, the tone to say after sandhi apart from the tone as
written, and old stored results filled in on read without touching anything else."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from vocalborn.analyzer.pinyin import (
    analyses_with_spellings,
    expected_syllables,
    readings,
    spell,
    spelled_fields,
    with_spellings,
)
from vocalborn.practice.schemas import SentenceOut

BOPOMOFO = re.compile(r"^˙?[\u3105-\u312f\u31a0-\u31bf]+[ˊˇˋ]?$")


@pytest.mark.parametrize(
    ("syllable", "tone", "zhuyin", "marks"),
    [
        ("hao", 3, "ㄏㄠˇ", "hǎo"),
        ("ni", 2, "ㄋㄧˊ", "ní"),
        ("ma", 1, "ㄇㄚ", "mā"),
        ("ma", 5, "˙ㄇㄚ", "ma"),
        ("lv", 4, "ㄌㄩˋ", "lǜ"),
        ("lü", 3, "ㄌㄩˇ", "lǚ"),
        ("xue", 2, "ㄒㄩㄝˊ", "xué"),
        ("zhi", 1, "ㄓ", "zhī"),
    ],
)
def test_spell(syllable: str, tone: int, zhuyin: str, marks: str) -> None:
    assert spell(syllable, tone) == (zhuyin, marks)


@pytest.mark.parametrize(("syllable", "tone"), [("䶾", 5), ("", 1), ("hao", 0), ("hao", 6)])
def test_what_is_not_a_syllable_is_not_spelled(syllable: str, tone: int) -> None:
    assert spell(syllable, tone) is None


def test_readings_of_a_sentence_have_no_tone_numbers() -> None:
    text = "請問洗手間在哪裡？你好嗎，我們一起去綠色的公園玩吧。"
    out = readings(text)
    assert [c for c, _, _ in out] == [s.char for s in expected_syllables(text)]
    for char, zhuyin, marks in out:
        assert BOPOMOFO.match(zhuyin), (char, zhuyin)
        assert marks and not re.search(r"\d", marks), (char, marks)
    as_read = {c: (z, m) for c, z, m in out}
    assert as_read["嗎"] == ("˙ㄇㄚ", "ma")
    assert as_read["綠"] == ("ㄌㄩˋ", "lǜ")
    assert as_read["洗"] == ("ㄒㄧˇ", "xǐ")  # as written: the dictionary's third tone


def test_the_tone_to_say_and_the_tone_heard_are_spelled_apart_from_the_written_one() -> None:
    ni, _ = expected_syllables("你好")
    fields = spelled_fields(ni, tone_heard=4)
    assert (fields["zhuyin"], fields["pinyin_marks"]) == ("ㄋㄧˇ", "nǐ")
    assert (fields["expected_zhuyin"], fields["expected_pinyin_marks"]) == ("ㄋㄧˊ", "ní")
    assert (fields["heard_zhuyin"], fields["heard_pinyin_marks"]) == ("ㄋㄧˋ", "nì")
    assert spelled_fields(ni, None)["heard_zhuyin"] is None


def test_stored_items_are_filled_in_once_and_otherwise_left_alone() -> None:
    items = [
        {"label": "我", "tone_heard": 3, "status": "ok"},
        {"label": "很", "zhuyin": "kept", "status": "ok"},  # already spelled
        {"label": "X", "status": "ok"},  # does not match the text's character
    ]
    out = with_spellings("我很好", items)
    assert out[0]["zhuyin"] == "ㄨㄛˇ" and out[0]["heard_pinyin_marks"] == "wǒ"
    assert out[0]["status"] == "ok"
    assert out[1] == items[1] and out[2] == items[2]
    assert "zhuyin" not in items[0]  # the stored item is not modified
    assert with_spellings("我很好", out) == out
    # the item's own expected tone is what it asks for (here: no sandhi on 很)
    (hen,) = with_spellings("很好", [{"label": "很", "tone_expected": 3}])[:1]
    assert hen["zhuyin"] == hen["expected_zhuyin"] == "ㄏㄣˇ"
    assert with_spellings("很好", [{"label": "很"}])[0]["expected_zhuyin"] == "ㄏㄣˊ"


def test_only_mandarin_sentences_of_a_report_are_spelled() -> None:
    english = {"text": "hello", "language": "en", "items": [{"word": "hello"}]}
    broken = {"text": "你好", "language": "zh-TW", "items": ["not a dict"]}
    mandarin = {"text": "你好", "language": "zh-TW", "items": [{"label": "你"}, {"label": "好"}]}
    out = analyses_with_spellings([english, broken, mandarin, "junk"])
    assert out is not None
    assert out[:2] == [english, broken] and out[3] == "junk"
    assert [it["expected_zhuyin"] for it in out[2]["items"]] == ["ㄋㄧˊ", "ㄏㄠˇ"]
    assert analyses_with_spellings(None) is None and analyses_with_spellings([]) == []


def test_the_sentence_api_spells_mandarin_sentences_only() -> None:
    common = {
        "sentence_id": uuid.uuid4(),
        "has_reference": False,
        "reference_audio_duration": None,
        "reference_audio_format": None,
        "created_at": datetime.now(UTC),
    }
    zh = SentenceOut(text="你好！", language="zh-TW", **common).model_dump()
    assert zh["readings"] == [
        {"char": "你", "zhuyin": "ㄋㄧˇ", "pinyin_marks": "nǐ"},
        {"char": "好", "zhuyin": "ㄏㄠˇ", "pinyin_marks": "hǎo"},
    ]
    assert SentenceOut(text="Hello", language="en", **common).model_dump()["readings"] is None
