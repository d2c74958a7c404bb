"""Authorization matrix: every route of the app (HTTP and WebSocket, enumerated from
`app.routes`, so a new route without an entry here fails) called by an anonymous caller, the
owner (a client), another client, the owner's linked therapist, an unlinked therapist and an
admin, each getting exactly the answer of the access rules (DESIGN §5).

A refusal for somebody else's object is the same 404 as for an id that does not exist, so ids
reveal nothing; WebSocket and SSE refuse foreign tasks before sending anything; no answer ever
carries a password hash; audio comes from server-made paths only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import update
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from tests.e2e.harness import Live
from tests.support.audio import tone_wav
from vocalborn.accounts.links import create_code
from vocalborn.accounts.models import Role, User
from vocalborn.accounts.service import link_client
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.db import make_session_factory, utcnow
from vocalborn.practice.models import PracticeRecord, RecordStatus, Sentence
from vocalborn.worker.names import REAP_STUCK_TASKS

pytestmark = pytest.mark.e2e

ANON, OWNER, OTHER, LINKED, UNLINKED, ADMIN = (
    "anonymous", "owner", "other client", "linked therapist", "unlinked therapist", "admin",
)  # fmt: skip
# Refused callers first, so that an allowed call changing the object comes last.
ORDER = (ANON, OTHER, UNLINKED, LINKED, ADMIN, OWNER)
NO_SUCH = "00000000-0000-4000-8000-000000000000"
WS_SNAPSHOT_THEN_CLOSE = 1000  # WebSocket outcomes are close codes
WS_REFUSED = 1008


@dataclass
class Answer:
    status: int
    body: Any = None
    raw: bytes = b""


@dataclass
class World:
    live: Live
    ids: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    session_id: str = ""
    sentence_id: str = ""
    record_id: str = ""
    audio: bytes = b""
    task_id: str = ""  # finished with a result
    answers: list[Answer] = field(default_factory=list)
    counter: int = 0

    # --- helpers -----------------------------------------------------------------------------
    def http(self, actor: str, method: str, url: str, **kwargs: Any) -> Answer:
        resp = self.live.client.request(method, url, headers=self.headers[actor], **kwargs)
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        answer = Answer(resp.status_code, body, resp.content)
        self.answers.append(answer)
        return answer

    def unique(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}-{self.counter}-{uuid.uuid4().hex[:6]}"

    def db(self):  # type: ignore[no-untyped-def]
        return make_session_factory(self.live.engine)()

    def fresh_record(self) -> str:
        return self.live.recording(self.headers[OWNER], self.session_id)["record_id"]

    def fresh_pending(self) -> str:
        return str(self.live.submit(self.headers[OWNER], self.fresh_record())["task_id"])

    def fresh_failed(self) -> str:
        task_id = self.fresh_pending()
        with self.db() as db:
            db.execute(
                update(AnalysisTask)
                .where(AnalysisTask.task_id == uuid.UUID(task_id))
                .values(status=TaskStatus.FAILURE, error_type="file", completed_at=utcnow())
            )
            db.execute(
                update(PracticeRecord)
                .where(PracticeRecord.ai_task_id == uuid.UUID(task_id))
                .values(record_status=RecordStatus.RECORDED)
            )
            db.commit()
        return task_id

    def fresh_schedule(self) -> str:
        name = self.unique("matrix")
        body = {"name": name, "task": REAP_STUCK_TASKS, "interval_seconds": 3600}
        assert self.http(ADMIN, "POST", "/api/v1/admin/schedules", json=body).status == 201
        return name

    def fresh_user(self, role: Role) -> str:
        with self.db() as db:
            email = f"{self.unique(role.value)}@vocalborn.tw"
            user = User(email=email, password_hash="x", role=role, name="Fresh")
            db.add(user)
            db.commit()
            return str(user.user_id)

    def fresh_link(self, therapist: str, client: str) -> None:
        with self.db() as db:
            link_client(db, uuid.UUID(therapist), uuid.UUID(client))
            db.commit()

    def fresh_code(self, learner: str | None = None) -> tuple[str, str]:
        """(code_id, code) of a new link code: the given learner's, or a new learner's (so
        that redeeming it links nobody the matrix relies on)."""
        settings = self.live.client.app.state.settings  # type: ignore[attr-defined]
        owner = learner or self.fresh_user(Role.CLIENT)
        with self.db() as db:
            user = db.get(User, uuid.UUID(owner))
            created = create_code(db, user, settings.secret_key, 60)  # type: ignore[arg-type]
            db.commit()
            return str(created.row.code_id), created.code

    def linked_learner(self) -> str:
        """A new learner linked to the linked therapist (unlinking it changes nothing else)."""
        learner = self.fresh_user(Role.CLIENT)
        self.fresh_link(self.ids[LINKED], learner)
        return learner

    def owners_therapist(self) -> str:
        """A new therapist linked to the owner (the owner removing it changes nothing else)."""
        therapist = self.fresh_user(Role.THERAPIST)
        self.fresh_link(therapist, self.ids[OWNER])
        return therapist

    def upload(self) -> dict[str, Any]:
        return {"files": {"file": ("../../etc/passwd\x00.wav", self.audio, "audio/wav")}}

    def websocket(self, actor: str, task_id: str) -> Answer:
        """Close code after the snapshot (1000) or without any message (1008)."""
        url = f"/api/v1/tasks/ws/task/{task_id}"
        token = self.headers[actor].get("Authorization", " ").split(" ", 1)[1]
        messages: list[Any] = []
        try:
            with self.live.client.websocket_connect(url) as ws:
                ws.send_text(json.dumps({"token": token}))
                while True:
                    messages.append(ws.receive_json())
        except WebSocketDisconnect as exc:
            code = exc.code
        except WebSocketDenialResponse as exc:  # pragma: no cover - the route accepts first
            code = exc.status_code
        raw = json.dumps(messages).encode()
        if code == WS_REFUSED:
            assert messages == [], messages  # nothing about the task leaks before the close
        else:
            assert messages and messages[0]["type"] == "snapshot", messages
            assert messages[0]["task_id"] == task_id
        answer = Answer(code, messages, raw)
        self.answers.append(answer)
        return answer

    def sse(self, actor: str, task_id: str) -> Answer:
        url = f"/api/v1/tasks/analysis/{task_id}/events"
        with self.live.client.stream("GET", url, headers=self.headers[actor]) as resp:
            raw = b"".join(resp.iter_bytes())
        body = json.loads(raw) if not resp.headers["content-type"].startswith("text/") else None
        if resp.status_code == 200:
            assert b"event: snapshot" in raw and b"event: end" in raw, raw
        answer = Answer(resp.status_code, body, raw)
        self.answers.append(answer)
        return answer


@dataclass(frozen=True)
class Rule:
    call: Callable[[World, str], Answer]
    expect: dict[str, int]
    # the same route for an id that does not exist: refusals must look exactly like it
    unknown: Callable[[World, str], Answer] | None = None


def everyone(code: int) -> dict[str, int]:
    return dict.fromkeys(ORDER, code)


def authed(code: int) -> dict[str, int]:
    return {**everyone(code), ANON: 401}


def staff(code: int) -> dict[str, int]:
    return {**authed(code), OWNER: 403, OTHER: 403}


def admins(code: int) -> dict[str, int]:
    return {**authed(403), ADMIN: code}


def readers(code: int) -> dict[str, int]:
    """The owner's data: owner, linked therapist, admin; others as if it did not exist."""
    return {**authed(code), OTHER: 404, UNLINKED: 404}


