"""Getting the data: download the files of search hits — parallel, resumable, verified — and find them again.

>>> import archive_fed as af                                                    # doctest: +SKIP
>>> hits = af.Catalog.open("catalogs/lunar.zarr").search(mission="kaguya", instrument="TC1")
>>> report = hits.download("data/", include=("label", "data"), workers=8)      # doctest: +SKIP
>>> report.downloaded, report.failed, report.exit_code                          # doctest: +SKIP
(412, 0, 0)
>>> ds = af.open_product(hits.record(0))      # now read from data/…, not the network  # doctest: +SKIP

Files land under ``dest`` at their paths inside the archive (:mod:`.plan`), each fetched through the
shared transport in ranges to a ``.part`` file, verified and renamed (:mod:`.fetch`), and registered as a
local copy (:mod:`.registry`). A rerun fetches only what is missing; a killed run goes on from its
``.part`` files.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Sequence

from ..atomic import atomic_write_text
from ..errors import ArchiveFedError
from ..record import ProductRecord, format_time
from .fetch import CHUNK, FileFetcher, FileResult, Outcome, VerifyError
from .plan import INCLUDE, FileTask, UnsafePath, plan_files, safe_relpath
from .registry import LocalCopies, default_registry_path, local_copy

__all__ = ["download", "DownloadReport", "FileTask", "LocalCopies", "local_copy", "plan_files",
           "safe_relpath", "UnsafePath", "VerifyError", "default_registry_path", "CHUNK"]

log = logging.getLogger("archive_fed.download")


@dataclass
class DownloadFailure:
    url: str
    error: str
    message: str

    def line(self) -> str:
        return self.message if self.message.startswith(self.url) else f"{self.url}: {self.message}"


@dataclass
class DownloadReport:
    """What a download did: counts, bytes, time, and every file that failed (with why)."""

    dest: str
    started: _dt.datetime
    finished: _dt.datetime | None = None
    files: int = 0
    downloaded: int = 0
    present: int = 0                 #: already there and verified, not fetched again
    failed: int = 0
    bytes: int = 0                   #: bytes fetched by this run
    total_bytes: int | None = None   #: dry run: bytes the files add up to (None when some size is unknown)
    unknown_sizes: int = 0
    seconds: float = 0.0
    requests: int = 0
    dry_run: bool = False
    failures: list[DownloadFailure] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """SPEC §3: 0 all well, 1 finished with failures."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON values (times in ISO 8601 UTC, with ``exit_code``)."""
        data = asdict(self)
        data["started"], data["finished"] = format_time(self.started), format_time(self.finished)
        data["exit_code"] = self.exit_code
        return data

    def write(self, path: str) -> None:
        """Write :meth:`to_dict` as JSON to ``path``, atomically."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        atomic_write_text(path, text, error=ArchiveFedError, what="download report")

    def summary(self) -> str:
        """The one-line summary the command line prints."""
        if self.dry_run:
            size = f"{self.total_bytes:,} bytes" if self.total_bytes is not None else \
                f"at least {self.bytes:,} bytes ({self.unknown_sizes} files of unknown size)"
            return f"download (dry run) into {self.dest}: {self.files} files, {size}"
        rate = self.bytes / self.seconds / 1e6 if self.seconds else 0.0
        return (f"download into {self.dest}: {self.files} files, downloaded {self.downloaded}, present "
                f"{self.present}, failed {self.failed}; {self.bytes:,} bytes in {self.seconds:.1f} s "
                f"({rate:.1f} MB/s)")


class _Progress:
    """A tqdm bar in bytes on a terminal, a log line every few seconds otherwise."""

    def __init__(self, enabled: bool | None, total: int | None) -> None:
        self.bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="B", unit_scale=True, desc="download", file=sys.stderr)
        self.done = 0
        self._lock = threading.Lock()
        self._last = time.monotonic()

    def __call__(self, n: int) -> None:
        with self._lock:
            self.done += n
            if self.bar is not None:
                self.bar.update(n)
            elif time.monotonic() - self._last >= 5:
                self._last = time.monotonic()
                log.info("download: %s bytes so far", f"{self.done:,}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def download(records: Iterable[ProductRecord], dest: str, *, include: Sequence[str] = INCLUDE,
             workers: int = 8, verify: bool = True, transport: Any = None, roots: Sequence[str] = (),
             registries: Sequence[LocalCopies] | None = None, dry_run: bool = False,
             progress: bool | None = None, report: str | None = None) -> DownloadReport:
    """Download the label and/or data files of ``records`` under ``dest``.

    Parameters
    ----------
    records : iterable of ProductRecord
        Usually ``catalog.search(...)`` hits (``Catalog.download`` passes its records and roots).
    dest : str
        Destination folder; files land at their archive-relative paths, never outside it.
    include : ("label", "data") or one of them
        Which files of each product.
    workers : int
        Files fetched at once (the transport's per-host limit applies too).
    verify : bool
        Check each file's MD5 (where the label gives one) or size; a mismatch is fetched once more,
        then quarantined under ``dest/.quarantine/`` and reported.
    roots : archive roots (harvested source URLs): files under a root keep their path relative to it.
    registries : where verified copies are recorded (default: the user's registry).
    dry_run : count the files and their bytes (HEAD for sizes the labels do not give); fetch nothing.
    report : also write the JSON report there.

    Returns
    -------
    DownloadReport
        ``exit_code`` 0 when every file is there and verified, 1 when some failed.
    """
    from ..transport import Transport

    if workers < 1:
        raise ValueError("workers must be >= 1")
    started = _dt.datetime.now(_dt.timezone.utc)
    clock = time.perf_counter()
    dest = os.path.abspath(os.fspath(dest))
    result = DownloadReport(dest=dest, started=started, dry_run=dry_run)
    tasks, refused = plan_files(records, include, roots)
    result.files = len(tasks) + len(refused)
    for url, error, message in refused:
        result.failures.append(DownloadFailure(url, error, message))
    transport = transport or Transport(max_per_host=max(4, workers))
    registries = list(registries) if registries is not None else [LocalCopies()]
    if dry_run:
        _dry_run(tasks, transport, workers, result)
    else:
        os.makedirs(dest, exist_ok=True)
        bar = _Progress(progress, sum(t.size for t in tasks if t.size) or None)
        fetcher = FileFetcher(transport, dest, verify=verify, progress=bar,
                              known=lambda url: next((e for e in (r.entry(url) for r in registries) if e),
                                                     None))
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archive_fed-download") as pool:
                # registered as each file completes, so a killed run loses no finished file's entry
                for future in as_completed([pool.submit(fetcher, task) for task in tasks]):
                    _tally(result, future.result(), registries)
        finally:
            bar.close()
            for registry in registries:
                registry.close()
    result.failed = len(result.failures)
    result.finished = _dt.datetime.now(_dt.timezone.utc)
    result.seconds = time.perf_counter() - clock
    result.requests = getattr(transport, "request_count", 0)
    if report:
        result.write(report)
    log.info("%s", result.summary())
    return result


def _tally(result: DownloadReport, outcome: FileResult, registries: Sequence[LocalCopies]) -> None:
    result.bytes += outcome.bytes
    if outcome.outcome is Outcome.FAILED:
        result.failures.append(DownloadFailure(outcome.task.url, outcome.error or "Error",
                                               outcome.message or "failed"))
        return
    if outcome.outcome is Outcome.PRESENT:
        result.present += 1
    else:
        result.downloaded += 1
    size = os.path.getsize(outcome.path)
    for registry in registries:
        registry.add(outcome.task.url, outcome.path, size, outcome.task.md5)


def _dry_run(tasks: list[FileTask], transport: Any, workers: int, result: DownloadReport) -> None:
    """Count bytes: the labels' sizes, else a HEAD per file (concurrently)."""
    from ..errors import FetchError

    def size_of(task: FileTask) -> int | None:
        if task.size is not None:
            return task.size
        if "://" not in task.url or task.url.startswith("file://"):
            try:
                return os.path.getsize(task.url.removeprefix("file://"))
            except OSError:
                return None
        try:
            length = transport.head(task.url).headers.get("Content-Length")
        except FetchError:
            return None
        return int(length) if length and length.isdigit() else None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        sizes = list(pool.map(size_of, tasks))
    result.bytes = sum(s for s in sizes if s is not None)
    result.unknown_sizes = sum(s is None for s in sizes)
    result.total_bytes = None if result.unknown_sizes else result.bytes
