"""What `vocalborn demo` prints under each sample's scores, as plain lines (pure, testable).

Four numbers do not tell anyone what to practise: these lines name each flagged word or
syllable with what was expected and what the second listener heard, the intelligibility score
and its basis, and every measure that was not assessed with the reason. Both languages, as the
rest of the demo output.
"""

from __future__ import annotations

from typing import Any

MAX_FLAGGED = 8
LABELS = {
    "substituted": "唸成別的字 / said as another word",
    "missing": "漏讀 / left out",
    "mispronounced": "發音不準 / mispronounced",
    "wrong_tone": "聲調錯誤 / wrong tone",
    "unclear": "聲調不清楚 / tone unclear",
    "extra": "多唸的字 / added",
}


def _expected(item: dict[str, Any]) -> str:
    if item.get("label"):  # a Mandarin syllable: character and pinyin
        return f"{item['label']} {item.get('pinyin', '')}".strip()
    return str(item.get("word") or "")


def _heard(item: dict[str, Any]) -> str:
    heard = item.get("heard")
    parts = [str(heard) if heard else "—"]
    tone = item.get("tone_heard")
    if item.get("status") in ("wrong_tone", "unclear") and tone:
        parts.append(f"tone {tone}")
    return ", ".join(parts)


def flagged_lines(result: dict[str, Any]) -> list[str]:
    sentences = result.get("sentence_analyses") or []
    items = sentences[0].get("items", []) if sentences and isinstance(sentences[0], dict) else []
    lines: list[str] = []
    flagged = [it for it in items if isinstance(it, dict) and it.get("status") in LABELS]
    for it in flagged[:MAX_FLAGGED]:
        label = LABELS[it["status"]]
        if it["status"] == "extra":
            lines.append(f"  ✗ +{it.get('heard') or '…'}: {label}")
        else:
            lines.append(f"  ✗ {_expected(it)} → heard {_heard(it)}: {label}")
    if len(flagged) > MAX_FLAGGED:
        lines.append(f"  … and {len(flagged) - MAX_FLAGGED} more")
    if items and not flagged:
        lines.append("  ✓ 每個字都聽到了 / every word was heard as expected")
    return lines


def detail_lines(result: dict[str, Any]) -> list[str]:
    """Flagged items, intelligibility, then what was not assessed and why."""
    lines = flagged_lines(result)
    detailed = result.get("detailed_analysis") or {}
    intel = detailed.get("intelligibility")
    if isinstance(intel, dict) and intel.get("score") is not None:
        basis = intel.get("basis") or {}
        lines.append(
            f"  清晰度 / intelligibility {float(intel['score']):.0f}: {basis.get('en', '')}"
        )
        if intel.get("heard"):
            lines.append(f"    heard without the sentence: “{intel['heard']}”")
    for name, reason in (result.get("not_assessed") or {}).items():
        if isinstance(reason, dict):
            text = f"{reason.get('zh-TW', '')} / {reason.get('en', '')}"
        else:
            text = str(reason)
        lines.append(f"  – not assessed, {name.replace('_', ' ')}: {text}")
    return lines
