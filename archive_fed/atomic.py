"""One atomic file write: a temporary file in the target's folder, fsync, then ``os.replace``.

A reader sees either the old file or the whole new one, never a partial write; the temporary file is
removed when anything fails, and an :class:`OSError` (full disk, read-only folder) becomes the caller's
typed error naming the target. Every file archive_fed writes whole goes through :func:`atomic_write` (or
:func:`atomic_write_text`): Parquet exports, harvest and ingest state, reports, table exports, cache
entries, download sidecars. Not through it: Zarr stores (directories, swapped by
:mod:`archive_fed.catalog.store`) and a download's ``.part`` file (it must outlive a crash to resume; it
is renamed once verified).
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

from .errors import ArchiveFedError, CatalogError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, error: type[ArchiveFedError] = CatalogError,
                 what: str = "file", temporary: str | None = None, durable: bool = True) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on a clean exit, fsync it and move it over ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The local file to (re)write; its folder is created if missing.
    error : type of ArchiveFedError
        Raised (with ``path``) in place of an :class:`OSError`.
    what : str
        Names the file in the error message (``"cannot write <what>: ..."``).
    temporary : str, optional
        A fixed temporary name (in the target's folder) instead of a unique one: for files one writer
        owns, whose leftover after a ``kill -9`` the owner removes by that name.
    durable : bool
        fsync before the rename (default). ``False`` for state whose loss after a power cut costs only
        redone work (a download's ``.part`` sidecar): the rename still makes it whole or absent after a
        ``kill -9``, and a file torn by a power cut must then be readable as "no state".

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
    temporary = temporary or f"{target}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        yield temporary
        if durable:
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


def atomic_write_text(path: str | os.PathLike, text: str, *, error: type[ArchiveFedError] = CatalogError,
                      what: str = "file", temporary: str | None = None, durable: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, as :func:`atomic_write` does."""
    with atomic_write(path, error=error, what=what, temporary=temporary, durable=durable) as tmp:
        with open(tmp, "w", encoding="utf-8") as stream:
            stream.write(text)
