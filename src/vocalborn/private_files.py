"""Files and directories only their owner may read: the dev signing key, the SQLite database,
stored recordings (issue 13, secrets at rest).

Why here and not `chmod` afterwards: a file created with the default umask is readable by
every local user until the `chmod` runs, and a crash in between leaves it so. These helpers
pass the mode to the system call that creates the file or directory (`os.open`, `os.mkdir`),
so there is no such window. Existing files and directories are left as they are (an
operator's volume, a directory they chose): the modes apply to what we create.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dirs(path: Path) -> None:
    """`mkdir -p` where every directory created is 0700 (Path.mkdir gives parents the default
    mode)."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            if not directory.is_dir():
                raise


def create_private_file(path: Path, data: bytes = b"") -> bool:
    """Create `path` (0600) with `data` if it does not exist; False if it already did."""
    make_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return True


def open_private_new(path: Path) -> int:
    """A new file (0600) opened for writing; fails if it exists. Returns the descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
