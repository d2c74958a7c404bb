"""Suggestions and improvement areas in zh-TW and English, from rules on the measurements.

Each rule yields (priority, suggestion); higher priority first. A suggestion's text is for the
learner: short, plain words, no measurements, no tone numbers or phone symbols. The measured
values behind it (rates, semitones, scores) go in its `detail`, which the page shows only in the
part for therapists.
"""

from __future__ import annotations

from typing import Any

from vocalborn.analyzer.mandarin import TONE_NAMES_ZH

MAX_SUGGESTIONS = 6
AREA_THRESHOLD = 75.0
AREA_NAMES = {
    "pronunciation": ("發音", "Pronunciation"),
    "tones": ("聲調", "Tones"),
    "fluency": ("流暢度", "Fluency"),
    "rhythm": ("節奏", "Rhythm"),
    "intonation": ("語調起伏", "Intonation"),
    "content": ("句子內容", "Saying the right sentence"),
    "intelligibility": ("清晰度", "Being understood"),
}


def _s(area: str, zh: str, en: str, detail: tuple[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"zh-TW": zh, "en": en, "area": area}
    if detail is not None:
        out["detail"] = {"zh-TW": detail[0], "en": detail[1]}
    return out


def _marks(it: dict[str, Any]) -> str:
    """A syllable's tone-mark pinyin for an English text (never the tone-number label)."""
    return str(it.get("expected_pinyin_marks") or it.get("pinyin_marks") or "")


def _word_rules(words: list[dict[str, Any]], extra: list[dict[str, Any]]) -> list[tuple]:
    out: list[tuple] = []
    missing = [w["word"] for w in words if w["status"] == "missing"]
    if missing:
        listed = ", ".join(missing)
        out.append((95, _s("pronunciation", f"漏讀了：{listed}", f"You left out: {listed}")))
    for w in [w for w in words if w["status"] == "substituted"][:3]:
        out.append(
            (
                92,
                _s(
                    "pronunciation",
                    f"「{w['word']}」聽起來像「{w['heard']}」，請再唸一次這個字",
                    f"'{w['word']}' sounded like '{w['heard']}'; say that word again",
                ),
            )
        )
    if extra:
        heard = [e["heard"] for e in extra if e.get("heard")]
        listed_zh = f"（{'、'.join(heard)}）" if heard else ""
        listed_en = f" ({', '.join(heard)})" if heard else ""
        out.append(
            (
                70,
                _s(
                    "pronunciation",
                    f"唸了句子以外的字{listed_zh}，請只唸句子的內容",
                    f"You added words that are not in the sentence{listed_en}",
                ),
            )
        )
    bad = sorted((w for w in words if w["status"] == "mispronounced"), key=lambda w: w["score"])
    for w in bad[:3]:
        sounds = " ".join(w.get("weak_sounds") or [])
        weak = (f"；較弱的音素 {sounds}", f"; weak phones {sounds}") if sounds else ("", "")
        out.append(
            (
                85 - w["score"] / 10,
                _s(
                    "pronunciation",
                    f"「{w['word']}」要唸得更清楚：慢慢唸，每個音都發出來",
                    f"Say '{w['word']}' more clearly: slowly, every sound",
                    (f"{w['score']:.0f} 分{weak[0]}", f"score {w['score']:.0f}{weak[1]}"),
                ),
            )
        )
    return out


def _character_rules(items: list[dict[str, Any]]) -> list[tuple]:
    out: list[tuple] = []
    missing = [it for it in items if it["status"] == "missing"]
    if missing:
        chars = "".join(it["label"] for it in missing)
        pinyin = " ".join(_marks(it) for it in missing).strip()
        en = f"You left out {chars}" + (f" ({pinyin})" if pinyin else "")
        out.append((95, _s("content", f"漏讀了「{chars}」", en)))
    for it in [it for it in items if it["status"] == "substituted"][:3]:
        zh = f"第{it['index']}個字「{it['label']}」聽起來像「{it['heard']}」"
        marks = f", {_marks(it)}" if _marks(it) else ""
        en = f"Character {it['index']} ({it['label']}{marks}) sounded like {it['heard']}"
        out.append((92, _s("content", zh, en)))
    return out


def _tone_rules(items: list[dict[str, Any]]) -> list[tuple]:
    out: list[tuple] = []
    wrong = [it for it in items if it["status"] == "wrong_tone"]
    for it in sorted(wrong, key=lambda it: it["score"] or 0.0)[:3]:
        exp, heard = it["tone_expected"], it["tone_heard"]
        zh = f"第{it['index']}個字「{it['label']}」的聲調應為{TONE_NAMES_ZH[exp]}"
        marks = f", {_marks(it)}" if _marks(it) else ""
        en = f"Syllable {it['index']} ({it['label']}{marks}) should be tone {exp}"
        if heard and heard != exp:
            zh += f"，聽起來像{TONE_NAMES_ZH[heard]}"
            en += f"; it sounded like tone {heard}"
        out.append((90 - (it["score"] or 0.0) / 10, _s("tones", zh, en)))
    return out


def _timing_rules(timing: dict[str, Any], ref: dict[str, Any] | None, flu: dict) -> list[tuple]:
    out: list[tuple] = []
    rate = timing["articulation_rate"]
    target = flu["rate_target"]
    against_zh, against_en = ("參考錄音", "in the reference") if ref else ("一般範圍", "typical")
    if isinstance(target, list):
        lo, hi = target
        tgt = lo if rate < lo else hi
        tgt_txt = f"{lo:.1f}-{hi:.1f}"
    else:
        tgt, tgt_txt = target, f"{target:.1f}"
    if flu["rate_score"] is not None and flu["rate_score"] < 85 and rate:
        if rate > tgt:
            out.append(
                (
                    80,
                    _s(
                        "fluency",
                        "請放慢一點速度",
                        "Slow down a little",
                        (
                            f"每秒 {rate:.1f} 個音節，{against_zh}為 {tgt_txt}",
                            f"{rate:.1f} syllables/s against {tgt_txt} {against_en}",
                        ),
                    ),
                )
            )
        else:
            out.append(
                (
                    75,
                    _s(
                        "fluency",
                        "可以說得更順、更快一點",
                        "Speak a little faster and more smoothly",
                        (
                            f"每秒 {rate:.1f} 個音節，{against_zh}為 {tgt_txt}",
                            f"{rate:.1f} syllables/s against {tgt_txt} {against_en}",
                        ),
                    ),
                )
            )
    if flu["extra_pauses"] >= 1:
        n, total = timing["pause_count"], timing["pause_total"] or 0.0
        ref_n = f"，參考錄音有 {ref['pause_count']} 次" if ref else ""
        ref_en = f"; the reference has {ref['pause_count']}" if ref else ""
        out.append(
            (
                78,
                _s(
                    "fluency",
                    f"句子中間停了 {n} 次，試著一口氣說完",
                    f"You paused {n} times inside the sentence; try to say it in one go",
                    (
                        f"停頓 {n} 次，共 {total:.1f} 秒{ref_n}",
                        f"{n} pauses, {total:.1f} s in all{ref_en}",
                    ),
                ),
            )
        )
    return out


def build(facts: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(suggestions, improvement_areas) from the analysis facts gathered by the analyser."""
    rules: list[tuple] = []
    if facts.get("different_sentence"):
        rules.append(
            (
                100,
                _s(
                    "content",
                    "錄音內容和參考句子不同，請唸指定的句子",
                    "The recording does not match the sentence; please read it",
                ),
            )
        )
    rules += _word_rules(facts.get("words", []), facts.get("extra", []))
    rules += _character_rules(facts.get("syllables", []))
    rules += _tone_rules(facts.get("syllables", []))
    rules += _timing_rules(facts["timing"], facts.get("ref_timing"), facts["fluency"])
    pitch = facts["pitch"]
    if pitch.get("monotone"):
        rules.append(
            (
                50,
                _s(
                    "intonation",
                    "聲音有點平，試著讓聲音有高有低",
                    "Your voice stays flat; let it rise and fall more",
                    (
                        f"音高變化（標準差）{pitch['f0_sd_st']:.1f} 半音",
                        f"pitch SD {pitch['f0_sd_st']:.1f} semitones",
                    ),
                ),
            )
        )
    if facts.get("clipping"):
        rules.append(
            (
                40,
                _s(
                    "recording",
                    "錄音音量過大而失真，請離麥克風遠一點再錄",
                    "The recording is distorted (too loud); hold the microphone further away",
                ),
            )
        )
    rules.sort(key=lambda r: -r[0])
    suggestions = [s for _, s in rules[:MAX_SUGGESTIONS]]
    areas = []
    for area, score in facts["area_scores"].items():
        if score is not None and score < AREA_THRESHOLD:
            zh, en = AREA_NAMES[area]
            areas.append({"area": area, "zh-TW": zh, "en": en, "score": round(score, 1)})
    areas.sort(key=lambda a: a["score"])
    return suggestions, areas
