"""Federated search latency: loopback ODE, PDS API, EPN-TAP and PDAP services with 200 ms injected latency
per request, ~5 pages each. Prints each single source alone (the baselines), the fan-out over all four
(overhead over the slowest single source; target < 10 %), a cached re-run (target < 50 ms), and the cache
entry format (reading the four entries as Arrow IPC, as stored, against the same tables as Parquet).
Every figure is the median of ``--repeat`` rounds (default 5), each round running every single source
then the fan-out (interleaved, so a change of machine load hits both); each run creates its sources
by URL, as a user's call does. The overhead is given from the medians and as the median of each round's
own overhead (fan-out against that round's slowest single source).

    python benchmarks/federated.py [--repeat 5]       (needs the corpus: ARCHIVE_FED_CORPUS)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import archive_fed as af  # noqa: E402
from archive_fed.testing.federated import build  # noqa: E402
from archive_fed.testing.servers import fast_transport  # noqa: E402


def timed(call, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    tmp = Path(tempfile.mkdtemp())
    os.environ["ARCHIVE_FED_CACHE"] = str(tmp / "cache")
    fed = build(tmp, latency=0.2)
    url = fed.server.url
    makers = {
        "ode": lambda: af.sources.create("ode", url + "/live2/", transport=fast_transport(), limit=8),
        "pds-api": lambda: af.sources.create("pds-api", url + "/api/search/1/", transport=fast_transport(),
                                             limit=8, target="Moon"),
        "epn-tap": lambda: af.sources.create("epn-tap", url + "/tap", transport=fast_transport(), maxrec=7,
                                             schema="psa"),
        "pdap": lambda: af.sources.create("pdap", url + "/pdap", transport=fast_transport(), page_size=5),
    }
    singles: dict[str, list[float]] = {name: [] for name in makers}
    fans, overheads, counts = [], [], {}
    try:
        for _ in range(repeat):        # rounds interleaved, so a change of machine load hits both sides
            for name, make in makers.items():
                seconds, hits = timed(lambda make=make: af.search(sources=[make()], refresh=True, timeout=60), 1)
                singles[name].append(seconds)
                counts[name] = len(hits)
            fan, hits = timed(lambda: af.search(sources=[m() for m in makers.values()], refresh=True,
                                                timeout=60), 1)
            fans.append(fan)
            slowest = max(times[-1] for times in singles.values())
            overheads.append((fan - slowest) / slowest)
        cached, again = timed(lambda: af.search(sources=[m() for m in makers.values()], timeout=60), repeat)
    finally:
        fed.server.close()
    rows = [(f"single {name}", statistics.median(times), counts[name]) for name, times in singles.items()]
    slowest = max(r[1] for r in rows)
    fan = statistics.median(fans)
    rows += [("fan-out (4 sources)", fan, len(hits)), ("cached re-run", cached, len(again))]
    entries = sorted((tmp / "cache").glob("*.arrow"), key=lambda p: p.stat().st_mtime)[-4:]
    if entries:        # the entry format: as stored (Arrow IPC) against the same tables as Parquet
        tables = [pa.ipc.open_file(pa.py_buffer(p.read_bytes())).read_all() for p in entries]
        for i, table in enumerate(tables):
            pq.write_table(table, tmp / f"entry{i}.parquet")
        ipc, _ = timed(lambda: [pa.ipc.open_file(pa.py_buffer(p.read_bytes())).read_all() for p in entries],
                       max(repeat, 20))
        parquet, _ = timed(lambda: [pq.read_table(tmp / f"entry{i}.parquet") for i in range(len(tables))],
                           max(repeat, 20))
        rows += [(f"read {len(entries)} entries: Arrow IPC", ipc, sum(t.num_rows for t in tables)),
                 (f"read {len(entries)} entries: Parquet", parquet, sum(t.num_rows for t in tables))]
    print(f"median of {repeat} rounds; 200 ms latency per request")
    print(f"{'run':<32}{'seconds':>10}{'hits':>8}")
    for name, seconds, n in rows:
        print(f"{name:<32}{seconds:>10.4f}{n:>8}")
    print(f"fan-out overhead over the slowest single source: {100 * (fan - slowest) / slowest:+.1f} % of the medians, "
          f"{100 * statistics.median(overheads):+.1f} % median of the rounds "
          f"({', '.join(f'{100 * o:+.1f}' for o in overheads)}) (target < 10 %)")
    print(f"cached re-run: {1000 * cached:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
