"""One harvest (or index ingest) per catalog at a time: an exclusive ``flock`` on a lock file.

The kernel holds the lock for the open file, so it is free again the moment its holder exits or is
killed (no stale lock to guess about), and two takers can never both win — not two processes, not two
threads of one process (each opens the file anew: ``flock`` locks belong to the open file). The holder
writes its pid into the file, only to name it in the refusal.
"""
from __future__ import annotations

import fcntl
import os

from ..errors import CatalogError

__all__ = ["HarvestLock"]


class HarvestLock:
    """One harvest per catalog at a time; a second taker gets a :class:`CatalogError` naming the holder."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> "HarvestLock":
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CatalogError(f"cannot take the harvest lock: {exc.strerror or exc}", path=self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise CatalogError(f"another harvest (pid {holder}) is writing this catalog; wait for it to "
                               "finish (or stop it) and run again", path=self.path) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        # the file stays: removing it would let a taker lock a new file while another holds the old one
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            finally:
                os.close(self._fd)     # closing releases the lock
                self._fd = None
