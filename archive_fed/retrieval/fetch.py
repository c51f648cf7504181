"""Fetching one file: ranged, resumable, atomic, verified.

The bytes go to ``<final>.part`` in ranges of :data:`CHUNK` bytes through the shared
:class:`~archive_fed.transport.Transport` (credentials, retries with backoff, per-host limits, redirect
policy). A sidecar ``<final>.part.json`` remembers the URL and the server's ETag, so a killed download
goes on from the size of its ``.part`` (``If-Range`` makes a changed file start over). A complete file
is verified — by MD5 where the label gives one, else by size (the label's, else the server's) — then
renamed to its final name, so a final name only ever holds a whole, verified file. A server that ignores
``Range`` is detected on the first answer and read whole in one request instead.
"""
from __future__ import annotations

import enum
import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import ArchiveFedError, FetchError
from .plan import FileTask, UnsafePath

#: Bytes per ranged request.
CHUNK = 8 * 1024 * 1024
_SLICE = 1024 * 1024
_TOTAL = re.compile(r"bytes\s+\d+-\d+/(\d+)")


class Outcome(enum.Enum):
    DOWNLOADED = "downloaded"
    PRESENT = "present"        #: already there and verified: nothing fetched
    FAILED = "failed"


class VerifyError(ArchiveFedError):
    """A downloaded file does not match its label (MD5 or size)."""


@dataclass
class FileResult:
    task: FileTask
    outcome: Outcome
    path: str
    bytes: int = 0
    error: str | None = None
    message: str | None = None
    verified_by: str | None = None   #: ``md5``, ``size`` or None (nothing to check against)


def final_path(dest: str, task: FileTask) -> str:
    """The final path of ``task`` under ``dest``, refusing symlinked folders that leave ``dest``."""
    root = os.path.realpath(dest)
    path = os.path.join(root, *task.relpath.split("/"))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    real = os.path.realpath(parent)
    if os.path.commonpath([root, real]) != root or (os.path.islink(path)):
        raise UnsafePath(f"refusing to write through a link that leaves the destination: {task.relpath}",
                         path=task.url)
    return path


