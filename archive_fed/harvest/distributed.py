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
from .pipeline import ProductResult, RunContext, fresh_refs, now, process, tally
from .state import HarvestState, Seen

#: Batches in flight per worker thread slot of the cluster (keeps every worker busy, memory bounded).
IN_FLIGHT_PER_WORKER = 2


def process_batch(source: Source, catalog: str, refs: list[ProductRef], priors: list[Seen | None],
                  stamp: _dt.datetime, threads: int) -> list[ProductResult]:
    """A dask task: process ``refs``, commit new/updated records as one journal part, return the
    results without their records (they are in the journal; only counts and failures travel back)."""
    state = HarvestState(catalog, source.name, source.state_id)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        results = list(pool.map(lambda pair: process(source, pair[0], pair[1], stamp), zip(refs, priors)))
    changed = [r for r in results if r.changed]
    state.append([r.record for r in changed], [r.seen for r in changed])  # type: ignore[misc]
    return [ProductResult(r.outcome, None, None, r.bytes, r.failure, r.attempts) for r in results]


def _batches(refs: Iterator[ProductRef], size: int) -> Iterator[list[ProductRef]]:
    batch: list[ProductRef] = []
    for ref in refs:
        batch.append(ref)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_distributed(client: Any, run: RunContext) -> None:
    """Process every fresh product of ``run.source`` as dask tasks of ``run.batch_size`` products."""
    from distributed import as_completed

    stamp = now()
    src = run.source
    source = client.scatter(src, broadcast=True)   # one copy per worker, not one per task
    slots = max(1, sum(client.nthreads().values())) * IN_FLIGHT_PER_WORKER
    threads = max(1, min(run.workers, 16))
    pending = as_completed()
    in_flight = 0

    def collect(future: Any) -> None:
        for result in future.result():
            tally(run.report, result)
            run.progress.update(run.report)

    for batch in _batches(fresh_refs(src, run.since, run.report, run.recovered, run.resume), run.batch_size):
        priors = [run.known.get(ref.key) for ref in batch]
        pending.add(client.submit(process_batch, source, run.state.catalog, batch, priors, stamp, threads,
                                  pure=False, retries=3))
        in_flight += 1
        if in_flight >= slots:
            collect(next(pending))
            in_flight -= 1
    for future in pending:
        collect(future)
