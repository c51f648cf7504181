"""``af.search``: every source at once, a hard deadline, one merged catalog of the hits.

Each source runs in its own daemon thread. The call waits for all of them or until ``timeout`` seconds
have passed since it began; a source still running then is reported ``timeout`` and abandoned (its
thread ends on its own, through the transport's timeouts) — the call never blocks on it. Each source's
answer stays columnar (one catalog per filtered page, cache entry or catalog search) and
:func:`.merge.merge` deduplicates them by uid: the richest record is kept, and
:meth:`FederatedCatalog.sources_of` names every source that returned the product.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from ..catalog import Catalog
from ..errors import ArchiveFedError
from ..record import ProductRecord
from ..sources import Source, available, create, get
from . import cache
from .merge import FederatedCatalog, concat, merge
from ..sources.query import Query

__all__ = ["search", "SourceStatus", "FederatedCatalog", "default_sources", "resolve_sources"]

#: records filtered locally per batch (and the granularity at which ``limit`` stops paging)
BATCH = 100


@dataclass
class SourceStatus:
    """How one source answered: ``state`` is ``ok``, ``partial`` (answered, but stopped at the limit or
    with products it could not read), ``timeout`` or ``error``."""

    source: str
    url: str
    state: str = "timeout"
    hits: int = 0
    seconds: float = 0.0
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The status as plain JSON values."""
        return asdict(self)

    def line(self) -> str:
        """One line for the command line: ``source url: state: message``."""
        return f"{self.source} {self.url}: {self.state}: {self.message}"


@dataclass
class _CatalogTarget:
    path: str
    name: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.path
        self.url = self.url or self.path


@dataclass
class _Run:
    target: Source | _CatalogTarget
    status: SourceStatus
    parts: list[pa.Table] = field(default_factory=list)    # the source's hits so far (Arrow, per batch)
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def default_sources() -> list[Source | str]:
    """Every registered query service with a default endpoint, plus the configured catalogs."""
    found: list[Source | str] = []
    for name in available():
        try:
            cls = get(name)
        except ArchiveFedError:
            continue
        if cls.query_service and cls.default_url:
            found.append(create(name))
    found.extend(str(c) for c in cache.config().get("catalogs", []))
    return found


def resolve_sources(sources: Iterable[Source | str] | None) -> list[Source | _CatalogTarget]:
    """Source instances for names (``name`` or ``name=URL``), instances, and catalog paths/URLs."""
    names = set(available())
    out: list[Source | _CatalogTarget] = []
    for item in default_sources() if sources is None else sources:
        if isinstance(item, Source):
            out.append(item)
            continue
        text = str(item)
        name, _, url = text.partition("=")
        if name in names:
            out.append(create(name, url or None))
        else:
            out.append(_CatalogTarget(text))
    if not out:
        raise ArchiveFedError("no sources to search: give sources=[...] or list catalogs in "
                              f"{cache.config_path()}")
    return out


def _accept(batch: list[ProductRecord], filters: dict[str, Any]) -> pa.Table:
    """The records of ``batch`` that the local search keeps (the exact filter after a loose pushdown)."""
    return Catalog.from_records(batch).search(**filters).to_arrow()


