"""The local-copy registry: which archive files are on this machine, and where.

A download records every verified file as ``url → local path, size, md5`` in two SQLite registries:
the one beside the catalog the hits came from (``<catalog>.files.sqlite``: travels with the catalog)
and the user's registry (``$ARCHIVE_FED_REGISTRY``, else ``local-copies.sqlite`` in the platform's
user data folder), which :func:`archive_fed.open_product` consults so a record whose label is remote
opens from the local copy when there is one. An entry counts only while its file still exists with
the recorded size. SQLite makes concurrent writers from threads and processes safe.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any, Iterator

from ..errors import CatalogError

ENV = "ARCHIVE_FED_REGISTRY"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS files (url TEXT PRIMARY KEY, path TEXT NOT NULL, "
           "size INTEGER, md5 TEXT, verified_at REAL)")


def default_registry_path() -> str:
    """``$ARCHIVE_FED_REGISTRY``, else ``<user data dir>/archive_fed/local-copies.sqlite``."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    from platformdirs import user_data_dir

    return os.path.join(user_data_dir("archive_fed", appauthor=False), "local-copies.sqlite")


class LocalCopies:
    """A registry of local copies at ``path`` (created on first write).

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> copies = LocalCopies(os.path.join(folder, "r.sqlite"))
    >>> open(os.path.join(folder, "a.img"), "wb").write(b"xyz")
    3
    >>> copies.add("https://host/a.img", os.path.join(folder, "a.img"), 3, None)
    >>> copies.lookup("https://host/a.img") == os.path.join(folder, "a.img")
    True
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = os.path.abspath(path or default_registry_path())
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        """One connection per registry object (WAL, ``synchronous=NORMAL``: a commit survives a killed
        process without an fsync each time)."""
        if self._db is not None:
            return self._db
        if not create and not os.path.exists(self.path):
            return None
        try:
            if create:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CatalogError(f"local-copy registry unusable: {exc}", path=self.path) from None
        self._db = db
        return db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def _run(self, create: bool, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            db = self._connect(create)
            if db is None:
                return []
            try:
                return db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise CatalogError(f"local-copy registry unusable: {exc}", path=self.path) from None

    def add(self, url: str, path: str, size: int | None, md5: str | None) -> None:
        """Record that ``url`` is verified at ``path``."""
        self._run(True, "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                  (url, os.path.abspath(path), size, md5, time.time()))

    def entry(self, url: str) -> tuple[str, int | None, str | None] | None:
        """``(path, size, md5)`` recorded for ``url``, or None."""
        rows = self._run(False, "SELECT path, size, md5 FROM files WHERE url = ?", (url,))
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None

    def lookup(self, url: str) -> str | None:
        """The local path of ``url`` if it is registered and the file is still there, whole."""
        found = self.entry(url)
        if found is None:
            return None
        path, size, _ = found
        try:
            if size is not None and os.path.getsize(path) != size:
                return None
        except OSError:
            return None
        return path

    def __iter__(self) -> Iterator[tuple[str, str]]:
        rows = self._run(False, "SELECT url, path FROM files ORDER BY url")
        return iter([(r[0], r[1]) for r in rows])


def local_copy(url: str) -> str | None:
    """The local copy of ``url`` in the user's registry (None when there is none)."""
    if "://" not in url or url.startswith("file://"):
        return None
    registry = LocalCopies()
    try:
        return registry.lookup(url)
    except CatalogError:
        return None
    finally:
        registry.close()


def local_product(record: Any) -> str | None:
    """The local label path of a record whose label *and* data files are all in the user's registry."""
    from .plan import data_file_urls

    label = local_copy(record.label_url or "")
    if label is None:
        return None
    if all(local_copy(url) for url in data_file_urls(record)):
        return label
    return None
