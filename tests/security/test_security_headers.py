"""Security headers on every answer, a looser CSP only for the API docs, and recordings sent as
attachments (issue 13). In-process app on both database backends."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.audio import tone_wav
from vocalborn.practice.models import PracticeRecord
from vocalborn.security_headers import DOCS_POLICY, policy_for


def directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_hardened(resp: object) -> dict[str, list[str]]:
    headers = resp.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    csp = directives(headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    return csp


def test_the_page_and_its_files_get_a_self_only_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    csp = assert_hardened(page)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline or foreign script, no eval
    # the page sets score-meter widths in style attributes: inline styles only, no script
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    # the WebSocket of the host the page was loaded from is allowed, nothing else
    assert csp["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    assert csp["media-src"] == ["'self'", "blob:"]  # recordings play from blob: URLs
    for path in ("/static/app.js", "/static/style.css"):
        assert assert_hardened(client.get(path))["script-src"] == ["'self'"]


def test_api_answers_and_errors_carry_the_headers_too(client: TestClient) -> None:
    assert_hardened(client.get("/healthz"))
    missing = client.get("/api/v1/auth/me")
    assert missing.status_code == 401
    assert_hardened(missing)
    assert_hardened(client.get("/api/v1/nope"))


def test_docs_get_their_own_policy_that_still_forbids_framing(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    csp = assert_hardened(docs)
    assert docs.headers["content-security-policy"] == DOCS_POLICY
    # served offline (web/api_docs.py): our files only, no inline script, no other host
    assert csp["script-src"] == ["'self'"] and "http" not in DOCS_POLICY
    assert "<script>" not in docs.text and "http" not in docs.text
    redoc = client.get("/redoc")
    assert redoc.headers["content-security-policy"] == DOCS_POLICY
    assert "<script>" not in redoc.text and "http" not in redoc.text.replace("http-equiv", "")
    # the app's own policy elsewhere, even on look-alike paths
    assert "worker-src" not in policy_for("/docsx", "h")
    assert policy_for("/docsx", "h") == policy_for("/", "h")


def test_a_forged_host_header_cannot_inject_policy(client: TestClient) -> None:
    resp = client.get("/", headers={"Host": "evil.example; script-src *"})
    policy = resp.headers["content-security-policy"]
    assert "evil" not in policy and "script-src *" not in policy
    assert directives(policy)["connect-src"] == ["'self'"]


def test_recordings_are_downloaded_as_attachments(
    client: TestClient, make_account, make_record, db: Session, app, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record: PracticeRecord = make_record(owner.user_id)
    stored = app.state.storage.path(record.audio_path)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(tone_wav(tmp_path / "a.wav", seconds=0.3).read_bytes())
    url = f"/api/v1/practice/records/{record.practice_record_id}/audio"
    resp = client.get(url, headers=owner.headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("audio/")
    assert resp.headers["content-disposition"] == (
        f'attachment; filename="{record.practice_record_id}.wav"'
    )
    assert_hardened(resp)
    # refusals are JSON errors, not downloads
    other = client.get(f"/api/v1/practice/records/{uuid.uuid4()}/audio", headers=owner.headers)
    assert other.status_code == 404 and "content-disposition" not in other.headers
