"""The harvest engine: discover → fetch → parse → normalize → commit, concurrently, incrementally,
resumably, and never stopping the run for one bad product.

>>> import archive_fed as af                                                          # doctest: +SKIP
>>> report = af.harvest("pds3-volume", url="https://host/VOLUME/", catalog="catalogs/lunar.zarr")
>>> report.new, report.failed, report.exit_code                                       # doctest: +SKIP
(412, 1, 1)
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import sys
import time
from typing import Any

from .. import sources as _sources
from ..times import user_time
from ..record import ProductRecord
from ..sources.base import Source
from ..transport import Transport
from .local import run_local
from .pipeline import RunContext
from .pipeline import now as _now
from .lock import HarvestLock
from .report import Failure, HarvestReport
from .state import HarvestState, Seen

log = logging.getLogger("archive_fed.harvest")


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
    since_time = user_time(since, what="--since") if since is not None else None
    state = HarvestState(catalog, src.name, src.state_id)
    started = _now()
    result = HarvestReport(source=src.name, url=src.url, catalog=catalog, started=started)
    clock = time.perf_counter()
    lock_path = os.path.join(f"{state.catalog}.harvest", "lock")
    with HarvestLock(lock_path):
        seen = state.load_seen()
        recovered_parts = set(state.journal_parts())
        recovered_records, recovered_seen = state.read_journal()
        if recovered_seen:
            log.info("resuming: %d products harvested by an interrupted run", len(recovered_seen))
        known = {**seen, **recovered_seen}
        # an interrupted run's paging cursor: discovery resumes there (only with its journal in hand)
        resume = state.load_cursor() if recovered_parts else None
        bar = _Progress(progress, f"harvest {src.name}")
        run = RunContext(src, known, recovered_seen, state, result, since_time, workers, batch_size, bar,
                         resume=resume)
        try:
            if client is not None:
                from .distributed import run_distributed

                run_distributed(client, run)
            else:
                run_local(run)
        finally:
            bar.close()
        # a resumed paging does not list again what the interrupted run journaled: count it all the same
        unlisted = len(recovered_seen) - result.recovered
        result.found += unlisted
        result.recovered += unlisted
        for problem in src.problems:
            result.failures.append(Failure(problem.url, problem.error, problem.message, problem.attempts))
        # the journal is read once more only for the parts this run wrote (the recovered ones are in hand)
        records, journal_seen = state.read_journal(exclude=recovered_parts)
        _commit(state, catalog, Catalog, src, seen, result, started,
                recovered_records + records, {**recovered_seen, **journal_seen})
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


def _commit(state: HarvestState, catalog: str, catalog_cls: Any, src: Source, seen: dict[str, Seen],
            result: HarvestReport, started: _dt.datetime, records: list[ProductRecord],
            journal_seen: dict[str, Seen]) -> None:
    """Fold the journal (its records and seen rows) into the catalog and the seen table (each step
    atomic; see state.py)."""
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
    state.clear_cursor()
