"""The local runner: a thread pool fetches, parses and normalizes; batches are committed to the journal."""
from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ..record import ProductRecord
from .pipeline import CursorTracker, ProductResult, RunContext, fresh_refs, now, process, tally
from .state import Seen

#: Seconds after which a partial batch is committed anyway (bounds the work a crash can lose).
FLUSH_SECONDS = 10


def run_local(run: RunContext) -> None:
    """Process every fresh product of ``run.source`` with ``run.workers`` threads."""
    stamp = now()
    batch_records: list[ProductRecord] = []
    batch_seen: list[Seen] = []
    batch_indices: list[int] = []
    last_commit = time.monotonic()
    cursor = CursorTracker(run.source)
    index_of: dict[Future[ProductResult], int] = {}

    def flush() -> None:
        nonlocal last_commit
        run.state.append(batch_records, batch_seen)
        for i in batch_indices:
            cursor.committed(i)
        run.state.save_cursor(cursor.safe())   # after the part: a resume never skips what it holds
        batch_records.clear()
        batch_seen.clear()
        batch_indices.clear()
        last_commit = time.monotonic()

    def collect(future: Future[ProductResult]) -> None:
        result = future.result()
        index = index_of.pop(future)
        tally(run.report, result)
        if result.changed:
            batch_indices.append(index)
        else:
            cursor.committed(index)   # unchanged or failed: nothing to journal
        if result.changed:
            assert result.record is not None and result.seen is not None
            batch_records.append(result.record)
            batch_seen.append(result.seen)
        if len(batch_seen) >= run.batch_size or (batch_seen and time.monotonic() - last_commit > FLUSH_SECONDS):
            flush()
        run.progress.update(run.report)

    src = run.source
    with ThreadPoolExecutor(max_workers=run.workers, thread_name_prefix="archive_fed-harvest") as pool:
        pending: set[Future[ProductResult]] = set()
        for ref in fresh_refs(src, run.since, run.report, run.recovered, run.resume):
            future = pool.submit(process, src, ref, run.known.get(ref.key), stamp)
            index_of[future] = cursor.discovered()
            pending.add(future)
            if len(pending) >= run.workers * 4:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future)
        for future in pending:
            collect(future)
    if batch_seen:
        flush()
