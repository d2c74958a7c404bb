"""Audio with known properties, generated once per test session.

Synthetic vowels (pulse train through formant resonators: known F0 and jitter), espeak-ng
speech (English and Mandarin via pinyin with tone digits), and sox edits of it (pauses,
tempo, noise). Tools that are missing skip the tests that need them, with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import lfilter, resample_poly

from vocalborn.analyzer.offline import OfflineAnalyser
from vocalborn.analyzer.types import AnalysisReport, AnalysisRequest
from vocalborn.config import Settings

SR = 16000
EN = "the quick brown fox jumps over the lazy dog"
ZH = "請問洗手間在哪裡"
ZH_PINYIN = "qing3 wen4 xi2 shou3 jian1 zai4 na2 li3"  # surface tones (洗 before 手: 3 -> 2)
TESTDATA = Path("/usr/share/pocketsphinx/test/data/librivox")

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt install espeak-ng)"
)
needs_sox = pytest.mark.skipif(
    shutil.which("sox") is None, reason="sox is not installed (apt install sox libsox-fmt-all)"
)
needs_testdata = pytest.mark.skipif(
    not TESTDATA.is_dir(),
    reason="pocketsphinx-testdata is not installed (apt install pocketsphinx-testdata)",
)


def vowel(
    f0: float, seconds: float = 1.0, jitter: float = 0.0, seed: int = 0, glide_st: float = 0.0
) -> np.ndarray:
    """An /a/-like vowel: glottal pulses (period SD = jitter x period, F0 gliding linearly by
    `glide_st` semitones) through three formant resonators. Made at 8x the rate and decimated
    so pulse times are not rounded to 16 kHz samples (rounding alone reads as 0.5 % jitter)."""
    rng = np.random.default_rng(seed)
    up = 8 * SR
    n = int(seconds * up)
    source = np.zeros(n)
    t = 0.0
    while t < seconds:
        source[int(t * up)] = 1.0
        f = f0 * 2 ** (glide_st * (t / seconds - 0.5) / 12)
        t += (1.0 / f) * (1.0 + jitter * rng.standard_normal())
    out = lfilter([1.0], [1.0, -0.995], source)  # glottal roll-off
    for freq, bw in ((700, 80), (1220, 90), (2600, 120)):
        r = np.exp(-np.pi * bw / up)
        a = [1.0, -2 * r * np.cos(2 * np.pi * freq / up), r * r]
        out = lfilter([1.0 - r], a, out)
    out = resample_poly(out, 1, 8)
    m = out.size
    ramp = np.minimum(1.0, np.minimum(np.arange(m), np.arange(m)[::-1]) / (0.02 * SR))
    out *= ramp
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


def write(path: Path, samples: np.ndarray) -> Path:
    sf.write(str(path), samples, SR, subtype="PCM_16")
    return path


def run(*cmd: str) -> None:
    if cmd[0] == "sox":
        # sox dithers with a fresh random seed on every run unless told -R, and the analyser's
        # alignment of heavily stretched speech can flip on that last bit: keep inputs repeatable.
        cmd = ("sox", "-R", *cmd[1:])
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def audio_dir() -> Iterator[Path]:
    # A private directory rather than pytest's tmp_path: other suites running on the same
    # machine rotate /tmp/pytest-of-<user> and can delete a long session's files.
    path = Path(tempfile.mkdtemp(prefix="vocalborn-analyzer-audio-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def espeak(audio_dir: Path) -> Callable[..., Path]:
    """espeak(name, text, voice="en-us", speed=160, pitch=50) -> 16 kHz mono wav (cached)."""

    def make(name: str, text: str, voice: str = "en-us", speed: int = 160, pitch: int = 50) -> Path:
        out = audio_dir / f"{name}.wav"
        if not out.exists():
            raw = audio_dir / f"{name}.raw.wav"
            run("espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text)
            run("sox", str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(out))
        return out

    return make


@pytest.fixture(scope="session")
def sox(audio_dir: Path) -> Callable[..., Path]:
    """sox(name, source, *effects) -> the source run through sox effects (cached by name)."""

    def make(name: str, source: Path, *effects: str) -> Path:
        out = audio_dir / f"{name}.wav"
        if not out.exists():
            run("sox", str(source), "-r", str(SR), "-c", "1", "-b", "16", str(out), *effects)
        return out

    return make


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(ENVIRONMENT="test", SECRET_KEY=None, MAX_AUDIO_DURATION_SECONDS=60.0)


@pytest.fixture(scope="session")
def analyser(settings: Settings) -> OfflineAnalyser:
    a = OfflineAnalyser(settings)
    a.warm_up()
    return a


def _cached(analyser: OfflineAnalyser, cache: dict[tuple, AnalysisReport]) -> Callable:
    def go(path: Path, text: str, language: str, reference: Path | None = None) -> AnalysisReport:
        key = (analyser, path, text, language, reference)
        if key not in cache:
            req = AnalysisRequest(Path(path), text, language, reference)  # type: ignore[arg-type]
            cache[key] = analyser.analyse(req, lambda _s, _f: None)
        return cache[key]

    return go


@pytest.fixture(scope="session")
def reports() -> dict[tuple, AnalysisReport]:
    """Every report the analyser tests made (test_status_rule.py checks them all)."""
    return {}


@pytest.fixture(scope="session")
def analyse(analyser: OfflineAnalyser, reports: dict) -> Callable[..., AnalysisReport]:
    """The analyser as it runs in production: both listeners."""
    return _cached(analyser, reports)


@pytest.fixture(scope="session")
def analyse_acoustic(settings: Settings, reports: dict) -> Callable[..., AnalysisReport]:
    """The analyser without the second listener: for tests of the acoustic measures (GOP,
    timing, rhythm) on espeak-ng English, which Whisper base does not understand reliably
    (it hears "jump, so verve" for "jumps over the"). The second listener is judged on real
    speech (test_listener.py)."""
    a = OfflineAnalyser(settings, listen=False)
    a.warm_up()
    return _cached(a, reports)


def items(report: AnalysisReport) -> list[dict]:
    return report.sentence_analyses[0]["items"]  # type: ignore[no-any-return]
