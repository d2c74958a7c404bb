"""What the listener heard against the sentence, and the one status rule (pure functions)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vocalborn.analyzer import verdict
from vocalborn.analyzer.compare import (
    align,
    compare_english,
    compare_mandarin,
    english_words,
    traditional,
)
from vocalborn.analyzer.listener import compression_ratio, repeated_tail_cut


def test_english_normalisation_spells_out_numbers_abbreviations_and_hyphens():
    assert english_words("Mr. Dashwood's 2 ill-disposed sons, OK?") == [
        "mister",
        "dashwood's",
        "two",
        "ill",
        "disposed",
        "sons",
        "okay",
    ]
    assert english_words("In 1984 there were 21 of them") == [
        "in",
        "one",
        "thousand",
        "nine",
        "hundred",
        "eighty",
        "four",
        "there",
        "were",
        "twenty",
        "one",
        "of",
        "them",
    ]


def test_english_comparison_names_substituted_missing_and_inserted_words():
    expected = ["he", "was", "not", "an", "ill", "disposed", "young", "man"]
    got = compare_english(expected, " He was not a well-disposed young, young man.")
    said = [(v.heard, v.said) for v in got.verdicts]
    assert said[3] == ("a", "substituted")
    assert said[4] == ("well", "substituted")
    assert said[5] == ("disposed", "same")
    assert [word for _, word in got.inserted] == ["young"]
    assert got.inserted[0][0] in (6, 7)  # either "young" of the two is the extra one
    missing = compare_english(expected, "he was an ill disposed man")
    assert [v.said for v in missing.verdicts].count("missing") == 2
    assert missing.verdicts[2].said == "missing" and missing.verdicts[6].said == "missing"


def test_expected_abbreviation_and_number_match_spoken_forms():
    got = compare_english(["mr", "brown", "has", "2", "dogs"], "Mister Brown has two dogs")
    assert all(v.said == "same" for v in got.verdicts)
    assert got.verdicts[3].heard == "two"


def test_mandarin_compares_by_toneless_pinyin_and_shows_traditional():
    expected = list("我們今天去公園玩")
    same = compare_mandarin(expected, "我们今天去公园玩。")
    assert same.recognised == 1.0
    assert [v.heard for v in same.verdicts] == expected
    other = compare_mandarin(expected, "我们今天去学校玩")
    assert [(v.heard, v.said) for v in other.verdicts[5:7]] == [
        ("學", "substituted"),
        ("校", "substituted"),
    ]
    half = compare_mandarin(expected, "我們今天")
    assert [v.said for v in half.verdicts] == ["same"] * 4 + ["missing"] * 4
    assert traditional("洗手间在哪里") == "洗手間在哪裡"


def test_alignment_prefers_substitution_and_keeps_order():
    assert align(list("abc"), list("axc")) == [(0, 0), (1, 1), (2, 2)]
    assert align(list("abc"), list("ac")) == [(0, 0), (1, None), (2, 1)]
    assert align(list("ac"), list("abc")) == [(0, 0), (None, 1), (1, 2)]


@given(st.lists(st.sampled_from("abcd"), max_size=8), st.lists(st.sampled_from("abce"), max_size=8))
def test_alignment_covers_both_sequences_in_order(expected, heard):
    pairs = align(expected, heard)
    assert [e for e, _ in pairs if e is not None] == list(range(len(expected)))
    assert [h for _, h in pairs if h is not None] == list(range(len(heard)))


def test_repeated_tail_is_cut_but_short_doubling_stays():
    loop = [5, 6, 7, 8, 5, 6, 7, 8, 5, 6, 7]
    assert repeated_tail_cut(loop) == [5, 6, 7, 8]
    assert repeated_tail_cut([1, 2, 3, 9, 9]) == [1, 2, 3, 9, 9]  # 謝謝: one doubling is speech
    assert repeated_tail_cut([1, 2, 9, 9, 9, 9]) == [1, 2, 9]
    assert repeated_tail_cut([1, 2, 3, 4]) == [1, 2, 3, 4]
    # the sentence said again, cut off by the token cap
    again = [1, 2, 3, 4, 5, 6, 1, 2, 3, 4]
    assert repeated_tail_cut(again) == [1, 2, 3, 4, 5, 6]
    assert repeated_tail_cut([7, 1, 2, 3, 4, 5, 1, 2]) == [7, 1, 2, 3, 4, 5, 1, 2]
    assert compression_ratio("請問這所在哪裡" * 6) > 2.4 > compression_ratio("請問洗手間在哪裡")


STATUSES = ["ok", "mispronounced", "missing", "not_assessed"]
SAID = [None, "same", "substituted", "missing"]


@given(st.sampled_from(STATUSES), st.sampled_from(SAID))
def test_a_word_the_listener_did_not_hear_is_never_ok(gop, said):
    status = verdict.word_status(gop, said)
    if said in ("substituted", "missing"):
        assert status == said
    assert verdict.consistent({"status": status, "said": said})


@given(
    st.sampled_from([1, 2, 3, 4, 5]),
    st.sets(st.sampled_from([1, 2, 3, 4]), min_size=1),
    st.one_of(st.none(), st.sampled_from([1, 2, 3, 4])),
    st.one_of(st.none(), st.floats(0, 100)),
    st.sampled_from(SAID),
)
def test_a_syllable_with_an_unaccepted_tone_is_never_ok(expected, accepted, heard, score, said):
    tone = verdict.tone_status(expected, accepted, heard, score)
    status = verdict.syllable_status(tone, said)
    item = {
        "status": status,
        "said": said,
        "tone_expected": expected,
        "tones_accepted": sorted(accepted),
        "tone_heard": heard,
    }
    assert verdict.consistent(item)
    if expected != 5 and heard is not None and score is not None and heard not in accepted:
        assert status in ("wrong_tone", "unclear", "substituted", "missing")


def test_scores_follow_the_flags():
    words = [{"status": "ok", "score": 95.0} for _ in range(14)]
    clean = verdict.sentence_score(words)
    words[3] = {"status": "substituted", "score": 90.0}
    words[9] = {"status": "missing", "score": None}
    flagged = verdict.sentence_score(words)
    assert clean is not None and flagged is not None
    assert flagged < clean - 10  # 2 of 14 words wrong costs clearly more than 2 points
    assert verdict.sentence_score(words, inserted=1) < flagged
    assert verdict.sentence_score([{"status": "not_assessed", "score": None}]) is None
