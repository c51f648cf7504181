"""Catalog benchmark: build, store, open and search a catalog of synthetic products.

    python benchmarks/catalog.py [N] [--queries 50] [--dir DIR]

Prints one table: build time from ProductRecords, Zarr bytes per product, open time, and the median
latency of combined mission + time + bbox searches against a plain pandas boolean-mask baseline over the
same DataFrame in the same run (the baseline is given the resolved mission slug; it has no aliases).
Targets: search median < 20 ms and < 150 bytes/product at 1,000,000 products.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive_fed import missions  # noqa: E402
from archive_fed.catalog import Catalog  # noqa: E402
from archive_fed.testing.synthetic import synthetic_records  # noqa: E402

SPELLINGS = {"LRO": 2009, "Kaguya": 2007, "SELENE": 2007, "kaguya": 2007, "CE4": 2019, "Chang'E-4": 2019,
             "chandrayaan-1": 2008, "Clementine": 1994}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def queries(n: int, seed: int = 7) -> list[dict]:
    """Mission (in any spelling) + a window of 1-13 months within its years + a box of 20-120°."""
    rng = np.random.default_rng(seed)
    names = list(SPELLINGS)
    out = []
    for _ in range(n):
        name = names[int(rng.integers(len(names)))]
        start = np.datetime64(f"{SPELLINGS[name]}-01-01") + np.timedelta64(int(rng.integers(0, 4 * 365)), "D")
        stop = start + np.timedelta64(int(rng.integers(30, 400)), "D")
        lon_min = float(rng.uniform(0, 360))
        lon_max = float((lon_min + rng.uniform(20, 120)) % 360)  # some cross 0°
        lat_min = float(rng.uniform(-90, 50))
        lat_max = min(90.0, lat_min + float(rng.uniform(20, 90)))
        out.append({"mission": name, "start": str(start), "stop": str(stop),
                    "bbox": (lon_min, lat_min, lon_max, lat_max)})
    return out


def pandas_search(df, q: dict):
    """The straightforward pandas mask: what a user would write without the catalog."""
    import pandas as pd
    slug = missions.resolve_mission(q["mission"])
    start, stop = pd.Timestamp(q["start"], tz="UTC"), pd.Timestamp(q["stop"], tz="UTC")
    lon_min, lat_min, lon_max, lat_max = q["bbox"]
    s = df["start_time"]
    e = df["stop_time"].fillna(s)
    mask = (df["mission"] == slug) & (s <= stop) & (e >= start)
    mask &= (df["lat_min"] <= lat_max) & (df["lat_max"] >= lat_min)
    plo, phi = df["lon_min"], df["lon_max"]
    pcross = plo > phi
    if lon_min <= lon_max:
        lon = (pcross & ((plo <= lon_max) | (phi >= lon_min))) | (~pcross & (plo <= lon_max) & (phi >= lon_min))
    else:
        lon = pcross | (plo <= lon_max) | (phi >= lon_min)
    pole = (lat_max >= 90) & (df["lat_max"] >= 90)
    return df[(mask & lon) | (mask & pole)]


def timed(function, *args, **kwargs):
    t0 = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--dir", default=None, help="where to write the store (default: a temp dir)")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="archive_fed_bench_"))
    rows: list[tuple[str, str]] = []

    records, t = timed(synthetic_records, args.n, 0)
    rows.append(("generate ProductRecords (not the catalog)", f"{t:.2f} s"))
    cat, t = timed(Catalog.from_records, records)
    rows.append(("build: Catalog.from_records", f"{t:.2f} s"))
    del records
    path = work / "bench.zarr"
    _, t = timed(cat.save, str(path))
    rows.append(("save (atomic, zarr v3)", f"{t:.2f} s"))
    _, t = timed(cat.save, str(path))
    rows.append(("save again over it", f"{t:.2f} s"))
    size = dir_bytes(path)
    rows.append(("zarr on disk", f"{size / 1e6:.1f} MB = {size / args.n:.1f} bytes/product"))
    df = cat.to_pandas()
    del cat
    opened, t = timed(Catalog.open, str(path))
    rows.append(("open (lazy)", f"{t * 1e3:.1f} ms"))

    qs = queries(args.queries)
    _, t = timed(opened.search, **qs[0])
    rows.append(("first search (builds the index)", f"{t * 1e3:.1f} ms"))
    latencies, baseline, hits = [], [], []
    for q in qs:
        result, t = timed(opened.search, **q)
        latencies.append(t)
        hits.append(len(result))
        expected, tb = timed(pandas_search, df, q)
        baseline.append(tb)
        if len(expected) != len(result):
            raise SystemExit(f"mismatch with the pandas baseline on {q}: {len(result)} != {len(expected)}")
    rows.append((f"search median, {len(qs)} mission+time+bbox queries",
                 f"{np.median(latencies) * 1e3:.2f} ms (p90 {np.percentile(latencies, 90) * 1e3:.2f} ms)"))
    rows.append(("pandas boolean-mask baseline median",
                 f"{np.median(baseline) * 1e3:.2f} ms (p90 {np.percentile(baseline, 90) * 1e3:.2f} ms)"))
    rows.append(("hits per query (median / max)", f"{int(np.median(hits))} / {max(hits)}"))
    sample = opened.search(**qs[int(np.argmax(hits))])
    _, t = timed(lambda: list(sample.records()))
    rows.append((f"records() of the largest result ({len(sample)})", f"{t * 1e3:.1f} ms"))

    width = max(len(k) for k, _ in rows)
    print(f"archive_fed catalog benchmark: {args.n:,} products, {os.cpu_count()} CPUs")
    print(f"{'measure'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
