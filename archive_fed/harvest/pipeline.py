"""One product through the harvest: fetch → parse → normalize, and how its result is counted.

Both runners (:mod:`.local`, a thread pool, and :mod:`.distributed`, dask) depend on this module and on
nothing of each other; the engine (:mod:`.engine`) orchestrates them (lock, state, commit).

>>> from archive_fed.harvest.pipeline import Outcome, ProductResult
>>> ProductResult(Outcome.UNCHANGED).changed
False
"""
from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import ArchiveFedError
from ..record import ProductRecord
from ..sources.base import ProductRef, Source
from .report import Failure, HarvestReport
from .state import HarvestState, Seen

log = logging.getLogger("archive_fed.harvest")


class Outcome(str, enum.Enum):
    """What one harvest did with one product (the values are the report's words)."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass
class ProductResult:
    """The result of processing one product.

    Attributes
    ----------
    outcome : Outcome
    record : ProductRecord or None
        The normalized record, for NEW and UPDATED only.
    seen : Seen or None
        The row remembered for the next incremental run (None when FAILED).
    bytes : int
        Label bytes fetched.
    failure : Failure or None
        Why it failed (FAILED only).
    attempts : int
        Requests made for it (retries included).
    """

    outcome: Outcome
    record: ProductRecord | None = None
    seen: Seen | None = None
    bytes: int = 0
    failure: Failure | None = None
    attempts: int = 1

    @property
    def changed(self) -> bool:
        """True when the record goes into the journal (NEW or UPDATED)."""
        return self.outcome in (Outcome.NEW, Outcome.UPDATED)


@dataclass
class RunContext:
    """What a runner needs from the engine for one harvest run."""

    source: Source
    known: dict[str, Seen]          # seen rows of earlier runs and of the recovered journal
    recovered: dict[str, Seen]      # keys already harvested by an interrupted run
    state: HarvestState
    report: HarvestReport
    since: _dt.datetime | None
    workers: int
    batch_size: int
    progress: Any                   # has update(report)
    #: the paging cursor an interrupted run saved (handed to ``discover(state=…)``), or None
    resume: dict[str, Any] | None = None


class CursorTracker:
    """The paging cursor that is safe to resume from: the one in force when the oldest product not yet
    committed was discovered (its page is read again on resume; products already journaled on it are
    skipped as recovered). Only cursor changes are kept, so memory grows with pages, not products."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._pages: list[tuple[int, dict[str, Any]]] = []   # (first product index, cursor then)
        self._done: set[int] = set()
        self._low = 0          # every index below is committed
        self._seen = 0

    def discovered(self) -> int:
        """Note one discovered product; returns its index."""
        cursor = self.source.cursor()
        if not self._pages or self._pages[-1][1] != cursor:
            self._pages.append((self._seen, cursor))
        self._seen += 1
        return self._seen - 1

    def committed(self, index: int) -> None:
        self._done.add(index)
        while self._low in self._done:
            self._done.discard(self._low)
            self._low += 1

    def safe(self) -> dict[str, Any]:
        if self._low >= self._seen:
            return self.source.cursor()
        keep = [cursor for first, cursor in self._pages if first <= self._low]
        while len(self._pages) > 1 and self._pages[1][0] <= self._low:
            self._pages.pop(0)   # pages wholly behind the committed prefix are never needed again
        return keep[-1]


def now() -> _dt.datetime:
    """The harvest clock (UTC)."""
    return _dt.datetime.now(_dt.timezone.utc)


def process(source: Source, ref: ProductRef, prior: Seen | None, now: _dt.datetime) -> ProductResult:
    """Fetch and normalize one product; never raises for a bad product (FAILED instead).

    Parameters
    ----------
    source : Source
    ref : ProductRef
        From ``source.discover``; when ``ref.record`` is set the record is used as delivered.
    prior : Seen or None
        The row an earlier run kept for this key (conditional requests, change detection).
    now : datetime
        The ``harvested_at`` stamp of new and updated records.

    Returns
    -------
    ProductResult
    """
    attempts = 1
    try:
        if ref.record is not None:  # API sources deliver records directly
            record = ref.record.replace(harvested_at=None, archive=ref.record.archive or source.name)
            digest = hashlib.md5(json.dumps(record.to_dict(), sort_keys=True).encode()).hexdigest()
            record = record.replace(harvested_at=now)
            seen = Seen(ref.key, record.uid or "", ref.etag, ref.last_modified, ref.size, digest)
            if prior and prior.digest == digest:
                return ProductResult(Outcome.UNCHANGED, seen=seen)
            return ProductResult(Outcome.UPDATED if prior else Outcome.NEW, record, seen)
        conditional = {"etag": prior.etag, "last_modified": prior.last_modified} if prior else None
        response = source.fetch(ref, conditional)
        attempts = getattr(response, "attempts", 1)
        if response.not_modified and prior is not None:
            return ProductResult(Outcome.UNCHANGED, seen=prior, attempts=attempts)
        data = response.content
        digest = hashlib.md5(data).hexdigest()
        seen = Seen(ref.key, "", response.etag, response.last_modified, len(data), digest)
        if prior is not None and prior.digest == digest:
            seen.uid = prior.uid
            return ProductResult(Outcome.UNCHANGED, seen=seen, bytes=len(data), attempts=attempts)
        record = source.to_record(ref, data).replace(harvested_at=now)
        seen.uid = record.uid or ""
        return ProductResult(Outcome.UPDATED if prior else Outcome.NEW, record, seen, len(data),
                             attempts=attempts)
    except ArchiveFedError as exc:
        attempts = getattr(exc, "attempts", attempts) or attempts
        return ProductResult(Outcome.FAILED, failure=Failure(ref.url, type(exc).__name__, str(exc), attempts),
                             attempts=attempts)
    except Exception as exc:  # noqa: BLE001 - one bad product must never stop the harvest
        log.debug("unexpected error on %s", ref.url, exc_info=True)
        failure = Failure(ref.url, type(exc).__name__, f"{ref.url}: {exc}", attempts)
        return ProductResult(Outcome.FAILED, failure=failure, attempts=attempts)


def tally(report: HarvestReport, result: ProductResult) -> None:
    """Count one processed product in the report."""
    report.bytes += result.bytes
    if result.outcome is Outcome.FAILED:
        assert result.failure is not None
        report.failures.append(result.failure)
    elif result.outcome is Outcome.UNCHANGED:
        report.unchanged += 1
    elif result.outcome is Outcome.NEW:
        report.new += 1
    else:
        report.updated += 1


def fresh_refs(src: Source, since: _dt.datetime | None, report: HarvestReport, recovered: dict[str, Seen],
               resume: dict[str, Any] | None = None) -> Iterator[ProductRef]:
    """Discovered products that this run must process: each once, none older than ``since``, none
    already harvested by an interrupted run (those are committed from its journal). ``resume`` is the
    paging cursor an interrupted run saved: discovery starts there instead of at page 1."""
    keys: set[str] = set()
    for ref in src.discover(since=since, state=resume):
        if since and ref.modified and ref.modified < since:
            report.skipped += 1
            continue
        if ref.key in keys:
            continue  # listed twice (index and tree, or two index rows): harvest once
        keys.add(ref.key)
        report.found += 1
        if ref.key in recovered:
            report.recovered += 1
            continue
        yield ref
