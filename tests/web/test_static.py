"""The page's files are served at `/` and `/static`, without shadowing the API, and every UI
string the page uses exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from vocalborn.web.routes import STATIC_DIR

JS_FILES = sorted(STATIC_DIR.glob("*.js"))


def test_page_and_files_are_served_without_auth(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in page.text
    for name in ["app.js", "api.js", "i18n.js", "charts.js", "progress.js", "result.js"]:
        resp = client.get(f"/static/{name}")
        assert resp.status_code == 200, name
        assert "javascript" in resp.headers["content-type"], name
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    missing = client.get("/static/nope.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_the_page_does_not_shadow_the_api(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    assert "/" not in client.get("/openapi.json").json()["paths"]
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "not_authenticated"


def _strings() -> dict[str, set[str]]:
    """The keys of each language: i18n.js and the string modules it merges (strings-*.js)."""
    tables: dict[str, set[str]] = {}
    for path in [STATIC_DIR / "i18n.js", *sorted(STATIC_DIR.glob("strings-*.js"))]:
        source = path.read_text()
        for lang, body in re.findall(r'^  "?([\w-]+)"?: \{\n(.*?)^  \},', source, re.S | re.M):
            tables.setdefault(lang, set()).update(re.findall(r'^    "?([\w ]+?)"?: ', body, re.M))
    return tables


def test_both_languages_have_the_same_strings() -> None:
    tables = _strings()
    assert set(tables) == {"zh-TW", "en"}
    assert len(tables["en"]) > 100
    assert tables["zh-TW"] == tables["en"], tables["zh-TW"] ^ tables["en"]


def _used_keys(path: Path) -> set[str]:
    text = path.read_text()
    keys = set(re.findall(r'\bt\("([\w ]+)"', text))
    keys |= set(re.findall(r'data-i18n="([\w]+)"', text))
    for attr in re.findall(r'data-i18n-attr="([^"]+)"', text):
        keys |= {pair.split(":")[1].strip() for pair in attr.split(";") if ":" in pair}
    # keys chosen between two literals: t(cond ? "a" : "b")
    keys |= set(re.findall(r'\? "([a-z_]+)" : "[a-z_]+"\)', text))
    keys |= set(re.findall(r'\? "[a-z_]+" : "([a-z_]+)"\)', text))
    return keys


def test_every_string_the_page_uses_is_translated() -> None:
    known = _strings()["en"]
    used: set[str] = set()
    for path in [STATIC_DIR / "index.html", *JS_FILES]:
        used |= _used_keys(path)
    assert len(used) > 80
    assert used <= known, used - known
