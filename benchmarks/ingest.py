"""Index ingest of an LROC-EDR-layout cumulative index served on loopback, with baselines in the same run.

The volume (``INDEX/CUMINDEX.LBL`` + an N-row fixed-width ``CUMINDEX.TAB``, and detached labels for a
sample of the rows) is served by ``archive_fed.testing.servers.ArchiveServer`` in its own process. Each
size runs, each in a child process (peak RSS = its ``ru_maxrss``; CPU = its user + system time):

* the index ingest into a new catalog — fetch + parse + normalise + write, end to end;
* the unchanged rerun (one conditional request);
* the rerun after ``APPEND`` rows were appended to the index (only those are normalised and merged);
* baselines on the same file: ``pyarrow.csv.read_csv`` and ``pandas.read_fwf`` (parse only: no times,
  footprints, identities or catalog), and the label-by-label harvest of ``SAMPLE`` products (8 workers).

    python benchmarks/ingest.py                          # N = 100k, 1M
    python benchmarks/ingest.py 100000 1000000 5000000   # chosen sizes
    python benchmarks/ingest.py --no-fwf 5000000         # without the (slow) pandas.read_fwf baseline

The machine's load average is printed with each row: on a shared machine, wall time is the figure other
jobs inflate; CPU seconds are not.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from archive_fed.testing import lroc_volume  # noqa: E402

SAMPLE = 200  # products harvested label by label (the baseline)
APPEND = 10_000  # rows appended to the index before the incremental rerun

_SERVE = """
import sys, time
sys.path.insert(0, sys.argv[2])
from archive_fed.testing.servers import ArchiveServer
server = ArchiveServer(sys.argv[1]).start()
print(server.url, flush=True)
time.sleep(10 ** 6)
"""

_RUN = """
import json, resource, sys, time
import archive_fed as af
start = time.perf_counter()
kw = {"from_index": True} if sys.argv[3] == "index" else {"workers": 8}
report = af.harvest("pds3-volume", url=sys.argv[1], catalog=sys.argv[2], progress=False, **kw)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "found": report.found, "new": report.new,
                  "updated": report.updated, "unchanged": report.unchanged, "failed": report.failed,
                  "requests": report.requests, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024}))
"""

_BASELINE = """
import json, resource, sys, time
table, label = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if sys.argv[3] == "pyarrow":
    import pyarrow as pa, pyarrow.csv as pcsv
    from archive_fed.labels import parse_label
    from archive_fed.labels.index_table import index_layout
    names = index_layout(parse_label(open(label, "rb").read())).names
    options = pcsv.ConvertOptions(column_types={n: pa.string() for n in names})
    rows = pcsv.read_csv(table, read_options=pcsv.ReadOptions(column_names=names), convert_options=options).num_rows
else:
    import pandas as pd
    from archive_fed.labels import parse_label
    from archive_fed.labels.index_table import index_layout
    columns = index_layout(parse_label(open(label, "rb").read())).columns
    rows = 0
    for frame in pd.read_fwf(table, colspecs=[(c.start, c.start + c.size) for c in columns], header=None,
                             names=[c.name for c in columns], dtype=str, chunksize=250_000):
        rows += len(frame)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "found": rows, "requests": 0,
                  "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def append_rows(volume: str, rows: int, more: int) -> None:
    """Append ``more`` rows to the volume's CUMINDEX (rows ``rows`` .. ``rows + more - 1``), as a grown
    cumulative index is."""
    with open(os.path.join(volume, "INDEX", "CUMINDEX.TAB"), "a", newline="") as stream:
        stream.write("".join(lroc_volume.format_row(lroc_volume.row_values(i)) for i in range(rows, rows + more)))
    with open(os.path.join(volume, "INDEX", "CUMINDEX.LBL"), "w", newline="") as stream:
        stream.write(lroc_volume.index_label(rows + more))