def owner_only(code: int) -> dict[str, int]:
    return {**authed(404), OWNER: code}


def get(url: Callable[[World], str]) -> Callable[[World, str], Answer]:
    return lambda w, actor: w.http(actor, "GET", url(w))


V1 = "/api/v1"
T = f"{V1}/tasks/analysis"
RULES: dict[tuple[str, str], Rule] = {
    # --- public ------------------------------------------------------------------------------
    ("GET", "/openapi.json"): Rule(get(lambda w: "/openapi.json"), everyone(200)),
    ("GET", "/docs"): Rule(get(lambda w: "/docs"), everyone(200)),
    ("GET", "/docs-assets"): Rule(get(lambda w: "/docs-assets/swagger-ui.css"), everyone(200)),
    ("GET", "/redoc"): Rule(get(lambda w: "/redoc"), everyone(200)),
    ("GET", "/favicon.ico"): Rule(get(lambda w: "/favicon.ico"), everyone(200)),
    ("GET", "/healthz"): Rule(get(lambda w: "/healthz"), everyone(200)),
    ("GET", "/readyz"): Rule(get(lambda w: "/readyz"), everyone(200)),
    ("GET", "/metrics"): Rule(get(lambda w: "/metrics"), everyone(200)),
    ("GET", "/"): Rule(get(lambda w: "/"), everyone(200)),
    ("GET", "/static"): Rule(get(lambda w: "/static/app.js"), everyone(200)),
    # --- accounts ----------------------------------------------------------------------------
    ("POST", f"{V1}/auth/register"): Rule(
        lambda w, a: w.http(
            a,
            "POST",
            f"{V1}/auth/register",
            json={
                "email": f"{w.unique('new')}@vocalborn.tw",
                "password": "long enough",
                "name": "N",
            },
        ),
        everyone(201),
    ),
    ("POST", f"{V1}/auth/login"): Rule(
        lambda w, a: w.http(
            a,
            "POST",
            f"{V1}/auth/login",
            json={"email": w.ids["owner_email"], "password": "correct horse battery"},
        ),
        everyone(200),
    ),
    ("GET", f"{V1}/auth/me"): Rule(get(lambda w: f"{V1}/auth/me"), authed(200)),
    ("POST", f"{V1}/admin/users"): Rule(
        lambda w, a: w.http(
            a,
            "POST",
            f"{V1}/admin/users",
            json={
                "email": f"{w.unique('made')}@vocalborn.tw",
                "password": "long enough",
                "name": "M",
                "role": "therapist",
            },
        ),
        admins(201),
    ),
    ("POST", f"{V1}/therapists/{{therapist_id}}/clients/{{client_id}}"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/therapists/{w.ids[UNLINKED]}/clients/{w.ids[OTHER]}"),
        admins(201),
    ),
    ("GET", f"{V1}/therapists/me/clients"): Rule(
        get(lambda w: f"{V1}/therapists/me/clients"), staff(200)
    ),
    # --- linking with the learner's consent --------------------------------------------------
    ("POST", f"{V1}/links/codes"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/links/codes"),
        {**authed(403), OWNER: 201, OTHER: 201},
    ),
    ("GET", f"{V1}/links/codes"): Rule(get(lambda w: f"{V1}/links/codes"), authed(200)),
    ("DELETE", f"{V1}/links/codes/{{code_id}}"): Rule(
        lambda w, a: w.http(a, "DELETE", f"{V1}/links/codes/{w.fresh_code(w.ids[OWNER])[0]}"),
        owner_only(204),
        unknown=lambda w, a: w.http(a, "DELETE", f"{V1}/links/codes/{NO_SUCH}"),
    ),
    ("POST", f"{V1}/therapists/me/clients"): Rule(
        lambda w, a: w.http(
            a, "POST", f"{V1}/therapists/me/clients", json={"code": w.fresh_code()[1]}
        ),
        {**authed(403), LINKED: 201, UNLINKED: 201},
    ),
    ("DELETE", f"{V1}/therapists/me/clients/{{client_id}}"): Rule(
        lambda w, a: w.http(a, "DELETE", f"{V1}/therapists/me/clients/{w.linked_learner()}"),
        {**authed(404), OWNER: 403, OTHER: 403, LINKED: 204},
        unknown=lambda w, a: w.http(a, "DELETE", f"{V1}/therapists/me/clients/{NO_SUCH}"),
    ),
    ("GET", f"{V1}/me/therapists"): Rule(get(lambda w: f"{V1}/me/therapists"), authed(200)),
    ("DELETE", f"{V1}/me/therapists/{{therapist_id}}"): Rule(
        lambda w, a: w.http(a, "DELETE", f"{V1}/me/therapists/{w.owners_therapist()}"),
        owner_only(204),
        unknown=lambda w, a: w.http(a, "DELETE", f"{V1}/me/therapists/{NO_SUCH}"),
    ),
    # --- practice ----------------------------------------------------------------------------
    ("POST", f"{V1}/practice/sentences"): Rule(
        lambda w, a: w.http(
            a,
            "POST",
            f"{V1}/practice/sentences",
            json={"text": "今天天氣很好", "language": "zh-TW"},
        ),
        staff(201),
    ),
    ("GET", f"{V1}/practice/sentences"): Rule(
        get(lambda w: f"{V1}/practice/sentences"), authed(200)
    ),
    ("GET", f"{V1}/practice/sentences/{{sentence_id}}"): Rule(
        get(lambda w: f"{V1}/practice/sentences/{w.sentence_id}"),
        authed(200),
        unknown=get(lambda w: f"{V1}/practice/sentences/{NO_SUCH}"),
    ),
    ("PUT", f"{V1}/practice/sentences/{{sentence_id}}/reference"): Rule(
        lambda w, a: w.http(
            a, "PUT", f"{V1}/practice/sentences/{w.sentence_id}/reference", **w.upload()
        ),
        # the sentence's creator (the linked therapist, see `world`) or an admin
        {**staff(200), UNLINKED: 403},
    ),
    ("GET", f"{V1}/practice/sentences/{{sentence_id}}/reference/audio"): Rule(
        get(lambda w: f"{V1}/practice/sentences/{w.sentence_id}/reference/audio"), authed(200)
    ),
    ("POST", f"{V1}/practice/sessions"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/practice/sessions"), authed(201)
    ),
    ("GET", f"{V1}/practice/sessions"): Rule(
        get(lambda w: f"{V1}/practice/sessions?user_id={w.ids[OWNER]}"),
        readers(200),
        unknown=get(lambda w: f"{V1}/practice/sessions?user_id={NO_SUCH}"),
    ),
    ("GET", f"{V1}/practice/history"): Rule(
        get(lambda w: f"{V1}/practice/history?user_id={w.ids[OWNER]}"),
        readers(200),
        unknown=get(lambda w: f"{V1}/practice/history?user_id={NO_SUCH}"),
    ),
    ("GET", f"{V1}/practice/sessions/{{session_id}}"): Rule(
        get(lambda w: f"{V1}/practice/sessions/{w.session_id}"),
        readers(200),
        unknown=get(lambda w: f"{V1}/practice/sessions/{NO_SUCH}"),
    ),
    ("PUT", f"{V1}/practice/sessions/{{session_id}}/recordings/{{sentence_id}}"): Rule(
        lambda w, a: w.http(
            a,
            "PUT",
            f"{V1}/practice/sessions/{w.session_id}/recordings/{w.sentence_id}",
            **w.upload(),
        ),
        owner_only(200),
        unknown=lambda w, a: w.http(
            a, "PUT", f"{V1}/practice/sessions/{NO_SUCH}/recordings/{w.sentence_id}", **w.upload()
        ),
    ),
    ("GET", f"{V1}/practice/records/{{record_id}}"): Rule(
        get(lambda w: f"{V1}/practice/records/{w.record_id}"),
        readers(200),
        unknown=get(lambda w: f"{V1}/practice/records/{NO_SUCH}"),
    ),
    ("GET", f"{V1}/practice/records/{{record_id}}/audio"): Rule(
        get(lambda w: f"{V1}/practice/records/{w.record_id}/audio"),
        readers(200),
        unknown=get(lambda w: f"{V1}/practice/records/{NO_SUCH}/audio"),
    ),
    # --- analysis tasks ----------------------------------------------------------------------
    ("POST", f"{T}/submit"): Rule(
        lambda w, a: w.http(
            a, "POST", f"{T}/submit", json={"practice_record_id": w.fresh_record()}
        ),
        owner_only(202),
        unknown=lambda w, a: w.http(a, "POST", f"{T}/submit", json={"practice_record_id": NO_SUCH}),
    ),
    ("GET", f"{T}/{{task_id}}/status"): Rule(
        get(lambda w: f"{T}/{w.task_id}/status"),
        readers(200),
        unknown=get(lambda w: f"{T}/{NO_SUCH}/status"),
    ),
    ("GET", f"{T}/{{task_id}}/result"): Rule(
        get(lambda w: f"{T}/{w.task_id}/result"),
        readers(200),
        unknown=get(lambda w: f"{T}/{NO_SUCH}/result"),
    ),
    ("GET", f"{T}/session/{{session_id}}/status"): Rule(
        get(lambda w: f"{T}/session/{w.session_id}/status"),
        readers(200),
        unknown=get(lambda w: f"{T}/session/{NO_SUCH}/status"),
    ),
    ("POST", f"{T}/{{task_id}}/cancel"): Rule(
        lambda w, a: w.http(a, "POST", f"{T}/{w.fresh_pending()}/cancel"),
        owner_only(200),
        unknown=lambda w, a: w.http(a, "POST", f"{T}/{NO_SUCH}/cancel"),
    ),
    ("POST", f"{T}/{{task_id}}/retry"): Rule(
        lambda w, a: w.http(a, "POST", f"{T}/{w.fresh_failed()}/retry"),
        owner_only(202),
        unknown=lambda w, a: w.http(a, "POST", f"{T}/{NO_SUCH}/retry"),
    ),
    ("GET", f"{T}/{{task_id}}/events"): Rule(
        lambda w, a: w.sse(a, w.task_id),
        readers(200),
        unknown=lambda w, a: w.sse(a, NO_SUCH),
    ),
    ("WS", f"{V1}/tasks/ws/task/{{task_id}}"): Rule(
        lambda w, a: w.websocket(a, w.task_id),
        {
            **everyone(WS_SNAPSHOT_THEN_CLOSE),
            ANON: WS_REFUSED,
            OTHER: WS_REFUSED,
            UNLINKED: WS_REFUSED,
        },
        unknown=lambda w, a: w.websocket(a, NO_SUCH),
    ),
    # --- analytics ---------------------------------------------------------------------------
    ("GET", f"{V1}/analytics/learners/{{user_id}}"): Rule(
        get(lambda w: f"{V1}/analytics/learners/{w.ids[OWNER]}"),
        readers(200),
        unknown=get(lambda w: f"{V1}/analytics/learners/{NO_SUCH}"),
    ),
    ("GET", f"{V1}/analytics/sentences/{{sentence_id}}"): Rule(
        get(lambda w: f"{V1}/analytics/sentences/{w.sentence_id}"), staff(200)
    ),
    # --- admin -------------------------------------------------------------------------------
    ("GET", f"{V1}/admin/tasks/stats"): Rule(get(lambda w: f"{V1}/admin/tasks/stats"), admins(200)),
    ("DELETE", f"{V1}/admin/tasks/{{task_id}}"): Rule(
        lambda w, a: w.http(a, "DELETE", f"{V1}/admin/tasks/{w.fresh_pending()}"), admins(200)
    ),
    ("POST", f"{V1}/admin/tasks/{{task_id}}/retry"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/admin/tasks/{w.fresh_failed()}/retry"),
        admins(202),
    ),
    ("POST", f"{V1}/admin/tasks/cleanup"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/admin/tasks/cleanup"), admins(202)
    ),
    ("GET", f"{V1}/admin/workers"): Rule(get(lambda w: f"{V1}/admin/workers"), admins(200)),
    ("GET", f"{V1}/admin/queues"): Rule(get(lambda w: f"{V1}/admin/queues"), admins(200)),
    ("GET", f"{V1}/admin/schedules"): Rule(get(lambda w: f"{V1}/admin/schedules"), admins(200)),
    ("POST", f"{V1}/admin/schedules"): Rule(
        lambda w, a: w.http(
            a,
            "POST",
            f"{V1}/admin/schedules",
            json={"name": w.unique("new"), "task": REAP_STUCK_TASKS, "interval_seconds": 600},
        ),
        admins(201),
    ),
    ("GET", f"{V1}/admin/schedules/{{name}}"): Rule(
        lambda w, a: w.http(a, "GET", f"{V1}/admin/schedules/{w.fresh_schedule()}"), admins(200)
    ),
    ("PUT", f"{V1}/admin/schedules/{{name}}"): Rule(
        lambda w, a: w.http(
            a,
            "PUT",
            f"{V1}/admin/schedules/{w.fresh_schedule()}",
            json={"task": REAP_STUCK_TASKS, "interval_seconds": 120},
        ),
        admins(200),
    ),
    ("PATCH", f"{V1}/admin/schedules/{{name}}"): Rule(
        lambda w, a: w.http(
            a, "PATCH", f"{V1}/admin/schedules/{w.fresh_schedule()}", json={"enabled": False}
        ),
        admins(200),
    ),
    ("DELETE", f"{V1}/admin/schedules/{{name}}"): Rule(
        lambda w, a: w.http(a, "DELETE", f"{V1}/admin/schedules/{w.fresh_schedule()}"),
        admins(204),
    ),
    ("POST", f"{V1}/admin/schedules/{{name}}/enable"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/admin/schedules/{w.fresh_schedule()}/enable"),
        admins(200),
    ),
    ("POST", f"{V1}/admin/schedules/{{name}}/disable"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/admin/schedules/{w.fresh_schedule()}/disable"),
        admins(200),
    ),
    ("POST", f"{V1}/admin/schedules/{{name}}/run-now"): Rule(
        lambda w, a: w.http(a, "POST", f"{V1}/admin/schedules/{w.fresh_schedule()}/run-now"),
        admins(202),
    ),
    ("GET", f"{V1}/admin/jobs"): Rule(get(lambda w: f"{V1}/admin/jobs"), admins(200)),
}


