"""One atomic file write: a temporary file in the target's folder, fsync, then ``os.replace``.

A reader sees either the old file or the whole new one, never a partial write; the temporary file is
removed when anything fails, and an :class:`OSError` (full disk, read-only folder) becomes the caller's
typed error naming the target.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

from .errors import ArchiveFedError, CatalogError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, error: type[ArchiveFedError] = CatalogError,
                 what: str = "file") -> Iterator[str]:
    """Yield a temporary path next to ``path``; on a clean exit, fsync it and move it over ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The local file to (re)write; its folder is created if missing.
    error : type of ArchiveFedError
        Raised (with ``path``) in place of an :class:`OSError`.
    what : str
        Names the file in the error message (``"cannot write <what>: ..."``).

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> with atomic_write(target) as tmp:
    ...     _ = open(tmp, "w").write("hello")
    >>> open(target).read()
    'hello'
    """
    target = os.path.abspath(os.fspath(path))
    temporary = f"{target}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        yield temporary
        # fsync before the rename: after a crash the new name must not point at unwritten blocks
        fd = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except OSError as exc:
        raise error(f"cannot write {what}: {exc.strerror or exc}", path=os.fspath(path)) from exc
    finally:
        if os.path.lexists(temporary):
            with contextlib.suppress(OSError):
                os.remove(temporary)
