"""Files private to their user: the SQLite event store and read models hold claims' personal
data (docs/adr/0021-data-at-rest.md), so they are created 0600 in folders created 0700."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
# What SQLite keeps beside a database; it creates them with the database file's mode.
_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_folder(folder: Path) -> None:
    """Create `folder` and any missing parent, each 0700 (an existing folder is left as it
    is: it may be shared, such as /tmp or the project's root)."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for created in reversed(missing):
        try:
            created.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:  # made meanwhile by another process
            continue
        os.chmod(created, PRIVATE_FOLDER)  # mkdir's mode is masked by the umask


def private_sqlite_file(path: str) -> None:
    """Before SQLite opens `path`: its folder exists (made private if made here), the file
    exists 0600, and an existing one (with its WAL and shared-memory files) is made 0600 if
    this user owns it; SQLite then creates its side files with the same mode."""
    if path == ":memory:" or path.startswith("file:"):
        return
    database = Path(path)
    private_folder(database.parent)
    os.close(os.open(database, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))  # no truncation
    for file in (database, *(Path(f"{database}{suffix}") for suffix in _SIDE_FILES)):
        try:
            if file.stat().st_uid == os.getuid():
                os.chmod(file, PRIVATE_FILE)
        except FileNotFoundError:
            continue
