"""Benchmark of the offline analyser: CPU per second of speech and peak memory, with and without
the second listener, beside a baseline measured in the same run.

    python bench/analyzer.py            # re-runs itself pinned to one core (taskset -c 0)
    python bench/analyzer.py --quick    # the short cases only, one warm run (smoke test)

Speech: about 10 s and about 3 s of espeak-ng English and Mandarin, each with a reference
recording at another rate, and one real LibriVox reading (`bench/analyzer_cases.py`). Every mode
runs in a child process of its own (peak RSS is a high-water mark): the baseline (decoding plus
a Praat pitch track, the least any pitch-based analysis must pay), the whole analysis without
the listener (`listen=False`) and with it. The Whisper model is joined from its wheels once per
run and handed to the children through `LISTENER_MODEL_DIR`; `DATA_DIR` is a temporary directory.
Targets: warm analysis of a 3-10 s utterance <= 0.2 s of one core per second of speech, a worker
process <= 600 MB resident.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CPU_TARGET, RSS_TARGET = 0.2, 600.0


def pin_to_one_core() -> None:
    if os.environ.get("BENCH_PINNED") or shutil.which("taskset") is None:
        return
    os.environ["BENCH_PINNED"] = "1"
    os.execvp("taskset", ["taskset", "-c", "0", sys.executable, *sys.argv])


def run_child(mode: str, spec: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    from bench.analyzer_cases import PREFIX

    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--spec", str(spec)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
        raise SystemExit(f"the {mode} process failed ({done.returncode})")
    lines = [ln[len(PREFIX) :] for ln in done.stdout.splitlines() if ln.startswith(PREFIX)]
    return [json.loads(ln) for ln in lines]


def per_s(value: float, seconds: float) -> str:
    return f"{value / seconds:.3f}"


def report_case(name: str, runs: int, got: dict[str, dict[str, Any]]) -> dict[str, Any]:
    from bench.analyzer_cases import LISTEN_STAGE

    base, silent, listen = got["baseline"], got["silent"], got["listen"]
    seconds = base["seconds"]
    print(f"\n[{name}] {seconds:.1f} s of speech")
    print(f"  {'stage (CPU s, warm median of ' + str(runs) + ')':<40} {'without':>9} {'with':>9}")
    for label in listen["stages"]:
        a, b = silent["stages"].get(label, 0.0), listen["stages"][label]
        print(f"    {label:<38} {a:9.3f} {b:9.3f}")
    print(f"  {'warm CPU total':<40} {silent['cpu']:9.3f} {listen['cpu']:9.3f}")
    print(f"  {'warm wall total':<40} {silent['wall']:9.3f} {listen['wall']:9.3f}")
    print(f"  {'first call CPU (incl. the reference)':<40} "
          f"{silent['first']['cpu']:9.3f} {listen['first']['cpu']:9.3f}")  # fmt: skip
    heard = listen["stages"].get(LISTEN_STAGE, 0.0)
    share = heard / listen["cpu"] if listen["cpu"] else 0.0
    print(f"  CPU s per s of speech (target <= {CPU_TARGET}): baseline decode + Praat pitch "
          f"{per_s(base['cpu'], seconds)}, without listener {per_s(silent['cpu'], seconds)}, "
          f"with listener {per_s(listen['cpu'], seconds)}")  # fmt: skip
    print(f"  listener stage: {heard:.3f} s CPU = {share:.0%} of the analysis with listener; "
          f"analysis costs {silent['cpu'] / base['cpu']:.1f}x (without) and "
          f"{listen['cpu'] / base['cpu']:.1f}x (with) the baseline")  # fmt: skip
    return {"name": name, "seconds": seconds, "base": base["cpu"] / seconds,
            "silent": silent["cpu"] / seconds, "listen": listen["cpu"] / seconds,
            "share": share}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per case (median)")
    parser.add_argument("--child", choices=["baseline", "silent", "listen"], help=argparse.SUPPRESS)
    parser.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if str(REPO) not in sys.path:  # run as a script: bench/ is on the path, not the repo
        sys.path.insert(0, str(REPO))
    if args.child:
        from bench.analyzer_cases import run_mode

        spec = json.loads(args.spec.read_text())
        run_mode(args.child, spec["cases"], spec["runs"])
        return
    pin_to_one_core()
    from bench.analyzer_cases import MODES, make_cases
    from vocalborn.analyzer.listener_model import ensure_model
    from vocalborn.analyzer.offline import model_version

    runs = 1 if args.quick else max(1, args.runs)
    print(f"analyser: {model_version()}")
    print(f"cpu affinity: {sorted(os.sched_getaffinity(0))}; python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    try:
        t = time.perf_counter()
        model_dir = ensure_model(None, work / "model-data")
        print(f"listener model joined once into {model_dir} ({time.perf_counter() - t:.1f} s)")
        cases = make_cases(work, args.quick)
        spec = work / "spec.json"
        spec.write_text(json.dumps({"cases": cases, "runs": runs}))
        env = dict(os.environ, ENVIRONMENT="dev", DATA_DIR=str(work / "data"))
        env["LISTENER_MODEL_DIR"] = str(model_dir)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        records = {mode: run_child(mode, spec, env) for mode in MODES}
        by_case: dict[str, dict[str, dict[str, Any]]] = {}
        procs: dict[str, dict[str, Any]] = {}
        for mode, lines in records.items():
            for rec in lines:
                if "case" in rec:
                    by_case.setdefault(rec["case"], {})[mode] = rec
                else:
                    procs.setdefault(mode, {}).update(rec)
        for mode in ("silent", "listen"):
            print(f"warm_up {MODES[mode]}: {procs[mode]['warm_up']:.2f} s")
        rows = [report_case(name, runs, got) for name, got in by_case.items()]
        print(f"\nsummary: CPU s per s of speech, warm median of {runs} (target <= {CPU_TARGET})")
        print(f"  {'case':<12} {'speech':>7} {'baseline':>9} {'without':>9} {'with':>9} "
              f"{'listener share':>15}")  # fmt: skip
        for r in rows:
            print(f"  {r['name']:<12} {r['seconds']:6.1f}s {r['base']:9.3f} {r['silent']:9.3f} "
                  f"{r['listen']:9.3f} {r['share']:15.0%}")  # fmt: skip
        print(f"\npeak RSS per process (target <= {RSS_TARGET:.0f} MB), after imports / after "
              "warm_up / peak / at the end:")  # fmt: skip
        for mode, label in MODES.items():
            p = procs[mode]
            warm = f"{p['rss_warm_up']:.0f}" if "rss_warm_up" in p else "-"
            print(f"  {label:<30} {p['rss_imports']:6.0f} / {warm:>4} / {p['rss_peak']:4.0f} / "
                  f"{p['rss_end']:4.0f} MB")  # fmt: skip
        worst = max(max(r["silent"], r["listen"]) for r in rows)
        peak = max(p["rss_peak"] for p in procs.values())
        print(f"\ntargets: CPU {'met' if worst <= CPU_TARGET else 'MISSED'} "
              f"(worst {worst:.3f} s/s); memory {'met' if peak <= RSS_TARGET else 'MISSED'} "
              f"(worst {peak:.0f} MB)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
