"""Linking with the learner's consent, on both backends: a learner's code links one therapist
once; expired, used and wrong codes are refused in both languages; wrong ones are throttled
without locking anybody else out; either side ends the link, after which the therapist sees
nothing (404); the client list comes in a fixed number of queries."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from tests.conftest import Account, Backend
from tests.maintenance.test_analytics import mandarin
from tests.support import rows
from vocalborn.accounts.links import ALPHABET
from vocalborn.accounts.models import LinkCode, Role, User
from vocalborn.accounts.security import create_access_token
from vocalborn.analysis.models import TaskStatus
from vocalborn.config import Settings
from vocalborn.db import utcnow

CODES = "/api/v1/links/codes"
CLIENTS = "/api/v1/therapists/me/clients"


@pytest.fixture(autouse=True)
def _no_earlier_guesses(client: TestClient) -> None:
    redis = client.app.state.redis  # type: ignore[attr-defined]
    for key in redis.scan_iter("vocalborn:link-fail:*"):
        redis.delete(key)


@pytest.fixture
def make_account(db: Session, settings: Settings):  # type: ignore[no-untyped-def]
    """Accounts written directly with a token minted for them: no password hashing (the login
    has tests of its own), so these tests stay fast."""

    def _make(role: Role = Role.CLIENT, name: str = "Test User") -> Account:
        user = rows.user(db, role)
        user.name = name
        db.commit()
        token = create_access_token(user.user_id, role, settings.secret_key, 60)
        headers = {"Authorization": f"Bearer {token}"}
        return Account(str(user.user_id), user.email, "", role, headers)

    return _make


def new_code(client: TestClient, learner: Any) -> dict[str, Any]:
    resp = client.post(CODES, headers=learner.headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def redeem(client: TestClient, therapist: Any, code: str) -> Any:
    return client.post(CLIENTS, headers=therapist.headers, json={"code": code})


def refused(resp: Any, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == code
    assert error["messages"]["en"] == error["message"]
    assert re.search(r"[\u4e00-\u9fff]", error["messages"]["zh-TW"]), error


def test_a_code_links_one_therapist_once(client: TestClient, db: Session, make_account) -> None:  # type: ignore[no-untyped-def]
    learner = make_account(Role.CLIENT, "林小華")
    therapist, other = make_account(Role.THERAPIST), make_account(Role.THERAPIST)

    created = new_code(client, learner)
    assert re.fullmatch(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", created["code"]), created
    assert timedelta(0) < _age(created) <= timedelta(hours=24)
    listed = client.get(CODES, headers=learner.headers).json()
    assert [c["code_id"] for c in listed] == [created["code_id"]] and "code" not in listed[0]
    stored = db.scalar(select(LinkCode).where(LinkCode.code_id == uuid.UUID(created["code_id"])))
    assert stored is not None and created["code"].replace("-", "") not in stored.code_hash

    # only a learner makes codes, only a therapist redeems them; a typo costs no guess
    refused(client.post(CODES, headers=therapist.headers), 403, "not_a_learner")
    refused(redeem(client, learner, created["code"]), 403, "not_a_therapist")
    refused(redeem(client, therapist, "ABC"), 422, "link_code_malformed")

    typed = created["code"].lower().replace("-", " ")
    resp = redeem(client, therapist, typed)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["user_id"], body["name"]) == (learner.user_id, "林小華")
    assert body["latest_attempts"] == [] and body["weakest"] == []
    mine = client.get("/api/v1/me/therapists", headers=learner.headers).json()
    assert [t["user_id"] for t in mine] == [therapist.user_id]

    refused(redeem(client, other, created["code"]), 410, "link_code_used")
    assert client.get(CODES, headers=learner.headers).json() == []
    assert client.get(CLIENTS, headers=other.headers).json() == []

    # a new code replaces an unused one; a revoked one is gone
    first, second = new_code(client, learner), new_code(client, learner)
    refused(redeem(client, other, first["code"]), 404, "link_code_not_found")
    revoked = client.delete(f"{CODES}/{second['code_id']}", headers=learner.headers)
    assert revoked.status_code == 204
    refused(redeem(client, other, second["code"]), 404, "link_code_not_found")
    gone = client.delete(f"{CODES}/{second['code_id']}", headers=learner.headers)
    assert gone.status_code == 404


def _age(code: dict[str, Any]) -> timedelta:
    expires = datetime.fromisoformat(code["expires_at"])
    return expires - datetime.fromisoformat(code["created_at"])


def test_an_expired_code_is_refused(client: TestClient, db: Session, make_account) -> None:  # type: ignore[no-untyped-def]
    learner, therapist = make_account(Role.CLIENT), make_account(Role.THERAPIST)
    code = new_code(client, learner)
    db.execute(
        update(LinkCode)
        .where(LinkCode.code_id == uuid.UUID(code["code_id"]))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    assert client.get(CODES, headers=learner.headers).json() == []
    refused(redeem(client, therapist, code["code"]), 410, "link_code_expired")
    assert client.get(CLIENTS, headers=therapist.headers).json() == []


def test_wrong_codes_are_limited_without_locking_out_others(
    client: TestClient, make_account
) -> None:  # type: ignore[no-untyped-def]
    learner = make_account(Role.CLIENT)
    guesser, colleague = make_account(Role.THERAPIST), make_account(Role.THERAPIST)
    code = new_code(client, learner)["code"]
    wrong = "2222-2222" if code != "2222-2222" else "3333-3333"
    for _ in range(5):
        refused(redeem(client, guesser, wrong), 404, "link_code_not_found")
    limited = redeem(client, guesser, wrong)
    refused(limited, 429, "too_many_attempts")
    assert int(limited.headers["Retry-After"]) > 0
    refused(redeem(client, guesser, code), 429, "too_many_attempts")  # right or wrong

    # a colleague at the same address, and the guesser elsewhere, still link
    assert redeem(client, colleague, code).status_code == 201
    elsewhere = TestClient(client.app, client=("10.20.30.40", 50000))
    assert redeem(elsewhere, guesser, new_code(client, learner)["code"]).status_code == 201


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the counting is Redis's
def test_wrong_codes_from_one_address_are_limited_across_therapists(
    client: TestClient, make_account
) -> None:  # type: ignore[no-untyped-def]
    learner = make_account(Role.CLIENT)
    code = new_code(client, learner)["code"]
    wrong = "2222-2222" if code != "2222-2222" else "3333-3333"
    for _ in range(4):  # four therapists, each just within their own limit: 20 wrong codes
        therapist = make_account(Role.THERAPIST)
        for _ in range(5):
            refused(redeem(client, therapist, wrong), 404, "link_code_not_found")
    fresh = make_account(Role.THERAPIST)
    refused(redeem(client, fresh, code), 429, "too_many_attempts")  # this address is spent
    elsewhere = TestClient(client.app, client=("10.20.30.41", 50000))
    assert redeem(elsewhere, fresh, code).status_code == 201


def test_unlinked_or_removed_therapists_see_nothing(
    client: TestClient, db: Session, make_account
) -> None:  # type: ignore[no-untyped-def]
    learner, therapist = make_account(Role.CLIENT), make_account(Role.THERAPIST)
    stranger = make_account(Role.THERAPIST)
    task = _attempt(db, uuid.UUID(learner.user_id), {"好": 2})
    reads = [
        f"/api/v1/analytics/learners/{learner.user_id}",
        f"/api/v1/practice/sessions?user_id={learner.user_id}",
        f"/api/v1/tasks/analysis/{task}/result",
    ]

    def sees(who: Any) -> list[int]:
        return [client.get(url, headers=who.headers).status_code for url in reads]

    assert redeem(client, therapist, new_code(client, learner)["code"]).status_code == 201
    assert sees(therapist) == [200, 200, 200]
    assert sees(stranger) == [404, 404, 404]

    unlink = f"{CLIENTS}/{learner.user_id}"
    assert client.delete(unlink, headers=therapist.headers).status_code == 204
    assert sees(therapist) == [404, 404, 404]
    assert client.delete(unlink, headers=therapist.headers).status_code == 404

    assert redeem(client, therapist, new_code(client, learner)["code"]).status_code == 201
    removal = f"/api/v1/me/therapists/{therapist.user_id}"
    assert client.delete(removal, headers=learner.headers).status_code == 204
    assert sees(therapist) == [404, 404, 404]
    assert client.get("/api/v1/me/therapists", headers=learner.headers).json() == []
    assert client.delete(removal, headers=learner.headers).status_code == 404


def _attempt(db: Session, user_id: uuid.UUID, wrong: dict[str, int], score: int = 70) -> str:
    learner = db.get(User, user_id)
    assert learner is not None
    sentence = rows.sentence(db, "你好嗎")
    rec = rows.record(db, rows.session(db, learner), sentence, status=rows.RecordStatus.AI_ANALYZED)
    task = rows.task(db, rec, learner, TaskStatus.SUCCESS, completed_at=utcnow())
    result = rows.result(db, task, *mandarin(wrong))
    result.overall_score = score  # type: ignore[assignment]
    db.commit()
    return str(task.task_id)


def test_the_client_list_takes_a_fixed_number_of_queries(
    backend: Backend, client: TestClient, db: Session, make_account
) -> None:  # type: ignore[no-untyped-def]
    therapist = make_account(Role.THERAPIST)

    def listed() -> tuple[list[dict[str, Any]], int]:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(backend.engine, "before_cursor_execute", count)
        try:
            resp = client.get(CLIENTS, headers=therapist.headers)
        finally:
            event.remove(backend.engine, "before_cursor_execute", count)
        assert resp.status_code == 200, resp.text
        return resp.json(), len(statements)

    def client_with_attempts(name: str, scores: list[int]) -> Any:
        learner = make_account(Role.CLIENT, name)
        for score in scores:
            _attempt(db, uuid.UUID(learner.user_id), {"好": 2}, score)
        assert redeem(client, therapist, new_code(client, learner)["code"]).status_code == 201
        return learner

    client_with_attempts("Ann", [50, 60, 70, 80])
    one, queries = listed()
    assert [c["name"] for c in one] == ["Ann"]
    ann = one[0]
    assert [a["overall_score"] for a in ann["latest_attempts"]] == [80, 70, 60]
    assert ann["latest_attempts"][0]["sentence_text"] == "你好嗎"
    assert ann["analyses"] == 4
    assert ann["weakest"][0] | {"detail": None} == {
        "category": "tone",
        "key": "hao3",
        "label": "好",
        "count": 4,
        "share": 1.0,
        "mean_score": 20.0,
        "detail": None,
        "zhuyin": "ㄏㄠˇ",
        "pinyin_marks": "hǎo",
    }

    client_with_attempts("Bo", [40])
    client_with_attempts("Cy", [])
    three, queries_for_three = listed()
    assert [c["name"] for c in three] == ["Ann", "Bo", "Cy"]
    assert [len(c["latest_attempts"]) for c in three] == [3, 1, 0]
    assert 3 <= queries == queries_for_three, "one query per client crept in"
