"""Harvest throughput: products/s with 1, 4 and 16 workers on a loopback PDS3 volume of 20,000 labels,
against the raw limit (the same label URLs fetched by the same transport and threads, no parsing) in the
same run. The archive is served by a separate process so client and server do not share a GIL.

    python benchmarks/harvest.py [--products 20000] [--workers 1 4 16]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archive_fed as af  # noqa: E402
from archive_fed.labels.index_table import product_paths, read_index_table  # noqa: E402
from archive_fed.labels.pds3 import parse_pds3  # noqa: E402
from archive_fed.transport import Transport  # noqa: E402
from archive_fed.testing.replica import make_pds3_volume  # noqa: E402

SERVER = """
import sys, time
sys.path.insert(0, {root!r})
from archive_fed.testing.servers import ArchiveServer
with ArchiveServer({folder!r}) as server:
    print(server.url, flush=True)
    while True:
        time.sleep(3600)
"""


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), folder=str(folder))],
                               stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    return process, url


def raw_fetch(urls: list[str], workers: int) -> float:
    transport = Transport(max_per_host=workers)
    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(lambda u: transport.get(u).content, urls, chunksize=64):
            pass
    return len(urls) / (time.perf_counter() - began)


def harvest_rate(url: str, workers: int, work: Path) -> tuple[float, float, int]:
    catalog = work / f"cat-{workers}.zarr"
    began = time.perf_counter()
    report = af.harvest("pds3-volume", url=url, catalog=str(catalog), workers=workers, progress=False,
                        transport=Transport(max_per_host=workers), batch_size=2000)
    seconds = time.perf_counter() - began
    rerun = time.perf_counter()
    again = af.harvest("pds3-volume", url=url, catalog=str(catalog), workers=workers, progress=False,
                       transport=Transport(max_per_host=workers))
    assert again.new == 0 and again.unchanged == report.new
    return report.new / seconds, report.new / (time.perf_counter() - rerun), report.new


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archive_fed-bench-"))
    try:
        make_pds3_volume(work / "vol", args.products)
        process, base = serve(work)
        try:
            url = f"{base}/vol/"
            label = parse_pds3((work / "vol/INDEX/INDEX.LBL").read_bytes())
            rows = read_index_table(label, (work / "vol/INDEX/INDEX.TAB").read_bytes())
            urls = [url + path for path, _ in product_paths(rows)]
            print(f"{args.products} PDS3 labels on loopback (server in its own process), {os.cpu_count()} cores")
            print(f"{'workers':>8} {'raw fetch/s':>12} {'harvest/s':>10} {'% of raw':>9} {'rerun/s':>9}")
            for workers in args.workers:
                raw = raw_fetch(urls, workers)
                rate, rerun, count = harvest_rate(url, workers, work)
                assert count == args.products
                print(f"{workers:>8} {raw:>12.0f} {rate:>10.0f} {100 * rate / raw:>8.0f}% {rerun:>9.0f}")
        finally:
            process.kill()
            process.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