def _walk(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is not None:  # a router included by FastAPI
            yield from _walk(candidates())
            continue
        yield getattr(route, "starlette_route", None) or route


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; WebSocket routes as ("WS", path)."""
    found: set[tuple[str, str]] = set()
    for route in _walk(list(app.routes)):
        if isinstance(route, WebSocketRoute):
            found.add(("WS", route.path))
        elif isinstance(route, Mount):
            found.add(("GET", route.path))
        elif isinstance(route, APIRoute | Route) or hasattr(route, "methods"):
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, str(route.path)))
    return found


@pytest.fixture
def world(live: Live) -> World:
    # Rules below leave many of the owner's analyses pending (no worker): the per-learner cap
    # on active analyses (tests/analysis/test_active_cap.py) is not what this matrix checks.
    app_state = live.client.app.state  # type: ignore[attr-defined]
    app_state.settings = app_state.settings.model_copy(update={"MAX_ACTIVE_TASKS_PER_USER": 0})
    w = World(live)
    w.headers[ANON] = {}
    for actor, role in [(OWNER, Role.CLIENT), (OTHER, Role.CLIENT), (LINKED, Role.THERAPIST),
                        (UNLINKED, Role.THERAPIST), (ADMIN, Role.ADMIN)]:  # fmt: skip
        w.ids[actor], w.headers[actor] = live.account(role)
    w.ids["owner_email"] = w.http(OWNER, "GET", f"{V1}/auth/me").body["email"]
    with w.db() as db:
        link_client(db, uuid.UUID(w.ids[LINKED]), uuid.UUID(w.ids[OWNER]))
        db.commit()
    wav = tone_wav(live.tmp / "matrix.wav", seconds=0.6)
    w.audio = wav.read_bytes()
    ids = live.recording(w.headers[OWNER])
    w.session_id, w.sentence_id, w.record_id = (
        ids["session_id"],
        ids["sentence_id"],
        ids["record_id"],
    )
    with w.db() as db:  # the linked therapist wrote the sentence
        db.execute(
            update(Sentence)
            .where(Sentence.sentence_id == uuid.UUID(w.sentence_id))
            .values(created_by=uuid.UUID(w.ids[LINKED]))
        )
        db.commit()
    ref = w.http(LINKED, "PUT", f"{V1}/practice/sentences/{w.sentence_id}/reference", **w.upload())
    assert ref.status == 200, ref.body
    # a finished analysis with its result
    w.task_id = w.fresh_pending()
    with w.db() as db:
        tid = uuid.UUID(w.task_id)
        db.execute(update(AnalysisTask).where(AnalysisTask.task_id == tid).values(
            status=TaskStatus.SUCCESS, progress=100, completed_at=utcnow()))  # fmt: skip
        db.add(AnalysisResult(task_id=tid, overall_score=80, detailed_analysis={"x": 1}))
        db.commit()
    w.answers.clear()
    return w


def test_every_route_has_a_matrix_entry(live: Live) -> None:
    served = app_routes(live.client.app)
    assert served - set(RULES) == set(), "routes without an authorization rule"
    assert set(RULES) - served == set(), "rules for routes the app no longer serves"


def test_authorization_matrix(world: World) -> None:
    failures: list[str] = []
    for (method, path), rule in RULES.items():
        for actor in ORDER:
            answer = rule.call(world, actor)
            expected = rule.expect[actor]
            if answer.status != expected:
                failures.append(f"{method} {path} as {actor}: {answer.status} != {expected} "
                                f"{answer.raw[:200]!r}")  # fmt: skip
                continue
            if answer.status >= 400 and answer.status < 600 and method != "WS":
                err = (answer.body or {}).get("error") if isinstance(answer.body, dict) else None
                if not (isinstance(err, dict) and {"code", "message"} <= set(err)):
                    failures.append(f"{method} {path} as {actor}: no error shape {answer.raw!r}")
            if rule.unknown is not None and answer.status in (404, WS_REFUSED):
                # refusing somebody else's object looks exactly like a missing one
                missing = rule.unknown(world, actor)
                if (missing.status, missing.body) != (answer.status, answer.body):
                    failures.append(f"{method} {path} as {actor}: foreign answer differs from "
                                    f"unknown id: {answer.raw!r} vs {missing.raw!r}")  # fmt: skip
    assert not failures, "\n".join(failures)
    for answer in world.answers:
        assert b"$argon2" not in answer.raw and b"password_hash" not in answer.raw, answer.raw


def test_lists_show_only_what_the_caller_may_see(world: World) -> None:
    owner_session = world.session_id
    for actor in (OTHER, UNLINKED, LINKED, ADMIN):
        own = world.http(actor, "GET", f"{V1}/practice/sessions")
        assert own.status == 200
        assert owner_session not in own.raw.decode()  # without ?user_id: only one's own
    linked = world.http(LINKED, "GET", f"{V1}/therapists/me/clients").body
    unlinked = world.http(UNLINKED, "GET", f"{V1}/therapists/me/clients").body
    assert [c["user_id"] for c in linked] == [world.ids[OWNER]]
    assert world.ids[OWNER] not in json.dumps(unlinked)
    # audio is served from the server's own file, whatever the upload was called
    audio = world.http(LINKED, "GET", f"{V1}/practice/records/{world.record_id}/audio")
    assert audio.status == 200 and audio.raw[:4] == b"RIFF"
    record = world.http(OWNER, "GET", f"{V1}/practice/records/{world.record_id}").body
    assert "passwd" not in json.dumps(record) and ".." not in json.dumps(record)
