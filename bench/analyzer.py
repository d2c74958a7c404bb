"""Benchmark of the offline analyser: per-stage seconds and peak memory, first call and warm.

    python bench/analyzer.py            # re-runs itself pinned to one core (taskset -c 0)

Speech is made with espeak-ng (about 10 s of English and of Mandarin, each with a reference
recording at another rate). Stage times are the gaps between the analyser's progress calls.
The baseline, measured in the same run on the same audio, is decoding plus a Praat pitch track:
the least any pitch-based analysis must pay. Targets: warm <= 1.5 s per 10 s (RTF <= 0.15),
resident memory <= 500 MB.
"""

from __future__ import annotations

import itertools
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EN_TEXT = (
    "the quick brown fox jumps over the lazy dog while the children play in the park "
    "and their parents talk about the weather and the long summer holidays ahead"
)
ZH_TEXT = "請問洗手間在哪裡我今天很好謝謝你的幫忙我們明天一起去公園散步好嗎"
ZH_PINYIN = (
    "qing3 wen4 xi2 shou3 jian1 zai4 na2 li3, wo3 jin1 tian1 hen2 hao3, xie4 xie4 ni3 de "
    "bang1 mang2, wo3 men2 ming2 tian1 yi4 qi3 qu4 gong1 yuan2 san4 bu4 hao3 ma5"
)
WARM_RUNS = 3


def pin_to_one_core() -> None:
    if os.environ.get("BENCH_PINNED") or shutil.which("taskset") is None:
        return
    os.environ["BENCH_PINNED"] = "1"
    os.execvp("taskset", ["taskset", "-c", "0", sys.executable, *sys.argv])


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def espeak(out: Path, text: str, voice: str, speed: int) -> Path:
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True
    )
    return out


def timed_analysis(analyser, request) -> tuple[float, dict[str, float]]:  # type: ignore[no-untyped-def]
    marks: list[tuple[str, float]] = []
    start = time.perf_counter()
    analyser.analyse(request, lambda label, _f: marks.append((label, time.perf_counter())))
    total = time.perf_counter() - start
    # A progress call announces the stage that starts; it runs until the next call.
    stages: dict[str, float] = {}
    for (label, t), (_, t_next) in itertools.pairwise(marks):
        stages[label] = t_next - t
    stages["(before the first step)"] = marks[0][1] - start if marks else total
    return total, stages


def baseline(path: Path) -> float:
    from vocalborn.analyzer.audio import decode_audio
    from vocalborn.analyzer.praat import analyse_frontend

    runs = []
    for _ in range(WARM_RUNS):
        t = time.perf_counter()
        analyse_frontend(decode_audio(path, 300, 10**8))
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    pin_to_one_core()
    from vocalborn.analyzer.offline import OfflineAnalyser, model_version
    from vocalborn.analyzer.types import AnalysisRequest

    print(f"analyser: {model_version()}")
    print(f"cpu affinity: {sorted(os.sched_getaffinity(0))}; python {sys.version.split()[0]}")
    print(f"peak RSS after imports: {rss_mb():.0f} MB")
    work = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    try:
        cases = {
            "en": (EN_TEXT, espeak(work / "en.wav", EN_TEXT, "en-us", 150),
                   espeak(work / "en_ref.wav", EN_TEXT, "en-us", 170)),
            "zh-TW": (ZH_TEXT, espeak(work / "zh.wav", ZH_PINYIN, "cmn-latn-pinyin", 150),
                      espeak(work / "zh_ref.wav", ZH_PINYIN, "cmn-latn-pinyin", 170)),
        }  # fmt: skip
        analyser = OfflineAnalyser(None)
        t = time.perf_counter()
        analyser.warm_up()
        print(f"warm_up (pocketsphinx decoders): {time.perf_counter() - t:.2f} s, "
              f"peak RSS {rss_mb():.0f} MB")  # fmt: skip
        for lang, (text, audio, ref) in cases.items():
            from vocalborn.analyzer.audio import decode_audio

            seconds = decode_audio(audio, 300, 10**8).duration
            req = AnalysisRequest(audio, text, lang, ref)  # type: ignore[arg-type]
            first, first_stages = timed_analysis(analyser, req)
            warm = [timed_analysis(analyser, req) for _ in range(WARM_RUNS)]
            warm_total = statistics.median(w[0] for w in warm)
            base = baseline(audio)
            print(f"\n[{lang}] {seconds:.1f} s of speech (reference {ref.name})")
            print(f"  first call: {first:.3f} s (includes analysing the reference)")
            for label in first_stages:
                w = statistics.median(s[1][label] for s in warm)
                print(f"    {label:<36} first {first_stages[label]:.3f} s   warm {w:.3f} s")
            per10 = warm_total * 10.0 / seconds
            print(f"  warm (median of {WARM_RUNS}): {warm_total:.3f} s -> {per10:.2f} s per 10 s, "
                  f"RTF {warm_total / seconds:.3f} (target <= 0.15)")  # fmt: skip
            print(f"  baseline decode + Praat pitch/intensity: {base:.3f} s "
                  f"(analysis costs {warm_total / base:.1f}x the baseline)")  # fmt: skip
        print(f"\npeak RSS of the process: {rss_mb():.0f} MB (target <= 500 MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
