"""The speech `bench/analyzer.py` measures, and what one measuring process does with it.

Cases: about 10 s and about 3 s of espeak-ng English and Mandarin, each with a reference
recording at another rate, and one real LibriVox reading (5.3 s, no reference). A measuring
process runs one mode on every case and prints one JSON line per case and one for the process:

- `baseline`: decode plus a Praat pitch/intensity track, the least any pitch-based analysis pays;
- `silent`: the whole analysis, `OfflineAnalyser(settings, listen=False)`;
- `listen`: the whole analysis with the second listener (Whisper base), as workers run it.

CPU is `time.process_time()` (all threads of the process; it is pinned to one core), stage
figures are the gaps between the analyser's progress calls. Peak RSS is the process's own
high-water mark, which is why every mode runs in a process of its own.
"""

from __future__ import annotations

import itertools
import json
import resource
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

EN_LONG = (
    "the quick brown fox jumps over the lazy dog while the children play in the park "
    "and their parents talk about the weather and the long summer holidays ahead"
)
ZH_LONG = "請問洗手間在哪裡我今天很好謝謝你的幫忙我們明天一起去公園散步好嗎"
ZH_LONG_PINYIN = (
    "qing3 wen4 xi2 shou3 jian1 zai4 na2 li3, wo3 jin1 tian1 hen2 hao3, xie4 xie4 ni3 de "
    "bang1 mang2, wo3 men2 ming2 tian1 yi4 qi3 qu4 gong1 yuan2 san4 bu4 hao3 ma5"
)
EN_SHORT = "he was not an ill disposed young man"
ZH_SHORT = "我們今天去公園玩"
ZH_SHORT_PINYIN = "wo3 men jin1 tian1 qu4 gong1 yuan2 wan2"
LIBRIVOX = Path(
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav"
)
LIBRIVOX_TEXT = "unless to be rather cold hearted and rather selfish is to be ill disposed"
MODES = {
    "baseline": "baseline decode + Praat pitch",
    "silent": "without listener",
    "listen": "with listener",
}
LISTEN_STAGE = "listening for what was said"
PREFIX = "BENCH-JSON "


def espeak(out: Path, text: str, voice: str, speed: int) -> str:
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True
    )
    return str(out)


def make_cases(work: Path, quick: bool) -> list[dict[str, Any]]:
    """name, language, text, audio and reference (or None) of every case."""
    said = [
        ("en short", "en", EN_SHORT, EN_SHORT, "en-us"),
        ("zh short", "zh-TW", ZH_SHORT, ZH_SHORT_PINYIN, "cmn-latn-pinyin"),
    ]
    if not quick:
        said[:0] = [
            ("en 10 s", "en", EN_LONG, EN_LONG, "en-us"),
            ("zh 10 s", "zh-TW", ZH_LONG, ZH_LONG_PINYIN, "cmn-latn-pinyin"),
        ]
    cases: list[dict[str, Any]] = []
    for name, lang, text, spoken, voice in said:
        stem = name.replace(" ", "_")
        audio = espeak(work / f"{stem}.wav", spoken, voice, 150)
        ref = espeak(work / f"{stem}_ref.wav", spoken, voice, 170)
        cases.append({"name": name, "lang": lang, "text": text, "audio": audio, "ref": ref})
    if not quick and LIBRIVOX.is_file():
        cases.append(
            {"name": "en LibriVox", "lang": "en", "text": LIBRIVOX_TEXT,
             "audio": str(LIBRIVOX), "ref": None}
        )  # fmt: skip
    return cases


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def rss_now_mb() -> float:
    """Current resident memory (what Celery's max_memory_per_child compares, via psutil)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def emit(record: dict[str, Any]) -> None:
    print(PREFIX + json.dumps(record), flush=True)


def _timed(analyser: Any, request: Any) -> dict[str, Any]:
    marks: list[tuple[str, float, float]] = []

    def progress(label: str, _fraction: float) -> None:
        marks.append((label, time.perf_counter(), time.process_time()))

    wall, cpu = time.perf_counter(), time.process_time()
    analyser.analyse(request, progress)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    # A progress call announces the stage that starts; it runs until the next call.
    stages = {a[0]: b[2] - a[2] for a, b in itertools.pairwise(marks)}
    return {"wall": wall, "cpu": cpu, "stages": stages}


def _baseline(path: Path, runs: int) -> dict[str, Any]:
    from vocalborn.analyzer.audio import decode_audio
    from vocalborn.analyzer.praat import analyse_frontend

    walls, cpus = [], []
    for _ in range(runs + 1):  # the first one warms Praat up
        wall, cpu = time.perf_counter(), time.process_time()
        analyse_frontend(decode_audio(path, 300, 10**8))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall": statistics.median(walls[1:]), "cpu": statistics.median(cpus[1:])}


def run_mode(mode: str, cases: list[dict[str, Any]], runs: int) -> None:
    """Measure one mode on every case in this process; JSON lines on stdout."""
    from vocalborn.analyzer.audio import decode_audio

    emit({"mode": mode, "rss_imports": rss_mb()})
    analyser = None
    if mode != "baseline":
        from vocalborn.analyzer.offline import OfflineAnalyser
        from vocalborn.config import Settings

        analyser = OfflineAnalyser(Settings(), listen=mode == "listen")
        t = time.perf_counter()
        analyser.warm_up()
        emit({"mode": mode, "warm_up": time.perf_counter() - t, "rss_warm_up": rss_mb()})
    for case in cases:
        seconds = decode_audio(Path(case["audio"]), 300, 10**8).duration
        out: dict[str, Any] = {"mode": mode, "case": case["name"], "seconds": seconds}
        if analyser is None:
            out.update(_baseline(Path(case["audio"]), runs))
        else:
            from vocalborn.analyzer.types import AnalysisRequest

            ref = Path(case["ref"]) if case["ref"] else None
            req = AnalysisRequest(Path(case["audio"]), case["text"], case["lang"], ref)
            out["first"] = _timed(analyser, req)
            warm = [_timed(analyser, req) for _ in range(runs)]
            out["wall"] = statistics.median(w["wall"] for w in warm)
            out["cpu"] = statistics.median(w["cpu"] for w in warm)
            out["stages"] = {
                label: statistics.median(w["stages"].get(label, 0.0) for w in warm)
                for label in warm[0]["stages"]
            }
        emit(out)
    emit({"mode": mode, "rss_peak": rss_mb(), "rss_end": rss_now_mb()})
