"""The alert rules are valid and behave: `promtool check rules` and `promtool test rules` (cases
that fire and cases that must not, e.g. an idle healthy worker is not "down")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package prometheus; CI installs it)"
)


@needs_promtool
def test_rules_pass_promtool_check() -> None:
    out = subprocess.run(
        [str(PROMTOOL), "check", "rules", str(RULES / "alerts.yml")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 7 rules found" in out.stdout


@needs_promtool
def test_rule_unit_tests_fire_and_stay_quiet() -> None:
    out = subprocess.run(
        [str(PROMTOOL), "test", "rules", "alerts.test.yml"],
        capture_output=True, text=True, timeout=120, cwd=RULES,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_alert_of_the_plan_is_covered_by_firing_and_quiet_cases() -> None:
    rules = yaml.safe_load((RULES / "alerts.yml").read_text())
    names = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert names >= {
        "CeleryTaskFailureRate", "CeleryQueueBacklog", "CeleryWorkerDown",
        "CeleryTaskProcessingSlow", "RedisMemoryHigh",
    }  # fmt: skip
    cases = yaml.safe_load((RULES / "alerts.test.yml").read_text())["tests"]
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in cases:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    assert names <= fired
    assert names - {"VocalbornRedisUnreachable"} <= quiet
    # the worker-down rule must not be the plan's `celery_active_tasks == 0`
    down = next(r for g in rules["groups"] for r in g["rules"] if r["alert"] == "CeleryWorkerDown")
    assert "vocalborn_workers_online" in down["expr"]
    assert "celery_active_tasks" not in down["expr"]
