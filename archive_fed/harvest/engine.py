"""The harvest engine: discover → fetch → parse → normalize → commit, concurrently, incrementally,
resumably, and never stopping the run for one bad product.

>>> import archive_fed as af                                                          # doctest: +SKIP
>>> report = af.harvest("pds3-volume", url="https://host/VOLUME/", catalog="catalogs/lunar.zarr")
>>> report.new, report.failed, report.exit_code                                       # doctest: +SKIP
(412, 1, 1)
"""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import logging
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Iterator

from .. import sources as _sources
from ..errors import ArchiveFedError, CatalogError
from ..labels.values import utc_time
from ..record import ProductRecord
from ..sources.base import ProductRef, Source
from ..transport import Transport
from .report import Failure, HarvestReport
from .state import HarvestState, Seen

log = logging.getLogger("archive_fed.harvest")

NEW, UPDATED, UNCHANGED, FAILED = "new", "updated", "unchanged", "failed"


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class _Lock:
    """One harvest per catalog at a time (a lock file naming the holder's pid; stale locks are taken)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> "_Lock":
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


class _Progress:
    """A tqdm bar on a terminal, plain log lines every few seconds otherwise."""

    def __init__(self, enabled: bool | None, label: str) -> None:
        self.bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(desc=label, unit="product", dynamic_ncols=True, file=sys.stderr)
        self.label = label
        self.done = 0
        self._last = time.monotonic()

    def update(self, report: HarvestReport) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            if self.done % 50 == 0:
                self.bar.set_postfix(new=report.new, failed=report.failed, refresh=False)
        elif time.monotonic() - self._last >= 5:
            self._last = time.monotonic()
            log.info("%s: %d processed (new %d, updated %d, unchanged %d, failed %d)", self.label,
                     self.done, report.new, report.updated, report.unchanged, report.failed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def process(source: Source, ref: ProductRef, prior: Seen | None, now: _dt.datetime
             ) -> tuple[str, ProductRecord | None, Seen | None, int, Failure | None, int]:
    """Fetch and normalize one product. Returns (outcome, record, seen row, bytes, failure, attempts)."""
    attempts = 1
    try:
        if ref.record is not None:  # API sources deliver records directly
            record = ref.record.replace(harvested_at=None, archive=ref.record.archive or source.name)
            digest = hashlib.md5(json.dumps(record.to_dict(), sort_keys=True).encode()).hexdigest()
            record = record.replace(harvested_at=now)
            seen = Seen(ref.key, record.uid or "", ref.etag, ref.last_modified, ref.size, digest)
            if prior and prior.digest == digest:
                return UNCHANGED, None, seen, 0, None, 1
            return (UPDATED if prior else NEW), record, seen, 0, None, 1
        conditional = {"etag": prior.etag, "last_modified": prior.last_modified} if prior else None
        response = source.fetch(ref, conditional)
        attempts = getattr(response, "attempts", 1)
        if response.not_modified and prior is not None:
            return UNCHANGED, None, prior, 0, None, attempts
        data = response.content
        digest = hashlib.md5(data).hexdigest()
        seen = Seen(ref.key, "", response.etag, response.last_modified, len(data), digest)
        if prior is not None and prior.digest == digest:
            seen.uid = prior.uid
            return UNCHANGED, None, seen, len(data), None, attempts
        record = source.to_record(ref, data).replace(harvested_at=now)
        seen.uid = record.uid or ""
        return (UPDATED if prior else NEW), record, seen, len(data), None, attempts
    except ArchiveFedError as exc:
        attempts = getattr(exc, "attempts", attempts) or attempts
        return FAILED, None, None, 0, Failure(ref.url, type(exc).__name__, str(exc), attempts), attempts
    except Exception as exc:  # noqa: BLE001 - one bad product must never stop the harvest
        log.debug("unexpected error on %s", ref.url, exc_info=True)
        return FAILED, None, None, 0, Failure(ref.url, type(exc).__name__, f"{ref.url}: {exc}", attempts), \
            attempts


def harvest(source: str | Source, url: str | None = None, catalog: str = "catalogs/lunar.zarr", *,
            since: Any = None, workers: int = 8, report: str | None = None, batch_size: int = 1000,
            transport: Transport | None = None, progress: bool | None = None, client: Any = None,
            **options: Any) -> HarvestReport:
    """Harvest an archive into a catalog, incrementally.

    Parameters
    ----------
    source : str or Source
        A registered source name (``"pds3-volume"``, ``"pds4-bundle"``, a preset...) or an instance.
    url : str, optional
        Archive root or endpoint (a preset's default when None); http(s), ftp, file://, fsspec or a path.
    catalog : str
        The catalog (Zarr) to update; created when missing. Harvest state lives beside it
        (``<catalog>.harvest/``).
    since : str or datetime, optional
        Only products created/modified since then (where the archive tells).
    workers : int
        Concurrent fetch + parse workers.
    report : str, optional
        Where to write the JSON report (also kept as ``<catalog>.harvest/last-report.json``).
    batch_size : int
        Products per atomic journal commit (and, with ``client``, per dask task).
    client : dask.distributed.Client, optional
        Fetch, parse and normalize on a dask cluster: discovery stays here, batches of products run as
        tasks whose workers write journal parts beside the catalog (a shared filesystem), then the
        catalog is consolidated here — same incremental, resume and no-loss guarantees.

    Returns
    -------
    HarvestReport
        Counts, bytes, seconds and every quarantined failure; ``report.exit_code`` per SPEC §3.
    """
    from ..catalog import Catalog

    if options.pop("from_index", False):  # records from the volume's index table, no request per product
        from .ingest import ingest

        return ingest(url or "", catalog, transport=transport, report=report)
    if workers < 1:
        raise ValueError("workers must be >= 1")
    transport = transport or Transport(max_per_host=max(4, workers))
    src = _sources.create(source, url, transport=transport, **options) if isinstance(source, str) else source
    since_time = utc_time(since) if since is not None else None
    if since is not None and since_time is None:
        raise ValueError(f"--since: not a date or time: {since!r}")
    state = HarvestState(catalog, src.name, src.state_id)
    started = _now()
    result = HarvestReport(source=src.name, url=src.url, catalog=catalog, started=started)
    clock = time.perf_counter()
    lock_path = os.path.join(f"{state.catalog}.harvest", "lock")
    with _Lock(lock_path):
        seen = state.load_seen()
        recovered_records, recovered_seen = state.read_journal()
        if recovered_seen:
            log.info("resuming: %d products harvested by an interrupted run", len(recovered_seen))
        known = {**seen, **recovered_seen}
        bar = _Progress(progress, f"harvest {src.name}")
        try:
            if client is not None:
                from .distributed import run_distributed

                run_distributed(client, src, known, recovered_seen, state, result, since_time, workers,
                                batch_size, bar)
            else:
                _run_local(src, known, recovered_seen, state, result, since_time, workers, batch_size, bar)
        finally:
            bar.close()
        for problem in src.problems:
            result.failures.append(Failure(problem.url, problem.error, problem.message, problem.attempts))
        _commit(state, catalog, Catalog, src, seen, result, started)
    result.failed = len(result.failures)
    result.cursor = src.cursor()
    result.finished = _now()
    result.seconds = time.perf_counter() - clock
    result.requests = getattr(transport, "request_count", 0)
    result.write(os.path.join(f"{state.catalog}.harvest", "last-report.json"))
    if report:
        result.write(report)
    log.info("%s", result.summary())
    return result


def _run_local(src: Source, known: dict[str, Seen], recovered: dict[str, Seen], state: HarvestState,
               result: HarvestReport, since: _dt.datetime | None, workers: int, batch_size: int,
               bar: _Progress) -> None:
    now = _now()
    batch_records: list[ProductRecord] = []
    batch_seen: list[Seen] = []
    last_commit = time.monotonic()

    def flush() -> None:
        nonlocal last_commit
        state.append(batch_records, batch_seen)
        batch_records.clear()
        batch_seen.clear()
        last_commit = time.monotonic()

    def collect(future: Future) -> None:
        outcome, record, row, size, failure, _ = future.result()
        tally(result, outcome, size, failure)
        if outcome in (NEW, UPDATED):
            batch_records.append(record)  # type: ignore[arg-type]
            batch_seen.append(row)  # type: ignore[arg-type]
        if len(batch_seen) >= batch_size or (batch_seen and time.monotonic() - last_commit > 10):
            flush()
        bar.update(result)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archive_fed-harvest") as pool:
        pending: set[Future] = set()
        for ref in fresh_refs(src, since, result, recovered):
            pending.add(pool.submit(process, src, ref, known.get(ref.key), now))
            if len(pending) >= workers * 4:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future)
        for future in pending:
            collect(future)
    if batch_seen:
        flush()


def tally(result: HarvestReport, outcome: str, size: int, failure: Failure | None) -> None:
    """Count one processed product in the report."""
    result.bytes += size
    if outcome == FAILED:
        assert failure is not None
        result.failures.append(failure)
    elif outcome == UNCHANGED:
        result.unchanged += 1
    else:
        result.new += outcome == NEW
        result.updated += outcome == UPDATED


def fresh_refs(src: Source, since: _dt.datetime | None, result: HarvestReport, recovered: dict[str, Seen]
               ) -> Iterator[ProductRef]:
    """Discovered products that this run must process: each once, none older than ``since``, none
    already harvested by an interrupted run (those are committed from its journal)."""
    keys: set[str] = set()
    for ref in src.discover(since=since):
        if since and ref.modified and ref.modified < since:
            result.skipped += 1
            continue
        if ref.key in keys:
            continue  # listed twice (index and tree, or two index rows): harvest once
        keys.add(ref.key)
        result.found += 1
        if ref.key in recovered:
            result.recovered += 1
            continue
        yield ref


def _commit(state: HarvestState, catalog: str, catalog_cls: Any, src: Source, seen: dict[str, Seen],
            result: HarvestReport, started: _dt.datetime) -> None:
    """Fold the journal into the catalog and the seen table (each step atomic; see state.py)."""
    records, journal_seen = state.read_journal()
    exists = os.path.exists(state.catalog)
    current = catalog_cls.open(catalog) if exists else catalog_cls.from_records([])
    merged = current.upsert(records) if records else current
    all_seen = {**seen, **journal_seen}
    harvested_uids = {row.uid for row in all_seen.values() if row.uid}
    for problem in src.finish(harvested_uids):
        result.failures.append(Failure(problem.url, problem.error, problem.message, problem.attempts))
    info = {"source": src.name, "url": src.url, "last_harvest": started.isoformat(),
            "products": len(all_seen), "cursor": src.cursor(), "failed": len(result.failures)}
    merged.set_state(os.path.basename(state.root), info)
    merged.save(catalog)
    state.save_seen(all_seen)
    state.clear_journal()
