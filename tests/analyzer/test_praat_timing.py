"""Praat measures and de Jong & Wempe timing on signals whose answers are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vocalborn.analyzer.audio import Audio
from vocalborn.analyzer.praat import analyse_frontend, contour, pitch_summary, voice_quality
from vocalborn.analyzer.timing import measure_timing, timing_summary

from .conftest import SR, vowel


def _front(samples: np.ndarray):
    return analyse_frontend(Audio(samples, SR, "wav"))


@pytest.mark.parametrize("f0", [95.0, 140.0, 230.0, 380.0])
def test_f0_median_within_one_percent(f0):
    summary = pitch_summary(_front(vowel(f0, seconds=0.8)).f0_hz)
    assert summary["f0_median_hz"] == pytest.approx(f0, rel=0.01)


@pytest.mark.parametrize("sigma", [0.01, 0.02])
def test_jitter_follows_period_perturbation(sigma):
    # Independent period errors with SD sigma: E|T_i - T_i+1| / T = 2 sigma / sqrt(pi).
    expected = 2 * sigma / math.sqrt(math.pi)
    quality, _ = voice_quality(_front(vowel(150.0, seconds=1.5, jitter=sigma, seed=3)), 0.0)
    assert 0.7 * expected <= quality["jitter_local"] <= 1.3 * expected


def test_clean_vowel_has_low_jitter_high_hnr_and_noise_lowers_hnr_and_cpps():
    clean = vowel(150.0, seconds=1.0)
    noisy = clean + 0.05 * np.random.default_rng(0).standard_normal(clean.size).astype(np.float32)
    q_clean, _ = voice_quality(_front(clean), 0.0)
    q_noisy, _ = voice_quality(_front(noisy), 0.0)
    assert q_clean["jitter_local"] < 0.002
    assert q_clean["hnr_db"] > 30
    assert q_noisy["hnr_db"] < q_clean["hnr_db"] - 10
    assert q_noisy["cpps_db"] < q_clean["cpps_db"] - 5


def test_monotone_flag_and_range_in_semitones():
    flat = pitch_summary(_front(vowel(150.0, seconds=1.0)).f0_hz)
    glide = pitch_summary(_front(vowel(150.0, seconds=1.0, glide_st=12.0)).f0_hz)
    assert flat["monotone"] is True and flat["f0_sd_st"] < 0.2
    assert glide["monotone"] is False
    # A linear 12-semitone glide: SD 12/sqrt(12) = 3.46, 5..95 % range 0.9 x 12 = 10.8.
    assert glide["f0_sd_st"] == pytest.approx(12 / math.sqrt(12), abs=0.35)
    assert glide["f0_range_st"] == pytest.approx(10.8, abs=0.8)


def test_contour_is_downsampled_with_none_for_unvoiced():
    signal = np.concatenate([vowel(150.0, 2.0), np.zeros(SR), vowel(150.0, 2.0)])
    front = _front(signal)
    plot = contour(front.f0_times, front.f0_hz, max_points=200)
    assert len(plot["times"]) <= 200 and len(plot["times"]) == len(plot["f0_hz"])
    assert None in plot["f0_hz"]
    voiced = [v for v in plot["f0_hz"] if v is not None]
    assert all(abs(v - 150.0) < 3 for v in voiced)


def _syllables(n: int, gap: float = 0.12, pause_after: int | None = None) -> np.ndarray:
    """n voiced 'syllables' (180 ms vowels) separated by near-silent gaps; a 0.6 s pause after
    syllable `pause_after`."""
    parts = []
    for i in range(n):
        parts.append(vowel(120.0 + 10 * (i % 3), seconds=0.18, seed=i))
        parts.append(np.zeros(int((0.6 if i == pause_after else gap) * SR), np.float32))
    return np.concatenate([np.zeros(int(0.3 * SR), np.float32), *parts])


@pytest.mark.parametrize("n", [4, 7, 11])
def test_nuclei_count_equals_syllable_count(n):
    timing = measure_timing(_front(_syllables(n)))
    assert len(timing.nuclei) == n
    summary = timing_summary(timing)
    assert summary["pause_count"] == 0  # 0.12 s gaps are below the 0.3 s pause threshold


def test_inserted_pause_is_found_with_its_length_and_rates_split():
    plain = timing_summary(measure_timing(_front(_syllables(6))))
    paused = timing_summary(measure_timing(_front(_syllables(6, pause_after=2))))
    assert paused["pause_count"] == 1
    # Praat's intensity window (3.2 / 50 Hz = 64 ms) spreads each edge by up to ~32 ms.
    length = paused["pauses"][0]["end"] - paused["pauses"][0]["start"]
    assert length == pytest.approx(0.6, abs=0.08)
    # A pause slows the speech rate but not the articulation rate (phonation time only).
    assert paused["speech_rate"] < plain["speech_rate"] * 0.9
    assert paused["articulation_rate"] == pytest.approx(plain["articulation_rate"], rel=0.1)
    assert paused["phonation_ratio"] < plain["phonation_ratio"]
    # Leading silence is not a pause.
    assert plain["speech_start"] == pytest.approx(0.3, abs=0.03)