def bench(rows: int, work: str, fwf: bool) -> list[tuple]:
    volume = os.path.join(work, f"vol-{rows}")
    clock = time.perf_counter()
    lroc_volume.write_volume(volume, rows)
    print(f"# wrote {rows:,}-row volume in {time.perf_counter() - clock:.0f} s", file=sys.stderr)
    sample = os.path.join(work, f"sample-{rows}")  # SAMPLE of the same products, with their labels
    lroc_volume.write_volume(sample, SAMPLE, labels=range(SAMPLE))
    table = os.path.join(volume, "INDEX", "CUMINDEX.TAB")
    label = os.path.join(volume, "INDEX", "CUMINDEX.LBL")
    size = os.path.getsize(table)
    out = []

    def row(name: str, result: dict, nbytes: int = 0, count: str = "found") -> None:
        out.append((rows, name, result[count], result["seconds"], result[count] / result["seconds"],
                    result["cpu"], result["rss_mb"], result["requests"], nbytes, os.getloadavg()[0]))
        print(format_row(out[-1]), flush=True)

    server = subprocess.Popen([sys.executable, "-c", _SERVE, volume, ROOT], stdout=subprocess.PIPE, text=True)
    sample_server = subprocess.Popen([sys.executable, "-c", _SERVE, sample, ROOT], stdout=subprocess.PIPE,
                                     text=True)
    try:
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        sample_url = sample_server.stdout.readline().strip()  # type: ignore[union-attr]
        catalog = os.path.join(work, f"cat-{rows}.zarr")
        first = child(_RUN, url, catalog, "index")
        assert (first["found"], first["new"], first["failed"]) == (rows, rows, 0), first
        row("index ingest, new catalog", first, size)
        again = child(_RUN, url, catalog, "index")
        assert (again["unchanged"], again["new"], again["requests"]) == (rows, 0, 1), again
        row("unchanged rerun (rows/s: rows checked)", again)
        row("baseline: pyarrow.csv.read_csv (parse)", child(_BASELINE, table, label, "pyarrow"), size)
        if fwf:
            row("baseline: pandas.read_fwf (parse)", child(_BASELINE, table, label, "pandas"), size)
        append_rows(volume, rows, APPEND)
        grown = child(_RUN, url, catalog, "index")
        assert (grown["new"], grown["unchanged"], grown["updated"]) == (APPEND, rows, 0), grown
        row(f"rerun, {APPEND:,} rows appended (rows/s: new)", grown, os.path.getsize(table), count="new")
        labels = child(_RUN, sample_url, os.path.join(work, f"labels-{rows}.zarr"), "labels")
        row(f"baseline: label by label ({SAMPLE}, 8 workers)", labels)
    finally:
        server.kill()
        sample_server.kill()
    return out


HEADER = (f"{'rows':>9} | {'run':<42} | {'products':>9} | {'seconds':>8} | {'products/s':>10} | {'CPU s':>6} | "
          f"{'peak RSS MB':>11} | {'requests':>8} | {'index bytes':>12} | {'load':>5}")


def format_row(row: tuple) -> str:
    n, name, found, seconds, rate, cpu, rss, requests, size, load = row
    return (f"{n:>9,} | {name:<42} | {found:>9,} | {seconds:>8.2f} | {rate:>10,.0f} | {cpu:>6.1f} | {rss:>11,.0f} | "
            f"{requests:>8} | {size:>12,} | {load:>5.1f}")


def main(argv: list[str]) -> None:
    fwf = "--no-fwf" not in argv
    sizes = [int(a) for a in argv if not a.startswith("--")] or [100_000, 1_000_000]
    print(f"# {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    print(HEADER)
    with tempfile.TemporaryDirectory(prefix="af-ingest-") as work:
        for rows in sizes:
            bench(rows, work, fwf)
            for name in os.listdir(work):
                subprocess.run(["rm", "-rf", os.path.join(work, name)], check=False)


if __name__ == "__main__":
    main(sys.argv[1:])
