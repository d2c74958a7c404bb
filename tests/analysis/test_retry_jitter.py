"""Retry countdowns carry bounded jitter (analysis/retry.py), as properties: every drawn
countdown lies in [(1 - RETRY_JITTER) x d, d] for the table's delay d, and a fleet of retries of
the same class and attempt does not come back in lockstep. `decide`, the one retry decision of
the task and the reaper, follows DESIGN §4's table."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from vocalborn.analysis.retry import (
    RETRY_JITTER,
    RETRY_POLICIES,
    decide,
    jittered,
    longest_countdown,
)
from vocalborn.analyzer.errors import ErrorType

RETRYABLE = [k for k, p in RETRY_POLICIES.items() if p.max_retries]
delays = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
draws = st.floats(min_value=0.0, max_value=1.0)


@given(delay=delays, draw=draws)
def test_jittered_stays_within_its_bounds(delay: float, draw: float) -> None:
    value = jittered(delay, draw)
    assert (1 - RETRY_JITTER) * delay * (1 - 1e-12) <= value <= delay


@given(delay=delays, a=draws, b=draws)
def test_jittered_is_pure_and_monotonic_in_the_draw(delay: float, a: float, b: float) -> None:
    assert jittered(delay, a) == jittered(delay, a)
    low, high = sorted((a, b))
    assert jittered(delay, high) <= jittered(delay, low)


@given(delay=delays, draw=st.floats(allow_nan=False))
def test_out_of_range_draws_are_clamped(delay: float, draw: float) -> None:
    assert (1 - RETRY_JITTER) * delay * (1 - 1e-12) <= jittered(delay, draw) <= delay


@given(
    kind=st.sampled_from(RETRYABLE),
    retries=st.integers(min_value=0, max_value=4),
    scale=st.floats(min_value=0.001, max_value=10.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_a_fleet_of_retries_is_spread_within_the_table_delay(
    kind: ErrorType, retries: int, scale: float, seed: int
) -> None:
    policy = RETRY_POLICIES[kind]
    table = policy.countdown(retries, scale)
    rng = random.Random(seed)
    fleet = [policy.draw_countdown(retries, scale, rng.random()) for _ in range(200)]
    assert all((1 - RETRY_JITTER) * table * (1 - 1e-12) <= c <= table for c in fleet)
    assert len(set(fleet)) > 1, "every retry would come back in the same instant"
    # spread over a good part of the window, not bunched at one end
    assert max(fleet) - min(fleet) > RETRY_JITTER * table * 0.5


def test_the_default_draw_is_random_and_never_above_the_table() -> None:
    policy = RETRY_POLICIES[ErrorType.NETWORK]
    fleet = [policy.draw_countdown(0) for _ in range(500)]
    assert len(set(fleet)) > 400
    assert all(15.0 <= c <= 30.0 for c in fleet)  # DESIGN §4: network, first retry, 30 s


def test_the_visibility_timeout_bound_still_holds_with_jitter() -> None:
    # The settings check "visibility timeout > hard limit + longest countdown" uses the table's
    # delays; a jittered countdown never exceeds them.
    longest = longest_countdown(1.0)
    for policy in RETRY_POLICIES.values():
        for n in range(policy.max_retries):
            assert policy.draw_countdown(n, 1.0, 0.0) <= longest


def test_decide_follows_the_table() -> None:
    # Every class, attempt, scale and draw of a grid (pure, so exhaustive and instant).
    for kind, retries, scale, draw in itertools.product(
        ErrorType, range(8), (0.0, 0.2, 1.0, 3.0), (0.0, 0.37, 1.0)
    ):
        policy = RETRY_POLICIES[kind]
        decision = decide(kind.value, retries, scale, draw)
        if retries >= policy.max_retries:  # out of retries, or a class never retried
            assert decision is None
            continue
        assert decision is not None and decision.max_retries == policy.max_retries
        assert decision.countdown == policy.draw_countdown(retries, scale, draw)


def test_the_design_table() -> None:
    # DESIGN §4: network 30, 60, 120… s x5; ai_service 60 s x3; timeout 120 s x2; file and
    # validation never. `decide` with draw 0 gives the table's own delays.
    def delays(kind: ErrorType) -> list[float]:
        out, n = [], 0
        while (d := decide(kind, n, 1.0, 0.0)) is not None:
            out.append(d.countdown)
            n += 1
        return out

    assert delays(ErrorType.NETWORK) == [30, 60, 120, 240, 480]
    assert delays(ErrorType.AI_SERVICE) == [60, 60, 60]
    assert delays(ErrorType.TIMEOUT) == [120, 120]
    assert delays(ErrorType.FILE) == delays(ErrorType.VALIDATION) == []
