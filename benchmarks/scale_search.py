"""Search a catalog larger than memory: build, open and stream-search a store of N synthetic products.

    python benchmarks/scale_search.py [N] [--dir DIR] [--queries 20]
    python benchmarks/scale.py --skip-harvest [--search-products N]      # the same, from scale.py

Prints one table: the bulk build (``write_synthetic``: columns → Zarr, shard by shard) with its time and
bytes on disk; the lazy open; the median/p90 latency of combined mission + time + bbox searches streamed
with ``Catalog.open(path, chunks=...)`` (the queries of ``benchmarks/catalog.py``; each result read back
with every field); and the peak memory of each phase against the catalog's size on disk and in memory.
Every phase runs in its own process so that its peak RSS (``VmHWM``; ``ru_maxrss`` off Linux) is its own.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

#: Disk a store needs per product, with headroom (measured: ~95 bytes per synthetic product).
DISK_PER_PRODUCT = 130
DISK_MARGIN = 1 << 30
SAMPLE = 500_000  # products loaded in memory to measure the in-memory size per product


# --- the phases, each run in a child process ------------------------------------------------------

def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM: not inherited across fork+exec)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def phase_build(path: str, n: int) -> dict:
    from archive_fed.testing.synthetic import write_synthetic

    base = peak_rss()
    began = time.perf_counter()
    write_synthetic(path, n, seed=0)
    return {"seconds": time.perf_counter() - began, "peak": peak_rss(), "base": base}


def phase_open(path: str, chunks: object) -> dict:
    import dask.array  # noqa: F401  (imported by the first chunked open: timed apart)

    from archive_fed.catalog import Catalog

    base = peak_rss()
    began = time.perf_counter()
    cat = Catalog.open(path, chunks=chunks)
    opened = time.perf_counter() - began
    began = time.perf_counter()
    text = repr(cat)
    return {"open": opened, "repr": time.perf_counter() - began, "products": len(cat), "text": text,
            "peak": peak_rss(), "base": base}


def phase_search(path: str, chunks: object, count: int) -> dict:
    import dask.array  # noqa: F401  (code, not data: before the baseline)
    import numpy as np

    from archive_fed.catalog import Catalog, stream
    from catalog import queries

    base = peak_rss()
    cat = Catalog.open(path, chunks=chunks)
    reader = cat._source.reader  # the row-finding part alone, for the split below
    latencies, finding, hits = [], [], []
    for query in queries(count):
        began = time.perf_counter()
        result = cat.search(**query)  # streamed; the hits read back with every field
        latencies.append(time.perf_counter() - began)
        hits.append(len(result))
        began = time.perf_counter()
        stream.select(reader, cat._block, query)
        finding.append(time.perf_counter() - began)
        del result
    return {"median": float(np.median(latencies)), "p90": float(np.percentile(latencies, 90)),
            "find_median": float(np.median(finding)), "hits_median": int(np.median(hits)),
            "hits_max": int(max(hits)), "block": cat._block, "peak": peak_rss(), "base": base}


def phase_memory(path: str, sample: int) -> dict:
    """Bytes per product of a loaded catalog (numpy buffers + distinct Python strings), on a sample."""
    import numpy as np

    from archive_fed.catalog import Catalog
    from archive_fed.record import FIELDS

    streamed = Catalog.open(path, chunks="auto")
    part = streamed[: min(sample, len(streamed))]
    ds = part.to_xarray()
    total, seen = 0, set()
    for name in FIELDS:
        values = np.asarray(ds[name].values)
        total += values.nbytes
        if values.dtype == object:
            for item in values.tolist():
                if id(item) not in seen:
                    seen.add(id(item))
                    total += sys.getsizeof(item)
    # the arrays the in-memory search index builds on first use: codes, times, footprint arcs
    index = 11 * 2 + 2 * 8 + 5 * 8
    return {"per_product": total / len(part), "index_per_product": index}


PHASES = {"build": phase_build, "open": phase_open, "search": phase_search, "memory": phase_memory}


def run_phase(name: str, *args: object) -> dict:
    code = (f"import json, sys; sys.path[:0] = {[str(ROOT), str(ROOT / 'benchmarks')]!r}; "
            f"import scale_search as s; print(json.dumps(s.PHASES[{name!r}](*json.loads(sys.argv[1]))))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True,
                         cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"phase {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the table ------------------------------------------------------------------------------------

def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def fit_to_disk(n: int, work: Path) -> int:
    free = shutil.disk_usage(work).free
    fits = max(0, (free - DISK_MARGIN) // DISK_PER_PRODUCT)
    if fits >= n:
        return n
    reduced = max(100_000, int(fits) // 1_000_000 * 1_000_000 or int(fits))
    print(f"note: {free / 1e9:.1f} GB free in {work}; {n:,} products need about "
          f"{(n * DISK_PER_PRODUCT + DISK_MARGIN) / 1e9:.1f} GB: building {reduced:,} instead")
    return reduced


def search_scale(n_products: int, work: Path, queries: int = 20) -> None:
    """Build an ``n_products`` catalog store in ``work`` and print the streamed-search table."""
    work.mkdir(parents=True, exist_ok=True)
    n = fit_to_disk(n_products, work)
    path = work / "scale-search.zarr"
    mb = lambda value: f"{value / 1e6:,.0f} MB"  # noqa: E731
    rows: list[tuple[str, str]] = []

    build = run_phase("build", str(path), n)
    size = dir_bytes(path)
    rows.append(("build: write_synthetic (columns → Zarr, 262,144 a shard)",
                 f"{build['seconds']:.1f} s = {n / build['seconds']:,.0f} products/s"))
    rows.append(("store on disk", f"{mb(size)} = {size / n:.1f} bytes/product"))
    rows.append(("peak RSS of the build", mb(build["peak"])))
    memory = run_phase("memory", str(path), SAMPLE)
    loaded = memory["per_product"] * n
    rows.append(("in memory, loaded (measured on 500,000, scaled)",
                 f"{mb(loaded)} = {memory['per_product']:.0f} bytes/product"))
    rows.append(("in-memory search index alone (codes, times, arcs)", mb(memory["index_per_product"] * n)))

    opened = run_phase("open", str(path), "auto")
    rows.append(("lazy open, chunks='auto'", f"{opened['open'] * 1e3:.0f} ms"))
    rows.append(("len() / repr() (streamed summary)", f"{opened['products']:,} / {opened['repr']:.1f} s"))
    rows.append(("peak RSS of open + repr", mb(opened["peak"])))
    for chunks in ("auto", 262_144):
        result = run_phase("search", str(path), chunks, queries)
        label = f"chunks={chunks!r} ({result['block']:,} products a block)"
        rows.append((f"search median / p90, {queries} queries, {label}",
                     f"{result['median']:.2f} s / {result['p90']:.2f} s"))
        rows.append(("  of which finding the rows (median)", f"{result['find_median']:.2f} s"))
        hits = f"{result['hits_median']:,} / {result['hits_max']:,}"
        rows.append(("  hits per query (median / max)", hits))
        rows.append(("  peak RSS of the search process (after imports)",
                     f"{mb(result['peak'])} ({mb(result['peak'] - result['base'])})"))

    width = max(len(k) for k, _ in rows)
    print(f"\nstreamed search of {n:,} synthetic products ({os.cpu_count()} CPUs)")
    print(f"{'measure'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--dir", default=None, help="where to build the store (default: a temp dir, removed)")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="archive_fed-scale-search-"))
    try:
        search_scale(args.n, work, args.queries)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