class _Shared:
    """The hit count across sources, for ``limit``."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.count = 0
        self.lock = threading.Lock()

    def add(self, run: _Run, part: pa.Table) -> bool:
        """Add ``part`` to the hits of ``run``; True when the limit is reached."""
        with run.lock:
            run.parts.append(part)
        with self.lock:
            self.count += part.num_rows
            return self.limit is not None and self.count >= self.limit

    @property
    def reached(self) -> bool:
        return self.limit is not None and self.count >= self.limit


def _work(run: _Run, query: Query, shared: _Shared, refresh: bool, abandoned: threading.Event) -> None:
    began = time.perf_counter()
    target, status, filters = run.target, run.status, query.filters()
    try:
        if isinstance(target, _CatalogTarget):
            hits = Catalog.open(target.path).search(**filters)
            shared.add(run, (hits if shared.limit is None else hits[:shared.limit]).to_arrow())
            status.state = "ok"
            return
        key = cache.cache_key(target.name, target.url, _plain(target.options), query.key())
        cached = None if refresh else cache.read(key)
        if cached is not None:
            shared.add(run, cached if shared.limit is None else cached.slice(0, shared.limit))
            status.state, status.message = "ok", "cached"
            return
        batch: list[ProductRecord] = []
        stopped = False
        for record in target.search(query, shared.limit):
            if abandoned.is_set():
                return
            batch.append(record)
            # with a limit, filter as soon as the batch could reach it, so paging stops at that page
            size = BATCH if shared.limit is None else max(1, min(BATCH, shared.limit - shared.count))
            if len(batch) >= size:
                part, batch = _accept(batch, filters), []
                if shared.add(run, part):
                    stopped = True
                    break
        if batch:
            shared.add(run, _accept(batch, filters))
        problems = [p.message for p in target.problems]
        if stopped:
            status.state, status.message = "partial", f"stopped at limit {shared.limit}"
        elif problems:
            status.state = "partial"
            status.message = f"{len(problems)} unreadable product(s): {problems[0]}"
        else:
            status.state = "ok"
            with run.lock:
                answer = concat(run.parts)
            cache.write(key, answer)
    except Exception as exc:  # noqa: BLE001 — any failure of one source is that source's error state
        status.state, status.message = "error", f"{type(exc).__name__}: {exc}"
    finally:
        status.seconds = round(time.perf_counter() - began, 3)
        run.done.set()


def _plain(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in ("transport",)}


def search(mission: Any = None, instrument: Any = None, target: Any = None, level: Any = None,
           start: Any = None, stop: Any = None, bbox: Sequence[float] | None = None,
           sources: Iterable[Source | str] | None = None, timeout: float = 30, limit: int | None = None,
           refresh: bool = False) -> FederatedCatalog:
    """Search live query services and catalogs at once (SPEC §5).

    Parameters
    ----------
    mission, instrument, target, level, start, stop, bbox
        The filters of :meth:`archive_fed.Catalog.search`. Each service gets them in its own query
        language where it can express them; the rest is filtered locally, so the hits equal harvesting
        every source and searching the catalog.
    sources : list, optional
        Source names (default endpoints; ``"name=URL"`` for another), :class:`~archive_fed.sources.Source`
        instances and catalog paths or fsspec URLs. Default: every registered query service with a
        default endpoint plus the ``catalogs`` of the user configuration (see :mod:`archive_fed.federated.cache`).
    timeout : float
        Seconds for the whole call: a source still answering then is abandoned and reported ``timeout``.
    limit : int, optional
        At most this many hits in total; sources stop paging once it is reached.
    refresh : bool
        Ignore cached answers (and cache the new ones).

    Returns
    -------
    FederatedCatalog
        The hits, with ``.status`` (one :class:`SourceStatus` per source) and ``.sources_of(uid)``.

    Examples
    --------
    >>> import archive_fed as af
    >>> hits = af.search(mission="LRO", bbox=(350, -10, 10, 10), start="2010-01-01",
    ...                  sources=["ode", "nasa-pds", "catalogs/lunar.zarr"], timeout=20)  # doctest: +SKIP
    >>> [(s.source, s.state, s.hits) for s in hits.status]  # doctest: +SKIP
    """
    began = time.monotonic()
    if limit is not None and limit < 0:
        raise ArchiveFedError(f"limit must be >= 0, not {limit}")
    query = Query.from_filters(mission=mission, instrument=instrument, target=target, level=level,
                               start=start, stop=stop, bbox=bbox)
    if query.start and query.stop and query.start > query.stop:
        raise ArchiveFedError(f"search start {start!r} is after stop {stop!r}")
    targets = resolve_sources(sources)
    shared, abandoned = _Shared(limit), threading.Event()
    runs = [_Run(t, SourceStatus(source=t.name, url=t.url)) for t in targets]
    for run in runs:
        threading.Thread(target=_work, args=(run, query, shared, refresh, abandoned), daemon=True,
                         name=f"af-search-{run.status.source}").start()
    deadline = began + float(timeout)
    for run in runs:
        run.done.wait(max(0.0, deadline - time.monotonic()))
    abandoned.set()
    for run in runs:
        if not run.done.is_set():
            run.status.state = "timeout"
            run.status.seconds = round(time.monotonic() - began, 3)
            run.status.message = f"no complete answer within {timeout:g} s"
    answers = []
    for run in runs:
        with run.lock:
            parts = list(run.parts)
        run.status.hits = sum(p.num_rows for p in parts)
        answers.append((run.status.source, parts))
    hits = merge(answers, limit)
    hits.status = [run.status for run in runs]
    return hits
