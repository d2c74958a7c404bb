"""update_error_analytics on both backends, from the analyser's JSON shapes, and the
therapist-facing read API (computed on read) with its access rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.support import rows
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import link_client
from vocalborn.analysis.models import TaskStatus
from vocalborn.analytics.models import ErrorAnalytic
from vocalborn.analytics.service import findings, update_error_analytics
from vocalborn.db import utcnow


def mandarin(
    wrong: dict[str, int], pause_before: str | None = None
) -> tuple[dict[str, Any], list[Any]]:
    """A report for 你好嗎 (ni3 hao3 ma5) with the given syllables heard with the wrong tone."""
    syllables = [("你", "ni3", 3, 0.1), ("好", "hao3", 3, 0.5), ("嗎", "ma5", 5, 1.2)]
    items = []
    for char, pinyin, tone, start in syllables:
        heard = wrong.get(char)
        items.append(
            {
                "index": len(items) + 1,
                "label": char,
                "pinyin": pinyin,
                "start": start,
                "end": start + 0.3,
                "score": 20.0 if heard else 90.0,
                "tone_expected": tone,
                "tone_heard": heard or tone,
                "status": "wrong_tone" if heard else "ok",
            }
        )
    pauses = []
    if pause_before:
        at = next(i["start"] for i in items if i["label"] == pause_before)
        pauses.append({"start": at - 0.4, "end": at - 0.02})
    detailed = {
        "phoneme_analysis": [
            {
                k: it[k]
                for k in ("label", "pinyin", "start", "end", "score", "tone_expected", "tone_heard")
            }
            for it in items
        ],
        "timing_analysis": {"learner": {"pauses": pauses, "pause_count": len(pauses)}},
    }
    return detailed, [{"text": "你好嗎", "language": "zh-TW", "items": items}]


def english(missing: str | None, bad_phone: str | None) -> tuple[dict[str, Any], list[Any]]:
    words = [
        {
            "word": "hello",
            "start": 0.1,
            "end": 0.5,
            "score": 80.0,
            "status": "ok",
            "phones": [
                {"label": "HH", "score": 90.0},
                {"label": "AH", "score": 30.0 if bad_phone == "AH" else 80.0},
            ],
        },
        {
            "word": "world",
            "start": 0.6,
            "end": 1.0,
            "score": 10.0 if missing == "world" else 85.0,
            "status": "missing" if missing == "world" else "ok",
            "phones": [{"label": "W", "score": 85.0}],
        },
    ]
    phonemes = [
        {**p, "start": 0, "end": 0, "gop": -1, "word": w["word"]}
        for w in words
        for p in w["phones"]
    ]
    items = [{k: v for k, v in w.items() if k != "phones"} for w in words]
    detailed = {"phoneme_analysis": phonemes, "timing_analysis": {"learner": {"pauses": []}}}
    return detailed, [{"text": "hello world", "language": "en", "items": items}]


def test_findings_read_the_analyser_shapes() -> None:
    found = findings(*mandarin({"好": 2}, pause_before="嗎"))
    assert [(f.category, f.key, f.note) for f in found] == [
        ("tone", "hao3", "heard 2"),
        ("pause", "before 嗎", None),
    ]
    found = findings(*english(missing="world", bad_phone="AH"))
    assert [(f.category, f.key) for f in found] == [("phone", "AH"), ("word", "world")]
    assert findings(None, None) == [] and findings({"phoneme_analysis": "junk"}, [{}]) == []


def _seed(db: Session) -> dict[str, Any]:
    now = utcnow()
    zh, en = rows.sentence(db, "你好嗎"), rows.sentence(db, "hello world")
    a, b = rows.user(db), rows.user(db)
    reports = [
        (a, zh, mandarin({"好": 2}, pause_before="嗎"), now - timedelta(days=1)),
        (a, zh, mandarin({"好": 2, "你": 2}), now - timedelta(days=2)),
        (b, zh, mandarin({"好": 4}, pause_before="嗎"), now - timedelta(days=3)),
        (a, en, english("world", "AH"), now - timedelta(days=4)),
        (b, zh, mandarin({"嗎": 1, "你": 4}), now - timedelta(days=40)),  # outside 30 days
    ]
    for owner, sent, (detailed, sentences), when in reports:
        rec = rows.record(db, rows.session(db, owner), sent, status=rows.RecordStatus.AI_ANALYZED)
        t = rows.task(db, rec, owner, TaskStatus.SUCCESS, completed_at=when, created_at=when)
        rows.result(db, t, detailed, sentences, created_at=when)
    db.commit()
    return {"a": a, "b": b, "zh": zh, "en": en, "now": now}


def _table(db: Session) -> set[tuple[Any, ...]]:
    return {
        (r.scope, str(r.scope_id), r.category, r.key, r.count, r.analyses)
        for r in db.scalars(select(ErrorAnalytic))
    }


def test_update_aggregates_per_sentence_and_learner_and_is_idempotent(
    backend: Backend, db: Session
) -> None:
    s = _seed(db)
    counts = update_error_analytics(backend.session_factory, 30, s["now"])
    assert counts["results"] == 4
    db.expire_all()
    zh, a, b = str(s["zh"].sentence_id), str(s["a"].user_id), str(s["b"].user_id)
    table = _table(db)
    assert ("sentence", zh, "tone", "hao3", 3, 3) in table
    assert ("sentence", zh, "tone", "ni3", 1, 3) in table
    assert ("sentence", zh, "pause", "before 嗎", 2, 3) in table
    assert ("learner", a, "tone", "hao3", 2, 3) in table  # a: 2 zh + 1 en analyses
    assert ("learner", a, "word", "world", 1, 3) in table
    assert ("learner", a, "phone", "AH", 1, 3) in table
    assert ("learner", b, "tone", "hao3", 1, 1) in table
    assert not any(key in ("ma5",) for *_, key, _c, _n in table)  # 40 days ago: ignored
    hao = db.scalar(
        select(ErrorAnalytic).where(ErrorAnalytic.scope == "sentence", ErrorAnalytic.key == "hao3")
    )
    assert hao is not None and hao.mean_score == 20.0
    assert hao.detail["notes"] == {"heard 2": 2, "heard 4": 1}

    again = update_error_analytics(backend.session_factory, 30, s["now"])
    assert again == counts
    db.expire_all()
    assert _table(db) == table
    assert db.scalar(select(func.count()).select_from(ErrorAnalytic)) == len(table)


def test_therapists_read_analytics_by_the_access_rules(
    backend: Backend, client: TestClient, db: Session, make_account
) -> None:  # type: ignore[no-untyped-def]
    s = _seed(db)  # no job run: the API computes on read
    learner = make_account(Role.CLIENT)
    other = make_account(Role.CLIENT)
    linked = make_account(Role.THERAPIST)
    unlinked = make_account(Role.THERAPIST)
    admin = make_account(Role.ADMIN)
    import uuid

    link_client(db, uuid.UUID(linked.user_id), uuid.UUID(learner.user_id))
    db.commit()

    url = f"/api/v1/analytics/learners/{learner.user_id}"
    for who in (learner, linked, admin):
        resp = client.get(url, headers=who.headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["items"] == {"phone": [], "tone": [], "word": [], "pause": []}
    for who in (other, unlinked):
        assert client.get(url, headers=who.headers).status_code == 404
    assert client.get(url).status_code == 401

    url = f"/api/v1/analytics/learners/{s['a'].user_id}"
    body = client.get(url, headers=admin.headers).json()
    assert body["analyses"] == 3
    assert body["items"]["tone"][0] == {
        "key": "hao3",
        "count": 2,
        "share": 0.667,
        "mean_score": 20.0,
        "detail": {"notes": {"heard 2": 2}},
        "label": "好",
    }

    url = f"/api/v1/analytics/sentences/{s['zh'].sentence_id}?limit=1"
    for who in (linked, unlinked, admin):
        resp = client.get(url, headers=who.headers)
        assert resp.status_code == 200
        assert [i["key"] for i in resp.json()["items"]["tone"]] == ["hao3"]
    assert client.get(url, headers=learner.headers).status_code == 403
    missing = "/api/v1/analytics/sentences/00000000-0000-0000-0000-000000000000"
    assert client.get(missing, headers=admin.headers).status_code == 404


def test_the_view_counts_a_result_the_moment_it_is_stored(
    client: TestClient, db: Session, make_account
) -> None:  # type: ignore[no-untyped-def]
    admin = make_account(Role.ADMIN)
    learner, zh = rows.user(db), rows.sentence(db, "你好嗎")
    db.commit()
    by_learner = f"/api/v1/analytics/learners/{learner.user_id}"
    by_sentence = f"/api/v1/analytics/sentences/{zh.sentence_id}"

    def tones(url: str) -> tuple[int, dict[str, int]]:
        body = client.get(url, headers=admin.headers).json()
        return body["analyses"], {i["key"]: i["count"] for i in body["items"]["tone"]}

    assert tones(by_learner) == (0, {}) and tones(by_sentence) == (0, {})
    stored = [({"好": 2}, 1, {"hao3": 1}), ({"好": 4, "你": 2}, 2, {"hao3": 2, "ni3": 1})]
    for wrong, analyses, expected in stored:
        rec = rows.record(db, rows.session(db, learner), zh, status=rows.RecordStatus.AI_ANALYZED)
        task = rows.task(db, rec, learner, TaskStatus.SUCCESS, completed_at=utcnow())
        rows.result(db, task, *mandarin(wrong))
        db.commit()  # stored, as the worker stores it; no job runs
        assert tones(by_learner) == (analyses, expected)
        assert tones(by_sentence) == (analyses, expected)
