"""The one status rule as a property over every report the analyser tests made.

pytest runs this file after the other analyser test files of this package (alphabetical
order), so `reports` then holds every recording they analysed: espeak-ng speech in several
voices and rates, edited speech, real LibriVox recordings, hums and noise.
"""

from __future__ import annotations

from vocalborn.analyzer import verdict

from .conftest import items


def test_no_item_of_any_report_contradicts_its_status(reports):
    checked = 0
    for report in reports.values():
        for it in items(report):
            assert verdict.consistent(it), it
            if it.get("said") in ("substituted", "missing"):
                assert it["status"] == it["said"], it
            checked += 1
    assert checked >= 100, f"only {checked} items: run the whole tests/analyzer package"


def test_pronunciation_counts_unheard_units_as_zero(reports):
    for report in reports.values():
        units = [it for it in items(report) if it["status"] != "extra"]
        if report.pronunciation_accuracy is None or not units:
            continue
        wrong = sum(it["status"] in verdict.NOT_SAID for it in units)
        ceiling = 100.0 * (len(units) - wrong) / len(units)
        assert report.pronunciation_accuracy <= ceiling + 0.05, (ceiling, report)


def test_reference_spans_are_paired_and_in_order(reports):
    """Every unit carries the reference's span of it (or None for both ends); with a
    reference, the spans of the expected units run forward in time, as the page's alignment
    of the learner's pitch curve assumes."""
    paired = 0
    for report in reports.values():
        spans = [
            (it["reference_start"], it["reference_end"])
            for it in items(report)
            if it["status"] != "extra"
        ]
        for start, end in spans:
            assert (start is None) == (end is None)
            assert start is None or 0 <= start <= end
        timed = [s for s in spans if s[0] is not None]
        assert timed == sorted(timed)
        paired += len(timed)
    assert paired >= 20, "no report paired its units with a reference"
