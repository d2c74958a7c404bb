"""What "output a person can read" means for a `vocalborn` command read through a pipe (issue 14,
item 6), as one assertion shared by the CLI tests: nothing cut, no box drawing or bars, no colour
codes, every date-time followed by its zone."""

from __future__ import annotations

import re

BOX_AND_BARS = re.compile("[\u2500-\u259f]")  # box drawing and block elements (bars)
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
ZONE = re.compile(r" ?(?:[+-]\d{2}:\d{2}|Z\b|UTC\b)")


def assert_readable_in_pipe(text: str, *whole: str) -> None:
    """Plain output: each of `whole` appears uncut, no ellipsis, box, bar, colour code, and
    every printed time says its zone."""
    assert "…" not in text, text
    assert not BOX_AND_BARS.search(text), text
    assert "\x1b[" not in text, text
    for value in whole:
        assert value in text, (value, text)
    for match in DATE_TIME.finditer(text):
        assert ZONE.match(text, match.end()), (match.group(), text)
