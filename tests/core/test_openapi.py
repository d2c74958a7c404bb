"""`/openapi.json` documents every JSON answer of the API (`/api/v1`) by a named schema (no
bare `dict[str, Any]`), so clients and the docs see each field. The health probes are not
the API."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_settings
from vocalborn.app import create_app


def test_every_json_answer_names_its_schema(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", "redis://127.0.0.1:1/0")
    spec = create_app(settings).openapi()  # no request: nothing connects
    schemas = spec["components"]["schemas"]
    unnamed = []
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in operations.items():
            for code, answer in op["responses"].items():
                body = answer.get("content", {}).get("application/json", {}).get("schema")
                if not code.startswith("2") or body is None:
                    continue
                checked += 1
                ref = body.get("$ref") or body.get("items", {}).get("$ref")
                name = ref.rsplit("/", 1)[-1] if ref else None
                if name not in schemas or not schemas[name].get("properties"):
                    unnamed.append(f"{method.upper()} {path} {code}")
    assert checked > 30
    assert unnamed == [], unnamed
    # the admin answers say what their fields are
    stats = schemas["StatsOut"]["properties"]
    assert stats["generated_at"]["format"] == "date-time"
    assert "redis_error" not in schemas["StatsOut"]["required"]
    assert set(schemas["ScheduleOut"]["required"]) >= {"name", "next_run_at", "timezone"}
