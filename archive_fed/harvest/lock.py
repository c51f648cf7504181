"""One harvest (or index ingest) per catalog at a time: a lock file naming its holder's pid."""
from __future__ import annotations

import errno
import os

from ..errors import CatalogError

__all__ = ["HarvestLock"]


class HarvestLock:
    """One harvest per catalog at a time (a lock file naming the holder's pid; stale locks are taken)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> "HarvestLock":
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    pid = int(open(self.path).read().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and pid != os.getpid() and _alive(pid):
                    raise CatalogError(f"another harvest (pid {pid}) is writing this catalog",
                                       path=self.path) from None
                os.remove(self.path)
                continue
            with os.fdopen(fd, "w") as stream:
                stream.write(str(os.getpid()))
            return self
        raise CatalogError("cannot take the harvest lock", path=self.path)

    def __exit__(self, *exc: object) -> None:
        try:
            os.remove(self.path)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
