"""Record codec benchmark: the one Arrow codec (archive_fed.record) on its three paths, against pyarrow alone.

    python benchmarks/codec.py [N] [--batch 1000] [--rounds 3]

Prints one table, records/s (best of ``rounds``) for: records → Arrow (``records_to_arrow``) and back
(``records_from_arrow``); the harvest journal (``HarvestState.append`` in batches + ``read_journal``);
the Parquet export (``Catalog.to_parquet`` / ``read_parquet``) and ``Catalog.to_arrow``. The baseline, in
the same run: pyarrow writing and reading the same Arrow table to Parquet with nothing of archive_fed
around it (the file-format floor of the journal and the export).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive_fed.catalog import Catalog  # noqa: E402
from archive_fed.harvest.state import HarvestState, Seen  # noqa: E402
from archive_fed.record import records_from_arrow, records_to_arrow  # noqa: E402
from archive_fed.testing.synthetic import synthetic_records  # noqa: E402


def best(rounds: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000, help="records per journal part (harvest default)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.n
    records = synthetic_records(n, seed=5)
    seen = [Seen(f"k{i}", r.uid, etag=f"e{i}", size=i) for i, r in enumerate(records)]
    table = records_to_arrow(records)
    catalog = Catalog.from_records(records)
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="af-codec-") as work:
        raw = os.path.join(work, "raw.parquet")
        rows.append(("baseline: pyarrow write_table", best(args.rounds, lambda: pq.write_table(
            table, raw, compression="zstd"))))
        rows.append(("baseline: pyarrow read_table", best(args.rounds, lambda: pq.read_table(raw))))
        rows.append(("records_to_arrow", best(args.rounds, lambda: records_to_arrow(records))))
        rows.append(("records_from_arrow", best(args.rounds, lambda: records_from_arrow(table))))

        def journal_append() -> HarvestState:
            state = HarvestState(os.path.join(work, f"c{time.perf_counter_ns()}.zarr"), "s", "https://x/")
            for begin in range(0, n, args.batch):
                state.append(records[begin:begin + args.batch], seen[begin:begin + args.batch])
            return state

        rows.append((f"journal append ({args.batch}/part)", best(args.rounds, journal_append)))
        state = journal_append()
        rows.append(("journal read", best(args.rounds, state.read_journal)))
        path = os.path.join(work, "c.parquet")
        rows.append(("Catalog.to_arrow", best(args.rounds, catalog.to_arrow)))
        rows.append(("Catalog.to_parquet", best(args.rounds, lambda: catalog.to_parquet(path))))
        rows.append(("Catalog.read_parquet", best(args.rounds, lambda: Catalog.read_parquet(path))))
    print(f"{n:,} synthetic records, best of {args.rounds}")
    print(f"{'path':<34} {'seconds':>9} {'records/s':>12}")
    for name, seconds in rows:
        print(f"{name:<34} {seconds:>9.3f} {n / seconds:>12,.0f}")


if __name__ == "__main__":
    main()
