"""Writing a file so that a reader, or a crash, never sees half of it; one archive writer at a
time."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paperpulse.core.errors import DeliveryError


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644, durable: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    The rename is atomic on one file system, so ``path`` holds the old bytes or the new, never
    a mix. ``durable`` syncs the bytes to disk before the rename, for a file that must survive
    a power cut once reported written. Raises ``OSError``; no temporary file is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.chmod(temporary, mode)  # mkstemp makes 0600 whatever the umask
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def archive_lock(root: Path, *, git: bool = True) -> Iterator[None]:
    """One writer at a time per archive: two runs committing at once would trip git's lock.

    The lock lives inside the archive's ``.git`` (created early; ``git init`` accepts an empty
    one), so nothing lands beside the archive and git never sees it.
    """
    lock = root / ".git" / "paperpulse.lock" if git else root / ".paperpulse.lock"
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a")
    except OSError as exc:
        raise DeliveryError(
            f"archive directory {root} is unusable ({exc.strerror or exc}"
            f"{': ' + exc.filename if exc.filename else ''}); set PAPERPULSE_ARCHIVE_DIR to a "
            "writable directory"
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
