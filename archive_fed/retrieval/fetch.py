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

from ..atomic import atomic_write_text
from ..errors import ArchiveFedError, FetchError
from .plan import FileTask, UnsafePath

#: Bytes per ranged request: a truncated answer costs at most this much again.
CHUNK = 16 * 1024 * 1024
#: The largest file a download accepts when neither the label nor the server gives its size.
DOWNLOAD_CAP = 64 * 1024 ** 3
_SLICE = 1024 * 1024
_TOTAL = re.compile(r"bytes\s+\d+-\d+/(\d+)")
_START = re.compile(r"bytes\s+(\d+)-")


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


def _md5_of(path: str, size: int | None = None) -> Any:
    """The MD5 (a hashlib object) of the first ``size`` bytes of ``path`` (all of it when None)."""
    digest = hashlib.md5()
    left = size
    with open(path, "rb") as stream:
        while left is None or left > 0:
            block = stream.read(_SLICE * 4 if left is None else min(_SLICE * 4, left))
            if not block:
                break
            digest.update(block)
            left = None if left is None else left - len(block)
    return digest


def _cap(task: FileTask, total: int | None) -> int:
    """The largest body a download accepts: the size the label or the server gave, else DOWNLOAD_CAP."""
    known = task.size if task.size is not None else total
    return known if known is not None else DOWNLOAD_CAP


class _PartSink:
    """Streams a ranged answer into the ``.part`` file (and the running MD5) without holding it in memory.

    :meth:`start` marks where the next request begins; :meth:`begin` (the transport, before each attempt's
    body) rewinds there — or to the start of the file when the server ignored ``Range`` and answers 200 —
    so a truncated attempt leaves nothing behind, and a 206 for another range than asked is refused.
    """

    def __init__(self, out: Any, offset: int, digest: Any, progress: Callable[[int], None], url: str,
                 learn: Callable[[Any], None] = lambda headers: None) -> None:
        self.out, self.offset, self.digest, self.progress, self.url = out, offset, digest, progress, url
        self.learn = learn   # called with a 206's headers before its first byte is written
        self._mark, self._saved = offset, digest

    def start(self, offset: int) -> None:
        self._mark = offset
        self._saved = self.digest.copy() if self.digest is not None else None

    def begin(self, status: int, headers: Any) -> None:
        rewind = 0 if status == 200 else self._mark
        if status == 206:
            found = _START.match(headers.get("Content-Range", ""))
            if not found or int(found.group(1)) != self._mark:
                raise FetchError(f"server answered {headers.get('Content-Range')!r} to a request for bytes "
                                 f"from {self._mark}", path=self.url, status=status)
            self.learn(headers)
        elif status != 200:
            raise FetchError(f"unexpected HTTP {status} to a range request", path=self.url, status=status)
        if self.offset != rewind:
            self.progress(rewind - self.offset)
        self.out.seek(rewind)
        self.out.truncate()
        self.offset = rewind
        if self.digest is not None:
            self.digest = self._saved.copy() if rewind else hashlib.md5()

    def write(self, data: bytes) -> None:
        self.out.write(data)
        if self.digest is not None:
            self.digest.update(data)
        self.offset += len(data)
        self.progress(len(data))


def _check(task: FileTask, path: str, size: int, md5: str | None, server_size: int | None,
           verify: bool) -> str | None:
    """How the file was verified (``md5``/``size``/None); :class:`VerifyError` when it does not match."""
    if not verify:
        return None
    if task.md5:
        actual = md5 or _md5_of(path).hexdigest()
        if actual != task.md5:
            raise VerifyError(f"MD5 mismatch: label says {task.md5}, file has {actual}", path=task.url)
        return "md5"
    expected = task.size if task.size is not None else server_size
    if expected is None:
        return None
    if size != expected:
        raise VerifyError(f"size mismatch: expected {expected} bytes, got {size}", path=task.url)
    return "size"


def _drop_empty_part(path: str) -> None:
    """A failed fetch that got no byte leaves nothing behind (a .part with bytes stays, to resume)."""
    part = path + ".part"
    try:
        if os.path.getsize(part) == 0:
            _remove(part, part + ".json", part + ".json.tmp")
    except OSError:
        pass


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
            if present is not None:   # a run killed between the rename and the cleanup left these
                _remove(path + ".part", path + ".part.json", path + ".part.json.tmp")
                return present
            try:
                return self._fetch(task, path)
            except VerifyError:
                _remove(path + ".part", path + ".part.json")   # a mismatch is fetched once more, afresh
                return self._fetch(task, path)
        except VerifyError as exc:
            return self._quarantine(task, path, exc)
        except ArchiveFedError as exc:
            _drop_empty_part(path)
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
            if _md5_of(path).hexdigest() == task.md5:
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
        hashing = bool(task.md5 and self.verify)
        digest = _md5_of(part, offset) if offset and hashing else (hashlib.md5() if hashing else None)
        total: int | None = meta.get("size")
        began = offset

        def learn(headers: Any) -> None:
            # the sidecar is on disk before the answer's first byte reaches the .part: a kill at any moment
            # leaves a .part the next run can go on from
            found = _TOTAL.match(headers.get("Content-Range", ""))
            learned = {"etag": meta.get("etag") or headers.get("ETag"),
                       "size": int(found.group(1)) if found else meta.get("size")}
            if any(meta.get(k) != v for k, v in learned.items()) or not os.path.exists(meta_path):
                meta.update(learned)
                _write_meta(meta_path, meta)

        with open(part, "r+b" if offset else "wb") as out:
            sink = _PartSink(out, offset, digest, self.progress, task.url, learn)
            while total is None or offset < total:
                headers = {"Range": f"bytes={offset}-{offset + CHUNK - 1}"}
                if offset and meta.get("etag"):
                    headers["If-Range"] = meta["etag"]
                sink.start(offset)
                answer = self.transport.get_into(task.url, sink, headers=headers,
                                                 max_bytes=_cap(task, total))
                if answer.status == 416:   # nothing past the end: the part is whole
                    break
                if answer.status == 200:   # Range ignored (or If-Range failed): the sink took it whole
                    offset = total = sink.offset
                    break
                total = meta.get("size")
                got, offset = sink.offset - offset, sink.offset
                if not got or (total is None and got < CHUNK):
                    break
            digest = sink.digest
        md5 = digest.hexdigest() if digest is not None else None
        verified = _check(task, part, offset, md5, total, self.verify)
        os.replace(part, path)
        _remove(meta_path, meta_path + ".tmp")
        return FileResult(task, Outcome.DOWNLOADED, path, bytes=max(0, offset - began), verified_by=verified)

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
        _remove(path + ".part.json", path + ".part.json.tmp")
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
    # one fixed temporary name, removed with the sidecar: a process killed mid-write leaves nothing for good;
    # not fsynced (an fsync per file cost a quarter of the loopback throughput): a sidecar lost or torn by a
    # power cut reads as none (_read_meta), and its file is fetched afresh, never wrong
    atomic_write_text(path, json.dumps(meta), error=FetchError, what="download state", temporary=f"{path}.tmp",
                      durable=False)


def _remove(*paths: str) -> None:
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass
