"""Praat measures via parselmouth: pitch, intensity, jitter, shimmer, HNR and CPPS.

All summaries are plain floats (or None) so they serialise straight into `detailed_analysis`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import parselmouth
from parselmouth.praat import call

from vocalborn.analyzer import constants as C
from vocalborn.analyzer.audio import Audio
from vocalborn.analyzer.errors import AudioFileError
from vocalborn.analyzer.types import Localized, bilingual


@dataclass(frozen=True)
class Frontend:
    sound: parselmouth.Sound
    pitch: parselmouth.Pitch
    f0_times: np.ndarray
    f0_hz: np.ndarray  # NaN where unvoiced
    int_times: np.ndarray
    int_db: np.ndarray
    pitch_floor: float = C.PITCH_FLOOR_HZ  # this speaker's floor (see `_speaker_pitch`)


def semitones(hz: np.ndarray | float, ref_hz: float = 100.0) -> Any:
    """Semitones re `ref_hz` (Praat's "semitones re 100 Hz" by default)."""
    return 12.0 * np.log2(np.asarray(hz, dtype=float) / ref_hz)


def fnum(value: Any, ndigits: int = 3) -> float | None:
    """A JSON-safe rounded float: None for NaN/inf/None."""
    if value is None:
        return None
    v = float(value)
    return round(v, ndigits) if math.isfinite(v) else None


def analyse_frontend(audio: Audio) -> Frontend:
    """Pitch and intensity tracks; raises the file error when the recording holds no speech."""
    sound = parselmouth.Sound(audio.samples.astype(np.float64), audio.sample_rate)
    intensity = sound.to_intensity(minimum_pitch=50.0, time_step=0.01)
    int_db = np.asarray(intensity.values[0], dtype=float)
    if int_db.size == 0 or float(np.quantile(int_db, 0.99)) < C.SILENCE_MAX_DB:
        raise AudioFileError("no speech found in the recording (it is silent or nearly silent)")
    pitch, floor = _speaker_pitch(sound)
    f0 = np.asarray(pitch.selected_array["frequency"], dtype=float)
    f0[f0 <= 0] = np.nan
    if np.count_nonzero(~np.isnan(f0)) * C.PITCH_TIME_STEP < C.MIN_VOICED_S:
        raise AudioFileError("no speech found in the recording (no voice could be heard)")
    return Frontend(
        sound=sound,
        pitch=pitch,
        f0_times=np.asarray(pitch.xs(), dtype=float),
        f0_hz=f0,
        int_times=np.asarray(intensity.xs(), dtype=float),
        int_db=int_db,
        pitch_floor=floor,
    )


def _track(sound: parselmouth.Sound, floor: float, ceiling: float) -> parselmouth.Pitch:
    return sound.to_pitch_ac(time_step=C.PITCH_TIME_STEP, pitch_floor=floor, pitch_ceiling=ceiling)


def _speaker_pitch(sound: parselmouth.Sound) -> tuple[parselmouth.Pitch, float]:
    """Two passes (De Looze & Hirst 2008): a wide first track finds the speaker, the second
    runs from 0.75 x its first quartile to 1.5 x its third. A fixed range fails someone: a
    75 Hz floor loses a low man's voice (half the frames, octave jumps), a 50 Hz floor blurs a
    child's or a fast speaker's short syllables (the analysis window is 3 periods of the floor)."""
    wide = _track(sound, C.PITCH_FLOOR_HZ, C.PITCH_CEILING_HZ)
    f0 = np.asarray(wide.selected_array["frequency"], dtype=float)
    voiced = f0[f0 > 0]
    if voiced.size < C.SPEAKER_PITCH_MIN_FRAMES:
        return wide, C.PITCH_FLOOR_HZ
    q1, q3 = np.quantile(voiced, [0.25, 0.75])
    floor = float(max(C.PITCH_FLOOR_HZ, 0.75 * q1))
    ceiling = float(min(C.PITCH_CEILING_HZ, max(1.5 * q3, floor * 2.0)))
    return _track(sound, floor, ceiling), floor


def pitch_summary(f0_hz: np.ndarray) -> dict[str, Any]:
    voiced = f0_hz[~np.isnan(f0_hz)]
    st = semitones(voiced)
    if voiced.size < 3:
        return {
            "f0_median_hz": None,
            "f0_median_st": None,
            "f0_range_st": None,
            "f0_sd_st": None,
            "monotone": None,
        }
    sd = float(np.std(st))
    return {
        "f0_median_hz": fnum(np.median(voiced), 2),
        "f0_median_st": fnum(np.median(st), 2),
        "f0_range_st": fnum(np.quantile(st, 0.95) - np.quantile(st, 0.05), 2),
        "f0_sd_st": fnum(sd, 2),
        "monotone": sd < C.MONOTONE_SD_ST,
    }


def contour(times: np.ndarray, f0_hz: np.ndarray, max_points: int = C.CONTOUR_MAX_POINTS) -> dict:
    """F0 contour for plotting: at most `max_points` points, None where unvoiced.

    Each output point is the median of the voiced frames it covers, so short voicing survives.
    """
    n = len(times)
    if n == 0:
        return {"times": [], "f0_hz": []}
    step = max(1, math.ceil(n / max_points))
    out_t: list[float | None] = []
    out_f: list[float | None] = []
    for i in range(0, n, step):
        block = f0_hz[i : i + step]
        voiced = block[~np.isnan(block)]
        out_t.append(fnum(times[i : i + step].mean(), 3))
        out_f.append(fnum(np.median(voiced), 1) if voiced.size else None)
    return {"times": out_t, "f0_hz": out_f}


def voice_quality(
    front: Frontend, clipped_share: float
) -> tuple[dict[str, Any], dict[str, Localized]]:
    """Jitter, shimmer, HNR, CPPS; (values, reasons for the ones not assessed)."""
    reasons: dict[str, Localized] = {}
    out: dict[str, Any] = {"clipping_ratio": fnum(clipped_share, 4)}
    if clipped_share > C.CLIPPING_RATIO_LIMIT:
        why = bilingual(
            f"{clipped_share:.1%} 的取樣點削峰失真，錄音音量太大，嗓音品質的測量會不準確",
            f"{clipped_share:.1%} of the samples are clipped; the recording level was too high, "
            "so voice-quality measures would be wrong",
        )
        for key in ("jitter_local", "shimmer_local", "hnr_db", "cpps_db"):
            out[key] = None
            reasons[key] = why
        return out, reasons
    sound, pitch = front.sound, front.pitch
    points = call([sound, pitch], "To PointProcess (cc)")
    # Praat defaults: period range 0.1-20 ms, max period factor 1.3, max amplitude factor 1.6.
    out["jitter_local"] = fnum(call(points, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3), 5)
    out["shimmer_local"] = fnum(
        call([sound, points], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6), 5
    )
    harmonicity = sound.to_harmonicity_cc(0.02, front.pitch_floor, 0.1, 1.0)
    hnr = np.asarray(harmonicity.values[0], dtype=float)
    hnr = hnr[hnr > -200]  # Praat marks unvoiced frames with -200 dB
    out["hnr_db"] = fnum(hnr.mean(), 2) if hnr.size else None
    if out["hnr_db"] is None:
        reasons["hnr_db"] = bilingual("沒有週期性的濁音片段", "no periodic (voiced) frames")
    # CPPS (Hillenbrand & Houde 1996; Praat 6 defaults) with a straight trend line fitted
    # robustly. A 20 ms step (the smoothing window's length) costs ~0.01 s per second of audio
    # and moved CPPS by < 0.2 dB against Praat's 2 ms default, which costs 8x more.
    cepstrogram = call(sound, "To PowerCepstrogram", 60.0, 0.02, 5000.0, 50.0)
    cpps = call(
        cepstrogram,
        "Get CPPS",
        False,
        0.02,
        0.0005,
        60.0,
        330.0,
        0.05,
        "Parabolic",
        0.001,
        0.05,
        "Straight",
        "Robust",
    )
    out["cpps_db"] = fnum(cpps, 2)
    for key in ("jitter_local", "shimmer_local", "cpps_db"):
        if out[key] is None:
            reasons[key] = bilingual(
                "聲帶振動週期太少，無法測量", "too few voice periods to measure"
            )
    return out, reasons
