"""Index ingest vs label-by-label harvest of an LROC-EDR-layout volume served on loopback.

The volume (``INDEX/CUMINDEX.LBL`` + an N-row fixed-width ``CUMINDEX.TAB``, and detached labels for a
sample of the rows) is served by the test suite's ``ArchiveServer`` in its own process. Each size runs:
the index ingest into a new catalog (fetch + parse + normalise + write), the unchanged rerun, and — the
baseline, in the same run — the label-by-label harvest of the sample, scaled to products/s. Peak RSS is
measured in a child process per ingest (``ru_maxrss``).

    python benchmarks/ingest.py                 # N = 100k, 1M
    python benchmarks/ingest.py 100000 5000000  # chosen sizes
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
print(json.dumps({"seconds": time.perf_counter() - start, "found": report.found, "new": report.new,
                  "failed": report.failed, "requests": report.requests,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(url: str, catalog: str, mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", _RUN, url, catalog, mode], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench(rows: int, work: str) -> list[tuple]:
    volume = os.path.join(work, f"vol-{rows}")
    clock = time.perf_counter()
    lroc_volume.write_volume(volume, rows, labels=range(0, rows, max(1, rows // SAMPLE)))
    print(f"# wrote {rows:,}-row volume in {time.perf_counter() - clock:.0f} s", file=sys.stderr)
    sample = os.path.join(work, f"sample-{rows}")  # the same products' labels, with a SAMPLE-row index
    lroc_volume.write_volume(sample, SAMPLE, labels=range(SAMPLE))
    server = subprocess.Popen([sys.executable, "-c", _SERVE, volume, ROOT], stdout=subprocess.PIPE, text=True)
    sample_server = subprocess.Popen([sys.executable, "-c", _SERVE, sample, ROOT], stdout=subprocess.PIPE,
                                     text=True)
    try:
        url = server.stdout.readline().strip()
        sample_url = sample_server.stdout.readline().strip()
        catalog = os.path.join(work, f"cat-{rows}.zarr")
        first = run(url, catalog, "index")
        again = run(url, catalog, "index")
        labels = run(sample_url, os.path.join(work, f"labels-{rows}.zarr"), "labels")
    finally:
        server.kill()
        sample_server.kill()
    size = os.path.getsize(os.path.join(volume, "INDEX", "CUMINDEX.TAB"))
    return [
        (rows, "index ingest (new catalog)", first["found"], first["seconds"], first["found"] / first["seconds"],
         first["rss_mb"], first["requests"], size),
        (rows, "index ingest, unchanged rerun", again["found"], again["seconds"], again["found"] / again["seconds"],
         again["rss_mb"], again["requests"], 0),
        (rows, f"baseline: label by label ({SAMPLE})", labels["found"], labels["seconds"],
         labels["found"] / labels["seconds"], labels["rss_mb"], labels["requests"], 0),
    ]


def main(sizes: list[int]) -> None:
    print(f"{'rows':>9} | {'run':<34} | {'products':>9} | {'seconds':>8} | {'products/s':>10} | "
          f"{'peak RSS MB':>11} | {'requests':>8} | {'index bytes':>12}")
    with tempfile.TemporaryDirectory(prefix="af-ingest-") as work:
        for rows in sizes:
            for row in bench(rows, work):
                n, name, found, seconds, rate, rss, requests, size = row
                print(f"{n:>9,} | {name:<34} | {found:>9,} | {seconds:>8.2f} | {rate:>10,.0f} | {rss:>11,.0f} | "
                      f"{requests:>8} | {size:>12,}", flush=True)
            for name in os.listdir(work):
                if name.endswith(str(rows)) or f"-{rows}." in name:
                    subprocess.run(["rm", "-rf", os.path.join(work, name)], check=False)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
