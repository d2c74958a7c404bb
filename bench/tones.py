"""Calibration of the Mandarin tone reader on sentences the tests never use.

    .venv/bin/python bench/tones.py [--quick]

Six espeak-ng voices (the plain `cmn-latn-pinyin` voice is the reference speaker; five variants
differ in pitch, rate and timbre) read six sentences. It prints, per voice, with and without
the reference recording:
- false flags: syllables of a correct reading whose status is wrong_tone or unclear;
- caught: deliberately changed tones (two syllables per sentence) flagged on that syllable.
The baseline in the same run is the reference voice judged against itself. Keep this set apart
from tests/analyzer: constants are set here, properties are asserted there.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

SENTENCES = [
    ("我明天早上要去學校", "wo3 ming2 tian1 zao2 shang4 yao4 qu4 xue2 xiao4"),
    ("謝謝你幫我拿書包", "xie4 xie5 ni3 bang1 wo3 na2 shu1 bao1"),
    ("今天天氣很好", "jin1 tian1 tian1 qi4 hen2 hao3"),
    ("媽媽在廚房做飯", "ma1 ma5 zai4 chu2 fang2 zuo4 fan4"),
    ("我喜歡吃蘋果和香蕉", "wo3 xi3 huan1 chi1 ping2 guo3 he2 xiang1 jiao1"),
    ("請你再說一次", "qing3 ni3 zai4 shuo1 yi2 ci4"),
]
V = "cmn-latn-pinyin"
VOICES = {
    "reference": (V, 160, 50),
    "f3": (V + "+f3", 140, 65),
    "m3": (V + "+m3", 190, 40),
    "f5": (V + "+f5", 120, 80),
    "m1": (V + "+m1", 150, 45),
    "f2": (V + "+f2", 170, 70),
    "fast": (V, 230, 50),
}
SWAP = {"1": "4", "2": "4", "3": "1", "4": "1"}
FLAGS = ("wrong_tone", "unclear")


def speak(out: Path, pinyin: str, voice: str) -> Path:
    if not out.exists():
        name, speed, pitch = VOICES[voice]
        raw = out.with_suffix(".raw.wav")
        cmd = ["espeak-ng", "-v", name, "-s", str(speed), "-p", str(pitch), "-w", str(raw)]
        subprocess.run([*cmd, pinyin], check=True)
        sox = ["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)]
        subprocess.run(sox, check=True, capture_output=True)
    return out


def main() -> None:
    from vocalborn.analyzer.offline import OfflineAnalyser
    from vocalborn.analyzer.types import AnalysisRequest
    from vocalborn.config import Settings

    quick = "--quick" in sys.argv
    sentences = SENTENCES[:1] if quick else SENTENCES
    voices = list(VOICES)[:2] if quick else list(VOICES)
    analyser = OfflineAnalyser(Settings(ENVIRONMENT="dev", SECRET_KEY=None), listen=False)
    work = Path(tempfile.mkdtemp(prefix="vocalborn-tones-"))

    def items(path: Path, text: str, ref: Path | None) -> list[dict]:
        req = AnalysisRequest(path, text, "zh-TW", ref)
        return analyser.analyse(req, lambda _s, _f: None).sentence_analyses[0]["items"]

    false = {(v, r): [0, 0] for v in voices for r in (False, True)}
    caught = {(v, r): [0, 0] for v in voices for r in (False, True)}
    for i, (text, pinyin) in enumerate(sentences):
        ref = speak(work / f"s{i}_reference.wav", pinyin, "reference")
        syllables = pinyin.split()
        for voice in voices:
            path = speak(work / f"s{i}_{voice}.wav", pinyin, voice)
            for with_ref in (False, True):
                got = items(path, text, ref if with_ref else None)
                false[voice, with_ref][0] += sum(it["status"] in FLAGS for it in got)
                false[voice, with_ref][1] += len(got)
            for k in (2, len(syllables) - 2):
                changed = list(syllables)
                changed[k] = changed[k][:-1] + SWAP[changed[k][-1]]
                path = speak(work / f"s{i}_w{k}_{voice}.wav", " ".join(changed), voice)
                for with_ref in (False, True):
                    got = items(path, text, ref if with_ref else None)
                    caught[voice, with_ref][0] += got[k]["status"] in FLAGS
                    caught[voice, with_ref][1] += 1
    print(f"{len(sentences)} sentences; tone flags = wrong_tone or unclear")
    print(f"{'voice':<10} {'false flags (no ref / ref)':>28} {'caught (no ref / ref)':>24}")
    for voice in voices:
        f0, f1 = false[voice, False], false[voice, True]
        c0, c1 = caught[voice, False], caught[voice, True]
        fl = f"{f0[0]}/{f0[1]} / {f1[0]}/{f1[1]}"
        ca = f"{c0[0]}/{c0[1]} / {c1[0]}/{c1[1]}"
        note = "  (baseline: the reference voice itself)" if voice == "reference" else ""
        print(f"{voice:<10} {fl:>28} {ca:>24}{note}")


if __name__ == "__main__":
    main()
