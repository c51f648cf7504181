"""Harvesting on a dask.distributed cluster: the same engine, with fetch + parse + normalize as tasks.

Discovery runs here (the client side); products go to the cluster in batches of ``batch_size``. Each task
processes its batch with a few threads (the work is I/O bound), writes the new and updated records as one
journal part beside the catalog — the same atomic parts the local engine writes — and returns only counts
and failures. When every batch is done, the client folds the journal into the catalog exactly as the local
engine does, so incremental reruns, resume after a crash and the no-loss/no-duplicate guarantees are the
same. A worker that dies mid-task has its batch rerun elsewhere by dask; if it had already written its
part, the rerun writes a second part with the same products and the fold dedupes them by uid.

The journal needs a filesystem every worker and the client see at the same path (a LocalCluster, or a
cluster with a shared POSIX filesystem); see docs/scaling.md.
"""
from __future__ import annotations

import datetime as _dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

from ..sources.base import ProductRef, Source
from .engine import NEW, UPDATED, _now, fresh_refs, process, tally
from .report import Failure, HarvestReport
from .state import HarvestState, Seen

#: Batches in flight per worker thread slot of the cluster (keeps every worker busy, memory bounded).
IN_FLIGHT_PER_WORKER = 2


def process_batch(source: Source, catalog: str, refs: list[ProductRef], priors: list[Seen | None],
                  now: _dt.datetime, threads: int) -> list[tuple[str, int, Failure | None]]:
    """A dask task: process ``refs``, commit new/updated records as one journal part, return outcomes."""
    state = HarvestState(catalog, source.name, source.state_id)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        results = list(pool.map(lambda pair: process(source, pair[0], pair[1], now), zip(refs, priors)))
    records = [r[1] for r in results if r[0] in (NEW, UPDATED)]
    seen = [r[2] for r in results if r[0] in (NEW, UPDATED)]
    state.append(records, seen)  # type: ignore[arg-type]
    return [(outcome, size, failure) for outcome, _, _, size, failure, _ in results]


def _batches(refs: Iterator[ProductRef], size: int) -> Iterator[list[ProductRef]]:
    batch: list[ProductRef] = []
    for ref in refs:
        batch.append(ref)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_distributed(client: Any, src: Source, known: dict[str, Seen], recovered: dict[str, Seen],
                    state: HarvestState, result: HarvestReport, since: _dt.datetime | None, workers: int,
                    batch_size: int, bar: Any) -> None:
    from distributed import as_completed

    now = _now()
    source = client.scatter(src, broadcast=True)   # one copy per worker, not one per task
    slots = max(1, sum(client.nthreads().values())) * IN_FLIGHT_PER_WORKER
    threads = max(1, min(workers, 16))
    pending = as_completed()
    in_flight = 0

    def collect(future: Any) -> None:
        for outcome, size, failure in future.result():
            tally(result, outcome, size, failure)
            bar.update(result)

    for batch in _batches(fresh_refs(src, since, result, recovered), batch_size):
        priors = [known.get(ref.key) for ref in batch]
        pending.add(client.submit(process_batch, source, state.catalog, batch, priors, now, threads,
                                  pure=False, retries=3))
        in_flight += 1
        if in_flight >= slots:
            collect(next(pending))
            in_flight -= 1
    for future in pending:
        collect(future)
