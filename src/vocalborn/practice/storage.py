"""Audio files on disk under STORAGE_DIR, with server-made names only.

Uploads are written to `tmp/` first and moved into place with an atomic rename, so a crash or a
refused upload never leaves a half-written file where a row could point at it.

Recordings are health data: every file is created 0600 and every directory we create 0700, by
the call that creates them (the rename keeps the mode), so no other local user can read one
even for a moment (issue 13). An existing STORAGE_DIR (an operator's volume) keeps its mode.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from vocalborn.private_files import make_private_dirs, open_private_new

CHUNK = 1 << 16


class UploadTooLarge(Exception):
    pass


class Storage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.tmp_dir = self.root / "tmp"

    def ensure(self) -> None:
        make_private_dirs(self.tmp_dir)

    def path(self, relpath: str) -> Path:
        """Absolute path of a stored file; refuses anything that would leave the root."""
        full = (self.root / relpath).resolve()
        if not full.is_relative_to(self.root) or full == self.root:
            raise ValueError(f"path {relpath!r} is outside storage")
        return full

    def new_relpath(self, kind: str, fmt: str) -> str:
        now = datetime.now(UTC)
        return f"{kind}/{now:%Y/%m}/{uuid.uuid4().hex}.{fmt}"

    @contextmanager
    def spool(self, source: BinaryIO, max_bytes: int) -> Iterator[tuple[Path, int]]:
        """Copy an upload into a temporary file, at most `max_bytes`; removed on exit
        unless it was moved into place with `place()`."""
        self.ensure()
        tmp = self.tmp_dir / f"{uuid.uuid4().hex}.part"
        size = 0
        try:
            with os.fdopen(open_private_new(tmp), "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLarge()
                    out.write(chunk)
            yield tmp, size
        finally:
            tmp.unlink(missing_ok=True)

    def place(self, tmp: Path, relpath: str) -> Path:
        dest = self.path(relpath)
        make_private_dirs(dest.parent)
        os.replace(tmp, dest)
        return dest

    def delete(self, relpath: str | None) -> None:
        if relpath:
            with suppress(ValueError, OSError):
                self.path(relpath).unlink(missing_ok=True)

    def iter_files(self, kind: str) -> Iterator[str]:
        base = self.root / kind
        if base.exists():
            for p in base.rglob("*"):
                if p.is_file():
                    yield p.relative_to(self.root).as_posix()
