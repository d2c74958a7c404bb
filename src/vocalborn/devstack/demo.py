"""`vocalborn demo`: one real analysis end to end against a running stack.

Creates a demo therapist (directly in the database, since only admins may create one through the
API) and a demo learner, uploads the bundled sample sentences with their references, submits the
learner's recordings, follows each task live over the WebSocket (polling the status endpoint if
the socket cannot be used), and prints the scores and the top suggestions.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import httpx
import websockets
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Column

from vocalborn.cli.output import Grid, make_console, print_grids, progress_display
from vocalborn.devstack.demo_text import detail_lines

DEMO_THERAPIST = ("demo.therapist@vocalborn.tw", "demo-therapist-password", "Demo Therapist")
DEMO_LEARNER = ("demo.learner@vocalborn.tw", "demo-learner-password", "Demo Learner")


@dataclass(frozen=True)
class Sample:
    text: str
    language: str
    reference: str
    learner: str


SAMPLES = (
    Sample("the quick brown fox jumps over the lazy dog", "en", "en_ref.flac", "en_learner.flac"),
    Sample("我今天很好", "zh-TW", "zh_ref.flac", "zh_learner.flac"),
)


class DemoError(RuntimeError):
    pass


def _sample_bytes(name: str) -> bytes:
    return resources.files("vocalborn.samples").joinpath(name).read_bytes()


def ensure_therapist() -> None:
    """The demo therapist, created in the configured database if it does not exist yet."""
    from sqlalchemy import select

    from vocalborn.accounts.models import Role, User
    from vocalborn.accounts.service import create_user
    from vocalborn.config import get_settings
    from vocalborn.db import make_engine, make_session_factory, session_scope

    engine = make_engine(get_settings().database_url)
    try:
        with session_scope(make_session_factory(engine)) as db:
            email, password, name = DEMO_THERAPIST
            if db.scalar(select(User).where(User.email == email)) is None:
                create_user(db, email=email, password=password, name=name, role=Role.THERAPIST)
    finally:
        engine.dispose()


def _check(resp: httpx.Response, what: str) -> Any:
    if resp.status_code >= 400:
        try:
            message = resp.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = resp.text[:200]
        raise DemoError(f"{what} failed ({resp.status_code}): {message}")
    return resp.json()


def _login(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    token = _check(http.post("/auth/login", json={"email": email, "password": password}), "login")[
        "access_token"
    ]
    return {"Authorization": f"Bearer {token}"}


def prepare(http: httpx.Client) -> tuple[dict[str, str], list[tuple[Sample, str]]]:
    """Sentences with references, a learner, a session and uploads; returns the learner's
    headers and (sample, practice_record_id) pairs."""
    therapist = _login(http, *DEMO_THERAPIST[:2])
    existing = {
        (s["text"], s["language"]): s
        for s in _check(http.get("/practice/sentences", headers=therapist), "list sentences")
    }
    email, password, name = DEMO_LEARNER
    reg = http.post("/auth/register", json={"email": email, "password": password, "name": name})
    if reg.status_code not in (201, 409):
        _check(reg, "register the demo learner")
    learner = _login(http, email, password)
    sid = _check(http.post("/practice/sessions", headers=learner), "start a session")[
        "practice_session_id"
    ]
    records = []
    for sample in SAMPLES:
        sentence = existing.get((sample.text, sample.language)) or _check(
            http.post(
                "/practice/sentences",
                headers=therapist,
                json={"text": sample.text, "language": sample.language},
            ),
            "create a sentence",
        )
        if not sentence["has_reference"]:
            _check(
                http.put(
                    f"/practice/sentences/{sentence['sentence_id']}/reference",
                    headers=therapist,
                    files={"file": (sample.reference, _sample_bytes(sample.reference))},
                ),
                "upload a reference",
            )
        up = _check(
            http.put(
                f"/practice/sessions/{sid}/recordings/{sentence['sentence_id']}",
                headers=learner,
                files={"file": (sample.learner, _sample_bytes(sample.learner))},
            ),
            "upload a recording",
        )
        records.append((sample, up["practice_record_id"]))
    return learner, records


async def follow(
    base_url: str,
    token: str,
    task_id: str,
    progress: Progress,
    bar: TaskID,
    http: httpx.AsyncClient,
    timeout: float,
) -> str:
    """Live progress over the WebSocket; polling the status endpoint if the socket fails."""
    ws_url = base_url.replace("http", "ws", 1) + f"/tasks/ws/task/{task_id}?token={token}"
    try:
        async with asyncio.timeout(timeout):
            async with websockets.connect(ws_url, open_timeout=10) as ws:
                async for raw in ws:
                    event = json.loads(raw)
                    progress.update(
                        bar,
                        completed=event.get("progress", 0),
                        step=event.get("current_step") or event.get("status", ""),
                    )
                    if event.get("status") in ("success", "failure", "cancelled"):
                        return str(event["status"])
    except (OSError, websockets.WebSocketException, TimeoutError):
        pass
    return await _poll(task_id, progress, bar, http, timeout)


async def _poll(
    task_id: str, progress: Progress, bar: TaskID, http: httpx.AsyncClient, timeout: float
) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        status = (await http.get(f"/tasks/analysis/{task_id}/status")).json()
        progress.update(
            bar,
            completed=status.get("progress", 0),
            step=status.get("current_step") or status.get("status", ""),
        )
        if status.get("status") in ("success", "failure", "cancelled"):
            return str(status["status"])
        await asyncio.sleep(0.5)
    raise DemoError(f"task {task_id} did not finish within {timeout:.0f} s")


async def _run_all(
    base_url: str,
    headers: dict[str, str],
    tasks: list[tuple[Sample, str]],
    timeout: float,
    console: Console,
) -> dict[str, str]:
    token = headers["Authorization"].split()[1]
    columns = (
        TextColumn("{task.description}", table_column=Column(overflow="fold")),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[step]}"),
    )
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        with progress_display(console, *columns) as progress:  # plain lines in a pipe
            bars = {tid: progress.add_task(s.text, total=100, step="queued") for s, tid in tasks}
            results = await asyncio.gather(
                *(
                    follow(base_url, token, tid, progress, bars[tid], http, timeout)
                    for _, tid in tasks
                )
            )
    return {tid: status for (_, tid), status in zip(tasks, results, strict=True)}


def run_demo(api_url: str, timeout: float = 300.0, console: Console | None = None) -> bool:
    console = console or make_console()
    base_url = api_url.rstrip("/") + "/api/v1"
    ensure_therapist()
    with httpx.Client(base_url=base_url, timeout=60) as http:
        headers, records = prepare(http)
        tasks = []
        for sample, record_id in records:
            sub = _check(
                http.post(
                    "/tasks/analysis/submit",
                    headers=headers,
                    json={"practice_record_id": record_id},
                ),
                "submit",
            )
            console.print(
                f"submitted [bold]{sample.text}[/bold]: task {sub['task_id']} "
                f"(queue position {sub.get('queue_position')})"
            )
            tasks.append((sample, sub["task_id"]))
        statuses = asyncio.run(_run_all(base_url, headers, tasks, timeout, console))
        ok = True
        for sample, task_id in tasks:
            if statuses[task_id] != "success":
                status = http.get(f"/tasks/analysis/{task_id}/status", headers=headers).json()
                console.print(
                    f"[red]{sample.text}: {statuses[task_id]} — "
                    f"{(status.get('error') or {}).get('message', '')}[/red]"
                )
                ok = False
                continue
            _print_result(
                console,
                sample,
                _check(
                    http.get(f"/tasks/analysis/{task_id}/result", headers=headers), "read result"
                ),
            )
    return ok


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1f}"


def _print_result(console: Console, sample: Sample, result: dict[str, Any]) -> None:
    names = ("overall_score", "pronunciation_accuracy", "fluency_score", "rhythm_score")
    columns = tuple(n.replace("_", " ") for n in names)
    row = tuple(_fmt(result.get(n)) for n in names)
    print_grids(console, Grid(f"{sample.text} ({sample.language})", columns, [row]))
    for line in detail_lines(result):
        console.print(line, markup=False, highlight=False)
    for item in (result.get("suggestions") or [])[:3]:
        if isinstance(item, dict):
            console.print(f"  • {item.get('zh-TW', '')} / {item.get('en', '')}")
        else:
            console.print(f"  • {item}")
