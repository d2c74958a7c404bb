"""`vocalborn schedule ...` as an operator runs it, against the live database."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

import pytest

from tests.beat.live import Live
from tests.support.procs import vocalborn_cmd
from tests.support.readable import assert_readable_in_pipe
from vocalborn.schedules.entries import DEFAULT_SCHEDULES
from vocalborn.schedules.models import JobRun

pytestmark = pytest.mark.e2e


def _run(live: Live, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # read through a pipe at 80 columns, as an operator's `| less`
        vocalborn_cmd("schedule", *args),
        env={**live.env, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode == 0) == ok, (args, done.stdout, done.stderr)
    return done


def test_schedule_commands(live: Live) -> None:
    assert "added: cleanup-expired-tasks" in _run(live, "seed").stdout
    assert "all default entries present" in _run(live, "seed").stdout
    _run(live, "add", "tick", "--task", "vocalborn.health.health_check", "--every", "2")
    bad = _run(
        live,
        "add",
        "bad",
        "--task",
        "vocalborn.health.health_check",
        "--cron",
        "0 99 * * *",
        ok=False,
    )
    assert "invalid" in bad.stderr
    unknown = _run(live, "add", "bad", "--task", "vocalborn.nope", "--every", "5", ok=False)
    assert "unknown task" in unknown.stderr
    _run(live, "set", "tick", "--cron", "30 3 * * *", "--kwargs", "{}")
    _run(live, "disable", "tick")
    rows = {r["name"]: r for r in json.loads(_run(live, "list", "--json").stdout)}
    assert rows["tick"]["crontab"] == "30 3 * * *" and rows["tick"]["enabled"] is False
    assert rows["tick"]["next_run_at"] is None
    assert rows["cleanup-expired-tasks"]["next_run_at"].endswith("+08:00")
    _run(live, "enable", "tick")
    table = _run(live, "list").stdout
    assert "tick" in table and "Asia/Taipei" in table
    defaults = [(name, spec.task) for name, spec in DEFAULT_SCHEDULES.items()]
    assert_readable_in_pipe(table, *(value for pair in defaults for value in pair))
    assert table.count("+08:00") >= len(defaults)  # next runs, with their zone
    task_id = _run(live, "run-now", "tick").stdout.strip()
    messages = [json.loads(m)["headers"]["id"] for m in live.redis.lrange("health", 0, -1)]
    assert task_id in messages
    assert "No schedule entry" in _run(live, "enable", "nope", ok=False).stderr
    _run(live, "remove", "tick")
    assert "tick" not in {r["name"] for r in json.loads(_run(live, "list", "--json").stdout)}

    job = DEFAULT_SCHEDULES["update-error-analytics"].task
    with live.session_factory() as db:
        started = datetime(2026, 12, 2, 19, 30, tzinfo=UTC)  # 03:30 in Taipei
        db.add(JobRun(job_name=job, task_id="t-1", worker="maintenance-1@node", outcome="success",
                      started_at=started, duration_seconds=1.5, summary={"rows": 3}))  # fmt: skip
        db.commit()
    runs = _run(live, "runs").stdout
    assert_readable_in_pipe(runs, job, "2026-12-03 03:30:00 +08:00", '{"rows": 3}')