def _md5_of(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(4 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(task: FileTask, path: str, size: int, md5: str | None, server_size: int | None,
           verify: bool) -> str | None:
    """How the file was verified (``md5``/``size``/None); :class:`VerifyError` when it does not match."""
    if not verify:
        return None
    if task.md5:
        actual = md5 or _md5_of(path)
        if actual != task.md5:
            raise VerifyError(f"MD5 mismatch: label says {task.md5}, file has {actual}", path=task.url)
        return "md5"
    expected = task.size if task.size is not None else server_size
    if expected is None:
        return None
    if size != expected:
        raise VerifyError(f"size mismatch: expected {expected} bytes, got {size}", path=task.url)
    return "size"


class FileFetcher:
    """Fetch :class:`FileTask` s into ``dest`` with ``transport``; ``progress(n)`` is told every n bytes."""

    def __init__(self, transport: Any, dest: str, *, verify: bool = True,
                 progress: Callable[[int], None] | None = None,
                 known: Callable[[str], tuple[str, int | None, str | None] | None] | None = None) -> None:
        self.transport = transport
        self.dest = dest
        self.verify = verify
        self.progress = progress or (lambda n: None)
        self.known = known or (lambda url: None)

    def __call__(self, task: FileTask) -> FileResult:
        try:
            path = final_path(self.dest, task)
        except (UnsafePath, OSError) as exc:
            return FileResult(task, Outcome.FAILED, "", error=type(exc).__name__, message=str(exc))
        try:
            present = self._present(task, path)
            if present is not None:
                return present
            try:
                return self._fetch(task, path)
            except VerifyError:
                _remove(path + ".part", path + ".part.json")   # a mismatch is fetched once more, afresh
                return self._fetch(task, path)
        except VerifyError as exc:
            return self._quarantine(task, path, exc)
        except ArchiveFedError as exc:
            return FileResult(task, Outcome.FAILED, path, error=type(exc).__name__, message=str(exc))
        except OSError as exc:
            return FileResult(task, Outcome.FAILED, path, error="OSError",
                              message=f"{task.url}: cannot write {path}: {exc.strerror or exc}")

    # ------------------------------------------------------------------------------------------
    def _present(self, task: FileTask, path: str) -> FileResult | None:
        """A verified file already at ``path``: nothing to fetch."""
        if not os.path.isfile(path):
            return None
        size = os.path.getsize(path)
        entry = self.known(task.url)
        recorded_size = entry[1] if entry and os.path.abspath(entry[0]) == os.path.abspath(path) else None
        if task.md5 and self.verify:
            if _md5_of(path) == task.md5:
                return FileResult(task, Outcome.PRESENT, path, verified_by="md5")
            return None
        expected = task.size if task.size is not None else recorded_size
        if expected is None:
            expected = self._server_size(task.url)
        if expected is not None and size == expected:
            return FileResult(task, Outcome.PRESENT, path, verified_by="size")
        return None

    def _server_size(self, url: str) -> int | None:
        try:
            answer = self.transport.head(url)
        except FetchError:
            return None
        length = answer.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None

    def _fetch(self, task: FileTask, path: str) -> FileResult:
        if not task.url.lower().startswith(("http://", "https://")):
            return self._copy(task, path)
        part, meta_path = path + ".part", path + ".part.json"
        meta = _read_meta(meta_path)
        offset = os.path.getsize(part) if os.path.exists(part) and meta.get("url") == task.url else 0
        if offset == 0:
            _remove(part)
            meta = {"url": task.url}
        digest = hashlib.md5()
        hashing = bool(task.md5 and self.verify)
        if offset and hashing:
            with open(part, "rb") as stream:
                for block in iter(lambda: stream.read(4 * 1024 * 1024), b""):
                    digest.update(block)
        total: int | None = meta.get("size")
        fetched = 0
        with open(part, "r+b" if offset else "wb") as out:
            out.seek(offset)
            while total is None or offset < total:
                headers = {"If-Range": meta["etag"]} if offset and meta.get("etag") else {}
                answer = self.transport.get_range(task.url, offset, offset + CHUNK, headers=headers)
                if answer.status == 416:   # nothing past the end: the part is whole
                    break
                if answer.status == 200:   # Range ignored (or If-Range failed): read it whole, once
                    whole = self.transport.get(task.url)
                    out.seek(0)
                    out.truncate()
                    _write(out, whole.content)
                    digest = hashlib.md5(whole.content) if hashing else digest
                    offset = len(whole.content)
                    fetched += offset
                    self.progress(offset)
                    total = offset
                    break
                found = _TOTAL.match(answer.headers.get("Content-Range", ""))
                learned = {"etag": meta.get("etag") or answer.etag,
                           "size": int(found.group(1)) if found else meta.get("size")}
                if any(meta.get(k) != v for k, v in learned.items()):
                    meta.update(learned)
                    _write_meta(meta_path, meta)
                total = meta.get("size")
                data = answer.content
                if not data:
                    break
                _write(out, data)
                if hashing:
                    digest.update(data)
                offset += len(data)
                fetched += len(data)
                self.progress(len(data))
                if total is None and len(data) < CHUNK:
                    break
        md5 = digest.hexdigest() if (task.md5 and self.verify) else None
        verified = _check(task, part, offset, md5, total, self.verify)
        os.replace(part, path)
        _remove(meta_path)
        return FileResult(task, Outcome.DOWNLOADED, path, bytes=fetched, verified_by=verified)

    def _copy(self, task: FileTask, path: str) -> FileResult:
        """A local file or another fsspec URL (``s3://``, ``zip::``...): streamed to ``.part``, then verified."""
        import fsspec

        source = task.url.removeprefix("file://")
        part = path + ".part"
        digest = hashlib.md5()
        size = 0
        try:
            with fsspec.open(source, "rb") as stream, open(part, "wb") as out:
                for block in iter(lambda: stream.read(CHUNK), b""):
                    _write(out, block)
                    digest.update(block)
                    size += len(block)
                    self.progress(len(block))
        except FileNotFoundError:
            _remove(part)
            raise FetchError("no such file", path=task.url) from None
        except OSError:
            _remove(part)
            raise
        except Exception as exc:  # fsspec backends raise anything; never leak them raw
            _remove(part)
            raise FetchError(f"cannot read through fsspec ({type(exc).__name__})", path=task.url) from None
        verified = _check(task, part, size, digest.hexdigest(), None, self.verify)
        os.replace(part, path)
        return FileResult(task, Outcome.DOWNLOADED, path, bytes=size, verified_by=verified)

    def _quarantine(self, task: FileTask, path: str, error: VerifyError) -> FileResult:
        """Move a file that failed verification twice aside, under ``.quarantine/``, never a final name."""
        target = os.path.join(os.path.realpath(self.dest), ".quarantine", *task.relpath.split("/"))
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.exists(path + ".part"):
                os.replace(path + ".part", target)
        except OSError:
            pass
        _remove(path + ".part.json")
        return FileResult(task, Outcome.FAILED, target, error=type(error).__name__, message=str(error))


def _write(out: Any, data: bytes) -> None:
    """Write in 1 MiB slices: one multi-MiB write() is several times slower on Linux page cache."""
    view = memoryview(data)
    for start in range(0, len(view), _SLICE):
        out.write(view[start:start + _SLICE])


def _read_meta(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_meta(path: str, meta: dict[str, Any]) -> None:
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as stream:
        json.dump(meta, stream)
    os.replace(temporary, path)


def _remove(*paths: str) -> None:
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass
