"""The Transport as an fsspec filesystem, so byte-range reads of products share its discipline.

Every read goes through :class:`~archive_fed.transport.http.Transport`: its credentials (netrc,
``ARCHIVE_FED_TOKEN_<HOST>``, per-host ones added from ``user:pass@``), retries with backoff on
5xx/429/resets, redirect policy, size caps and per-host limits. It pickles as its Transport's settings
(for dask workers opening products lazily).

Examples
--------
>>> fs = TransportFileSystem(Transport(retries=2))
>>> fs.cat_file("https://host/VOL/DATA/X.IMG", start=0, end=512)    # doctest: +SKIP
b'...'
"""
from __future__ import annotations

from typing import Any

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from ..errors import FetchError
from .http import Transport
from .urls import redact_url

__all__ = ["TransportFileSystem", "TransportFile"]


class TransportFileSystem(AbstractFileSystem):  # type: ignore[misc]  # fsspec ships no type hints
    """A read-only fsspec filesystem for ``http(s)://`` URLs, reading through a :class:`Transport`.

    Parameters
    ----------
    transport : Transport, optional
        The transport to read through; a default one if omitted.

    Examples
    --------
    >>> fs = TransportFileSystem()
    >>> fs.size("https://host/VOL/DATA/X.IMG")                          # doctest: +SKIP
    1048576
    """

    protocol = ("http", "https")
    # fsspec caches instances by arguments; a Transport has no stable token, so never share instances
    cachable = False

    def __init__(self, transport: Transport | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = transport if transport is not None else Transport()

    def __reduce__(self) -> tuple[Any, ...]:
        return (TransportFileSystem, (self.transport,))

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return path  # URLs are kept whole: the scheme and host are part of the path

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        """Bytes ``[start, end)`` of ``path`` (one ranged GET; the whole body when both are None)."""
        if start is None and end is None:
            return self.transport.get(path).content
        size = None
        if (start is not None and start < 0) or (end is not None and end < 0):
            size = self.size(path)
        begin = 0 if start is None else (start + size if start < 0 and size is not None else start)
        stop = end if end is None or end >= 0 or size is None else end + size
        if stop is not None and stop <= begin:
            return b""
        return self.transport.get_range(path, begin, stop).content

    def cat_ranges(self, paths: list[str], starts: list[int] | int, ends: list[int] | int,
                   max_gap: Any = None, on_error: str = "return", **kwargs: Any) -> list[Any]:
        """Each ``[start, end)`` range; with ``on_error="return"`` a failed range is its exception."""
        count = len(paths)
        starts = [starts] * count if isinstance(starts, int) else list(starts)
        ends = [ends] * count if isinstance(ends, int) else list(ends)
        out: list[Any] = []
        for path, start, end in zip(paths, starts, ends):
            try:
                out.append(self.cat_file(path, start, end))
            except FetchError as exc:
                if on_error != "return":
                    raise
                out.append(exc)
        return out

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """Name, size and type of ``path``: HEAD, else a one-byte ranged GET (servers that refuse HEAD)."""
        size: int | None = None
        try:
            head = self.transport.head(path)
            declared = head.headers.get("Content-Length", "").strip()
            size = int(declared) if declared.isdigit() else None
        except FetchError as exc:
            if exc.status in (404, 410):
                raise FileNotFoundError(redact_url(path)) from None
        if size is None:
            ranged = self.transport.get_range(path, 0, 1)
            total = ranged.headers.get("Content-Range", "").rpartition("/")[2].strip()
            if total.isdigit():
                size = int(total)
            elif ranged.status == 200:  # range ignored: the answer's length is the file's
                declared = ranged.headers.get("Content-Length", "").strip()
                size = int(declared) if declared.isdigit() else None
        return {"name": path, "size": size, "type": "file"}

    def size(self, path: str) -> int:
        size = self.info(path)["size"]
        if size is None:
            raise FetchError("the server gives no size", path=redact_url(path))
        return int(size)

    def exists(self, path: str, **kwargs: Any) -> bool:
        try:
            self.info(path)
        except (FileNotFoundError, FetchError):
            return False
        return True

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        info = self.info(path)
        return [info] if detail else [info["name"]]

    def _open(self, path: str, mode: str = "rb", block_size: int | None = None, autocommit: bool = True,
              cache_options: dict[str, Any] | None = None, **kwargs: Any) -> TransportFile:
        if mode != "rb":
            raise NotImplementedError("TransportFileSystem is read-only")
        return TransportFile(self, path, mode=mode, block_size=block_size or "default",
                             cache_options=cache_options, **kwargs)


class TransportFile(AbstractBufferedFile):  # type: ignore[misc]  # fsspec ships no type hints
    """A random-access read-only file over ranged GETs (fsspec's read-ahead cache in front)."""

    def _fetch_range(self, start: int, end: int) -> bytes:
        data: bytes = self.fs.cat_file(self.path, start, end)
        return data
