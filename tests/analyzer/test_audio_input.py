"""Decoding and refusal of bad input: every refusal is the file class with a readable message."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vocalborn.analyzer.audio import decode_audio
from vocalborn.analyzer.errors import AudioFileError, ErrorType, ParameterError
from vocalborn.analyzer.offline import OfflineAnalyser
from vocalborn.analyzer.types import AnalysisRequest

from .conftest import SR, vowel, write


def _encode(src: np.ndarray, path: Path, codec: str, rate: int = 44100) -> Path:
    """Encode with PyAV (FFmpeg from the wheel) at another rate and in stereo."""
    stereo = np.repeat(np.interp(np.arange(0, len(src), SR / rate), np.arange(len(src)), src)
                       [None, :], 2, axis=0).astype(np.float32)  # fmt: skip
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "stereo"  # type: ignore[union-attr]
        frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in stream.encode(frame):  # type: ignore[union-attr]
            out.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            out.mux(packet)
    return path


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [
        ("flac", "flac"),
        ("ogg", "libopus"),
        ("m4a", "aac"),
        ("webm", "libopus"),
        ("mp3", "libmp3lame"),
    ],
)
def test_formats_decode_to_16k_mono_with_the_same_duration(tmp_path, suffix, codec):
    src = vowel(150.0, seconds=1.5)
    rate = 48000 if codec == "libopus" else 44100  # opus only runs at 48 kHz
    path = _encode(src, tmp_path / f"a.{suffix}", codec, rate)
    audio = decode_audio(path, 60, 10**8)
    assert audio.sample_rate == SR
    assert audio.samples.ndim == 1
    assert abs(audio.duration - 1.5) < 0.08


def _refusal(path: Path, max_seconds: float = 60) -> str:
    with pytest.raises(AudioFileError) as info:
        decode_audio(path, max_seconds, 10**8)
    assert info.value.error_type == ErrorType.FILE
    return info.value.message


def test_zero_byte_file_is_refused(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    assert "empty" in _refusal(tmp_path / "e.wav")


def test_non_audio_file_is_refused(tmp_path):
    (tmp_path / "n.wav").write_text("this is a text file, not a recording\n" * 50)
    assert "not audio" in _refusal(tmp_path / "n.wav")


def test_missing_file_is_refused(tmp_path):
    assert "missing" in _refusal(tmp_path / "nothing.wav")


def test_too_long_recording_names_length_and_limit(tmp_path):
    path = write(tmp_path / "long.wav", np.tile(vowel(120.0, seconds=1.0), 5))
    message = _refusal(path, max_seconds=3)
    assert "5 s long" in message and "limit is 3 s" in message


def test_too_large_file_is_refused(tmp_path):
    path = write(tmp_path / "big.wav", vowel(120.0, seconds=1.0))
    with pytest.raises(AudioFileError, match="MB"):
        decode_audio(path, 60, 1000)


@pytest.mark.parametrize("level", [0.0, 1e-5])
def test_silent_recording_has_no_speech(tmp_path, analyser, level):
    rng = np.random.default_rng(1)
    path = write(tmp_path / "silent.wav", (level * rng.standard_normal(SR * 2)).astype(np.float32))
    with pytest.raises(AudioFileError, match="no speech"):
        analyser.analyse(AnalysisRequest(path, "hello", "en"), lambda _s, _f: None)


def test_noise_without_voice_has_no_speech(tmp_path, analyser):
    rng = np.random.default_rng(2)
    path = write(tmp_path / "hiss.wav", (0.1 * rng.standard_normal(SR * 2)).astype(np.float32))
    with pytest.raises(AudioFileError, match="no speech"):
        analyser.analyse(AnalysisRequest(path, "你好", "zh-TW"), lambda _s, _f: None)


def test_bad_parameters_are_validation_errors(tmp_path, analyser):
    path = write(tmp_path / "v.wav", vowel(120.0))
    with pytest.raises(ParameterError):
        analyser.analyse(AnalysisRequest(path, "  ", "en"), lambda _s, _f: None)
    with pytest.raises(ParameterError):
        analyser.analyse(AnalysisRequest(path, "hola", "es"), lambda _s, _f: None)  # type: ignore[arg-type]


def test_clipped_recording_is_analysed_but_voice_quality_withheld(tmp_path, analyser):
    loud = np.clip(vowel(130.0, seconds=1.5) * 6.0, -1.0, 1.0)
    report = analyser.analyse(
        AnalysisRequest(write(tmp_path / "clip.wav", loud), "ah", "en"), lambda _s, _f: None
    )
    quality = report.detailed_analysis["voice_quality"]
    assert quality["clipping_ratio"] > 0.05
    assert quality["hnr_db"] is None and "clipped" in quality["not_assessed"]["hnr_db"]["en"]
    assert any(s["area"] == "recording" for s in report.suggestions)


def test_unknown_settings_default_to_design_limits():
    a = OfflineAnalyser(None)
    assert a.max_seconds == 300.0 and a.max_bytes == 52_428_800
