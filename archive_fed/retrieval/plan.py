"""Which files a download fetches, and where each lands.

A record names its label (``label_url``) and its data files (``data_urls``). Each becomes a
:class:`FileTask` with the path it gets under the destination: the file's path inside its archive
(relative to the harvested archive root when the catalog knows the root, else ``<host>/<url path>``).
Nothing may land outside the destination, whatever a URL says: a path with ``..``, an absolute path
or a name that is not a plain file name is refused (the file is reported, the rest goes on).
"""
from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from typing import Iterable, Sequence
from urllib.parse import unquote, urlsplit

from ..errors import ArchiveFedError
from ..record import ProductRecord
from ..transport import is_within

INCLUDE = ("label", "data")
#: Characters kept in a path segment; anything else (control characters, ``:``, ``\\``...) becomes ``_``.
_UNSAFE = re.compile(r"[^0-9A-Za-z._+@=,~ -]")


class UnsafePath(ArchiveFedError):
    """A file's location would put it outside the download destination."""


@dataclass
class FileTask:
    """One file to fetch: its URL, where it lands (``relpath`` under the destination), what it must be."""

    url: str
    relpath: str
    kind: str                      #: ``label`` or ``data``
    uid: str
    md5: str | None = None         #: expected MD5 (hex), when the label gives one for this file
    size: int | None = None        #: expected size in bytes, when the label gives it for this file


def safe_relpath(path: str, where: str) -> str:
    """``path`` as a relative POSIX path with only plain segments, or :class:`UnsafePath`.

    >>> safe_relpath("DATA/2009/M1.IMG", "u")
    'DATA/2009/M1.IMG'
    >>> safe_relpath("DATA/../../etc/passwd", "u")
    Traceback (most recent call last):
    archive_fed.retrieval.plan.UnsafePath: u: refusing a path that leaves the destination: 'DATA/../../etc/passwd'
    """
    text = unquote(path).replace("\\", "/")
    segments = [s for s in text.split("/") if s not in ("", ".")]
    if not segments or ".." in segments:
        raise UnsafePath(f"refusing a path that leaves the destination: {path!r}", path=where)
    return "/".join(_UNSAFE.sub("_", s) for s in segments)


def _relative(url: str, roots: Sequence[str]) -> str:
    """The file's path inside its archive: relative to the longest matching root, else host/path."""
    for root in sorted(roots, key=len, reverse=True):
        base = root if root.endswith("/") else root + "/"
        if url.startswith(base):
            if not is_within(base, url):   # ``..``, or a symbolic link in a local mirror leading out
                raise UnsafePath(f"{url}: leads outside the archive root {root}: refused", path=url)
            return safe_relpath(url[len(base):], url)
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ftp", "s3", "gs"):
        host = parts.hostname or "host"
        if parts.port:
            host = f"{host}_{parts.port}"
        return safe_relpath(f"{host}/{parts.path}", url)
    # a local file (path or file://) outside every root: keep its own path under "local/"
    path = parts.path if parts.scheme == "file" else url
    return safe_relpath("local/" + os.path.abspath(path).lstrip("/"), url)


def _resolve(label_url: str, name: str) -> str:
    """A data file name from a label, resolved beside the label (URL or local path)."""
    if "://" in name or os.path.isabs(name):
        return name
    if "://" in label_url:
        head, _, _ = label_url.rpartition("/")
        return f"{head}/{name}"
    return os.path.join(os.path.dirname(label_url), name)


def data_file_urls(record: ProductRecord) -> list[str]:
    """The record's data files as URLs (or paths), resolved beside its label."""
    if not record.label_url:
        return list(record.data_urls)
    return [_resolve(record.label_url, name) for name in record.data_urls]


def plan_files(records: Iterable[ProductRecord], include: Sequence[str] = INCLUDE,
               roots: Sequence[str] = ()) -> tuple[list[FileTask], list[tuple[str, str, str]]]:
    """Files to fetch for ``records`` (each URL once), and the refused ones as ``(url, error, message)``."""
    unknown = set(include) - set(INCLUDE)
    if unknown or not include:
        raise ValueError(f"include must name some of {INCLUDE}, got {tuple(include)!r}")
    tasks: dict[str, FileTask] = {}
    refused: list[tuple[str, str, str]] = []
    for record in records:
        uid = record.uid or record.label_url or "?"
        wanted: list[tuple[str, str, str | None, int | None]] = []
        data = data_file_urls(record)
        if "label" in include and record.label_url:
            wanted.append((record.label_url, "label", None, None))
        if "data" in include:
            for i, url in enumerate(data):
                md5 = record.md5 if i == 0 else None
                size = record.file_size if len(data) == 1 else None
                wanted.append((url, "data", md5, size))
        for url, kind, md5, size in wanted:
            if url in tasks:
                # an attached label is also the data file: keep the data file's expectations
                task = tasks[url]
                task.md5, task.size = task.md5 or md5, task.size or size
                task.kind = "data" if kind == "data" else task.kind
                continue
            try:
                relpath = _relative(url, roots)
            except UnsafePath as exc:
                refused.append((url, type(exc).__name__, str(exc)))
                continue
            tasks[url] = FileTask(url, relpath, kind, uid, md5.lower() if md5 else None, size)
    # two URLs mapping onto one path (case-folding archives): the second is refused, never overwritten
    by_path: dict[str, str] = {}
    kept: list[FileTask] = []
    for task in tasks.values():
        key = posixpath.normpath(task.relpath)
        if key in by_path:
            refused.append((task.url, "UnsafePath", f"{task.url}: lands on the same path as {by_path[key]}"))
            continue
        by_path[key] = task.url
        kept.append(task)
    return kept, refused
