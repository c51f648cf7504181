"""Scale-out figures (issue 8), printed as tables:

1. harvest throughput on dask.distributed (LocalCluster, worker processes) with 1, 2 and 4 workers on a
   loopback PDS3 volume of 50,000 labels, against the local threaded engine in the same run;
2. lazy, chunk-streamed search over a catalog far larger than what is loaded (``--search-products``,
   20,000,000 by default) with its peak memory.

    python benchmarks/scale.py [--products 50000] [--workers 1 2 4] [--search-products 20000000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import archive_fed as af  # noqa: E402
from archive_fed.transport import Transport  # noqa: E402
from harvest import serve  # noqa: E402  (benchmarks/harvest.py: the archive in its own process)
from archive_fed.testing.replica import make_pds3_volume  # noqa: E402


def harvest_scale(products: int, worker_counts: list[int], work: Path) -> None:
    from distributed import Client, LocalCluster

    make_pds3_volume(work / "vol", products)
    process, base = serve(work)
    url = f"{base}/vol/"
    try:
        print(f"\nharvest of {products:,} PDS3 labels on loopback ({os.cpu_count()} cores)")
        print(f"{'engine':<28} {'products/s':>11} {'seconds':>8}")
        began = time.perf_counter()
        local = af.harvest("pds3-volume", url=url, catalog=str(work / "local.zarr"), workers=8,
                           progress=False, transport=Transport(max_per_host=8), batch_size=5000)
        seconds = time.perf_counter() - began
        print(f"{'local, 8 threads':<28} {local.new / seconds:>11.0f} {seconds:>8.1f}")
        for count in worker_counts:
            with LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                              host="127.0.0.1") as cluster, Client(cluster) as client:
                catalog = work / f"dask-{count}.zarr"
                began = time.perf_counter()
                report = af.harvest("pds3-volume", url=url, catalog=str(catalog), workers=8, progress=False,
                                    transport=Transport(max_per_host=8), batch_size=1000, client=client)
                seconds = time.perf_counter() - began
                assert report.new == local.new == products, (report.new, local.new)
                print(f"{f'dask, {count} worker process(es)':<28} {report.new / seconds:>11.0f} {seconds:>8.1f}")
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--search-products", type=int, default=20_000_000)
    parser.add_argument("--skip-harvest", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archive_fed-scale-"))
    try:
        if not args.skip_harvest:
            harvest_scale(args.products, args.workers, work)
        if not args.skip_search:
            from scale_search import search_scale

            search_scale(args.search_products, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
