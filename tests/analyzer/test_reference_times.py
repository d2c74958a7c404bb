"""`parts.with_reference_times`: the reference's span of each expected unit, which the page
uses to time-align the learner's pitch curve to the reference (pure, no audio)."""

from __future__ import annotations

from vocalborn.analyzer.parts import with_reference_times


def _unit(word: str | None, status: str = "ok") -> dict:
    return {"word": word, "start": 0.1, "end": 0.2, "status": status}


def test_expected_units_get_their_reference_span_in_order_and_extras_none() -> None:
    items = [_unit("the"), _unit(None, "extra"), _unit("cat", "missing"), _unit("sat")]
    spans = [(0.5, 0.71234), (0.8, 1.0), (1.1, 1.4)]
    out = with_reference_times(items, spans)
    assert [(it["reference_start"], it["reference_end"]) for it in out] == [
        (0.5, 0.712),
        (None, None),
        (0.8, 1.0),
        (1.1, 1.4),
    ]
    assert all("reference_start" not in it for it in items)  # the input is left alone
    assert [it["word"] for it in out] == ["the", None, "cat", "sat"]


def test_no_reference_or_a_different_unit_count_pairs_nothing() -> None:
    items = [_unit("a"), _unit("b")]
    for spans in (None, [], [(0.0, 0.3)], [(0.0, 0.1), (0.1, 0.2), (0.2, 0.3)]):
        out = with_reference_times(items, spans)
        assert all(it["reference_start"] is None and it["reference_end"] is None for it in out)
    assert with_reference_times([], [(0.0, 1.0)]) == []
